// R-WIZ-3: a certificate number that is not 15 or 17 digits gets a warning with two real buttons
// before the form is sent ("返回修改" keeps the person on the field, "仍然继续" sends the answer
// with the override). Only a convenience: the server makes the same check and shows the same block.
(function () {
  "use strict";
  // Longer than the registry's column holds (17): no warning, the server refuses it beside the
  // field with the limit named (R-APP-6), so "仍然继续" is never offered for a number it refuses.
  var LONGEST = 17;
  function usual(value) {
    var clean = value.replace(/[\s\-]+/g, "");
    return clean.length > LONGEST || (/^\d+$/.test(clean) && (clean.length === 15 || clean.length === 17));
  }
  function start() {
    var input = document.querySelector("[data-certificate-number]");
    var slot = document.querySelector("[data-certificate-warning-slot]");
    if (!input || !slot) {
      return;
    }
    var form = input.form;
    var next = form.querySelector("[data-step-next]");
    function showNext(shown) {  // the warning's two buttons are the only choices while it shows
      if (next) {
        next.hidden = !shown;
      }
    }
    var texts = {
      title: slot.getAttribute("data-title"), body: slot.getAttribute("data-body"),
      back: slot.getAttribute("data-back"), go: slot.getAttribute("data-continue")
    };
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (submitter && submitter.name === "decision") {
        return; // a choice in a warning block: let it through
      }
      if (form.querySelector("input[name=warning_code]") || usual(input.value) || !input.value.trim()) {
        return;
      }
      event.preventDefault();
      slot.textContent = "";
      var block = document.createElement("div");
      block.className = "warning-block";
      block.setAttribute("role", "alert");
      var heading = document.createElement("h2");
      heading.className = "warning-block__title";
      heading.textContent = texts.title;
      var body = document.createElement("p");
      body.textContent = texts.body;
      var code = document.createElement("input");
      code.type = "hidden";
      code.name = "warning_code";
      code.value = "R-WIZ-3";
      var group = document.createElement("div");
      group.className = "button-group";
      var back = document.createElement("button");
      back.type = "button";
      back.className = "button button--primary";
      back.textContent = texts.back;
      back.addEventListener("click", function () {
        slot.textContent = "";
        showNext(true);
        input.focus();
      });
      var go = document.createElement("button");
      go.type = "submit";
      go.name = "decision";
      go.value = "continue";
      go.className = "button button--secondary";
      go.textContent = texts.go;
      group.appendChild(back);
      group.appendChild(go);
      block.appendChild(heading);
      block.appendChild(body);
      block.appendChild(code);
      block.appendChild(group);
      slot.appendChild(block);
      showNext(false);
      back.focus();
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
