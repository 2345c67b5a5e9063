// The session-timeout warning (components/timeout_warning.html): an enhancement only. Without this
// file, or in a browser without <dialog>, nothing is shown and the session simply ends on the server.
//
// The page knows how many seconds its session has left (data-expires-in). Tabs of one browser share
// the latest end in localStorage, so using one tab keeps the others from warning or signing out.
(function () {
  "use strict";
  var STORAGE_KEY = "tqr.session.expiresAt";
  var dialog = document.querySelector("[data-session-timeout]");
  if (!dialog || typeof dialog.showModal !== "function") {
    return;
  }
  var warnBefore = Number(dialog.getAttribute("data-warn-before")) * 1000;
  var countdown = dialog.querySelector("[data-timeout-countdown]");
  var spoken = dialog.querySelector("[data-timeout-spoken]");
  var failed = dialog.querySelector("[data-timeout-failed]");
  var stay = dialog.querySelector("[data-timeout-stay]");
  var signOut = dialog.querySelector("[data-timeout-sign-out]");
  var title = dialog.querySelector("#timeout-dialog-title");
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var expiresAt = Date.now() + Number(dialog.getAttribute("data-expires-in")) * 1000;
  var timer = null;
  var ticker = null;
  var lastSpoken = "";
  var returnFocusTo = null;

  function sharedEnd() {
    try {
      var stored = Number(window.localStorage.getItem(STORAGE_KEY));
      return stored > 0 ? stored : 0;
    } catch (e) {
      return 0;
    }
  }

  function share(end) {
    try {
      window.localStorage.setItem(STORAGE_KEY, String(end));
    } catch (e) { /* private mode: this tab still warns on its own */ }
  }

  function forget() {
    try {
      window.localStorage.removeItem(STORAGE_KEY);
    } catch (e) { /* nothing to forget */ }
  }

  function plural(kind, n) {
    var text = dialog.getAttribute("data-" + kind + (n === 1 ? "-one" : "-other"));
    return text.replace("{n}", String(n));
  }

  // The visible countdown: minutes and seconds, updated every second.
  function exact(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    if (minutes === 0) {
      return plural("seconds", rest);
    }
    return rest === 0 ? plural("minutes", minutes)
      : plural("minutes", minutes) + " " + plural("seconds", rest);
  }

  // What screen readers hear: whole minutes, then 20-second steps, so the text (a polite live
  // region) changes a few times in two minutes rather than every second.
  function rounded(seconds) {
    if (seconds > 60) {
      return plural("minutes", Math.ceil(seconds / 60));
    }
    var step = Math.max(20, Math.ceil(seconds / 20) * 20);
    return step === 60 ? plural("minutes", 1) : plural("seconds", step);
  }

  function remainingSeconds() {
    return Math.max(0, Math.ceil((expiresAt - Date.now()) / 1000));
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(warn, Math.max(0, expiresAt - warnBefore - Date.now()));
  }

  function adoptSharedEnd() {
    var end = sharedEnd();
    if (end > expiresAt) {
      expiresAt = end;
      return true;
    }
    return false;
  }

  function warn() {
    if (adoptSharedEnd() && expiresAt - Date.now() > warnBefore) {
      schedule();  // another tab kept the session alive
      return;
    }
    if (!dialog.open) {
      returnFocusTo = document.activeElement;
      failed.hidden = true;
      lastSpoken = "";
      tick();
      dialog.showModal();
      title.focus();
    }
    window.clearInterval(ticker);
    ticker = window.setInterval(tick, 1000);
  }

  function tick() {
    var seconds = remainingSeconds();
    if (seconds <= 0) {
      timedOut();
      return;
    }
    countdown.textContent = exact(seconds);
    var words = rounded(seconds);
    if (words !== lastSpoken) {
      lastSpoken = words;
      spoken.textContent = spoken.getAttribute("data-before") + " " + words + " " + spoken.getAttribute("data-after");
    }
  }

  function close() {
    window.clearInterval(ticker);
    if (dialog.open) {
      dialog.close();
    }
    if (returnFocusTo && typeof returnFocusTo.focus === "function") {
      returnFocusTo.focus();
    }
  }

  function timedOut() {
    window.clearInterval(ticker);
    if (adoptSharedEnd() && expiresAt > Date.now()) {
      close();
      schedule();
      return;
    }
    forget();
    signOut.setAttribute("action", signOut.getAttribute("action") + "?timed_out=1");
    signOut.submit();
  }

  function extended(seconds) {
    expiresAt = Date.now() + seconds * 1000;
    share(expiresAt);
    close();
    schedule();
  }

  function stayIn() {
    stay.disabled = true;
    fetch(dialog.getAttribute("data-keep-alive-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf ? csrf.getAttribute("content") : "", "Accept": "application/json" }
    }).then(function (response) {
      if (response.status === 401) {
        timedOut();
        return null;
      }
      return response.ok ? response.json() : Promise.reject(response.status);
    }).then(function (body) {
      if (body) {
        extended(Number(body.expires_in));
      }
    }).catch(function () {
      failed.hidden = false;  // the countdown goes on; the person may try again
    }).then(function () {
      stay.disabled = false;
    });
  }

  stay.addEventListener("click", stayIn);
  // Escape closes a modal <dialog>; here it means "stay signed in", as in the GOV.UK pattern.
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();
    stayIn();
  });
  signOut.addEventListener("submit", forget);
  window.addEventListener("storage", function (event) {
    if (event.key === STORAGE_KEY && adoptSharedEnd() && expiresAt - Date.now() > warnBefore) {
      close();
      schedule();
    }
  });

  if (!adoptSharedEnd()) {
    share(expiresAt);
  }
  schedule();
})();
