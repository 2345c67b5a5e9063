// The slider human check (R-ID-5), as an enhancement: the answer is the value of a native range
// input, which already works with the keyboard (arrow keys, Home/End) and touch. This script shows
// the puzzle, moves the piece with the range, and lets people drag the piece itself with a mouse
// or a finger (pointer events). Without it, the page offers the text question instead.
(function () {
  "use strict";

  function setUp(root) {
    var range = root.querySelector("input[type=range]");
    var stage = root.querySelector("[data-slider-stage]");
    var piece = root.querySelector("[data-slider-piece]");
    var output = root.querySelector("[data-slider-output]");
    if (!range || !stage || !piece) {
      return;
    }
    var width = Number(root.getAttribute("data-width")) || 1;
    var height = Number(root.getAttribute("data-height")) || 1;
    var pieceWidth = Number(root.getAttribute("data-piece-width")) || 0;
    var pieceHeight = Number(root.getAttribute("data-piece-height")) || 0;
    var pieceY = Number(root.getAttribute("data-piece-y")) || 0;
    var max = Number(range.max) || width;

    // Percentages keep the piece on its gap whatever size the picture is shown at (375 px phones).
    piece.style.width = (pieceWidth / width) * 100 + "%";
    if (pieceHeight) {
      piece.style.height = (pieceHeight / height) * 100 + "%";
    }
    piece.style.top = (pieceY / height) * 100 + "%";

    function show() {
      var x = Number(range.value) || 0;
      piece.style.left = (x / width) * 100 + "%";
      if (output) {
        output.textContent = String(x);
      }
    }

    function setFromPointer(clientX, grab) {
      var box = stage.getBoundingClientRect();
      if (!box.width) {
        return;
      }
      var x = Math.round(((clientX - box.left) / box.width) * width - grab);
      range.value = String(Math.max(0, Math.min(max, x)));
      show();
    }

    var dragging = false;
    var grab = 0;
    piece.addEventListener("pointerdown", function (event) {
      var box = stage.getBoundingClientRect();
      var x = Number(range.value) || 0;
      grab = ((event.clientX - box.left) / box.width) * width - x;
      dragging = true;
      if (piece.setPointerCapture) {
        piece.setPointerCapture(event.pointerId);
      }
      event.preventDefault();
    });
    piece.addEventListener("pointermove", function (event) {
      if (dragging) {
        setFromPointer(event.clientX, grab);
      }
    });
    function stop() {
      if (dragging) {
        dragging = false;
        range.focus();
      }
    }
    piece.addEventListener("pointerup", stop);
    piece.addEventListener("pointercancel", stop);
    range.addEventListener("input", show);
    range.addEventListener("change", show);

    root.hidden = false;
    var fallback = root.parentNode.querySelector("[data-slider-nojs]");
    if (fallback) {
      fallback.hidden = true;
    }
    show();
  }

  function start() {
    var roots = document.querySelectorAll("[data-slider]");
    for (var i = 0; i < roots.length; i += 1) {
      setUp(roots[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
