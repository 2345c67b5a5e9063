// Account pages, as an enhancement: the resend countdown of a verification code (the server
// already says how many seconds to wait and refuses an early resend; this only counts down and
// enables the resend button when the time is up, announced politely by aria-live), the hint of the
// chosen document type, and switching to the text human check without losing typed fields.
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

  // The number format of the chosen document type only (the page shows 居民身份证's at first).
  function documentHints(select) {
    var hints = JSON.parse(select.getAttribute("data-document-hints") || "{}");
    var hint = document.getElementById(select.id + "-hint");
    if (!hint) {
      return;
    }
    select.addEventListener("change", function () {
      var text = hints[select.value] || "";
      hint.textContent = text;
      hint.hidden = text === "";
    });
  }

  // "换一种验证方式": fetch the page with the text question and swap in only its human check, so
  // what the person typed in the form's other fields stays (a plain link reloads the page blank).
  // Without scripts, or if anything goes wrong, the link is followed as before.
  function checkSwitch(link) {
    link.addEventListener("click", function (event) {
      if (!window.fetch || !window.DOMParser) {
        return;
      }
      event.preventDefault();
      var current = document.getElementById("human-check");
      fetch(link.href, { credentials: "same-origin" }).then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      }).then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("human-check");
        if (!current || !fresh || fresh.querySelector("[data-slider]")) {
          throw new Error("no text check in the answer");
        }
        current.replaceWith(document.importNode(fresh, true));
        var answer = document.getElementById("hc_answer");
        if (answer) {
          answer.focus();
        }
      }).catch(function () {
        window.location.href = link.href;
      });
    });
  }

  function start() {
    var items = document.querySelectorAll("[data-countdown]");
    for (var i = 0; i < items.length; i += 1) {
      countDown(items[i]);
    }
    var selects = document.querySelectorAll("select[data-document-hints]");
    for (var j = 0; j < selects.length; j += 1) {
      documentHints(selects[j]);
    }
    var switches = document.querySelectorAll("a[data-check-switch]");
    for (var k = 0; k < switches.length; k += 1) {
      checkSwitch(switches[k]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
