// Account pages, as an enhancement: the resend countdown of a verification code. The server
// already says how many seconds to wait and refuses an early resend; this only counts down and
// enables the resend button when the time is up. Announced politely (aria-live on the element).
(function () {
  "use strict";

  function countDown(element) {
    var seconds = Number(element.getAttribute("data-countdown")) || 0;
    var template = element.getAttribute("data-countdown-text") || "{s}";
    var doneText = element.getAttribute("data-countdown-done") || "";
    var target = document.getElementById(element.getAttribute("data-countdown-enables") || "");
    if (target) {
      target.disabled = seconds > 0;
    }
    function tick() {
      if (seconds <= 0) {
        element.textContent = doneText;
        if (target) {
          target.disabled = false;
        }
        return;
      }
      // Announce every 10 seconds only, so screen readers are not flooded.
      element.setAttribute("aria-live", seconds % 10 === 0 ? "polite" : "off");
      element.textContent = template.replace("{s}", String(seconds));
      seconds -= 1;
      window.setTimeout(tick, 1000);
    }
    tick();
  }

  function start() {
    var items = document.querySelectorAll("[data-countdown]");
    for (var i = 0; i < items.length; i += 1) {
      countDown(items[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
