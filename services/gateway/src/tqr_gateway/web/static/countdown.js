// R-WIZ-1: the must-read page's "下一步" becomes active after the page has been shown 3 seconds.
// The button shows the seconds left and a polite live region announces when it is ready. Without
// this script the button is active at once and the server refuses an early click with a message.
(function () {
  "use strict";
  function start() {
    var button = document.querySelector("[data-countdown]");
    var status = document.getElementById("must-read-countdown");
    if (!button || !status) {
      return;
    }
    var left = Math.ceil(Number(button.getAttribute("data-countdown")) || 0);
    var label = button.textContent;
    var template = status.getAttribute("data-countdown-text") || "{seconds}";
    var ready = status.getAttribute("data-ready-text") || "";
    if (left <= 0) {
      return;
    }
    button.disabled = true;
    button.setAttribute("aria-disabled", "true");
    function show() {
      var text = template.replace("{seconds}", String(left));
      button.textContent = label + "（" + left + "）";
      status.textContent = text;
    }
    show();
    var timer = window.setInterval(function () {
      left -= 1;
      if (left > 0) {
        show();
        return;
      }
      window.clearInterval(timer);
      button.disabled = false;
      button.removeAttribute("aria-disabled");
      button.textContent = label;
      status.textContent = ready;
    }, 1000);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
