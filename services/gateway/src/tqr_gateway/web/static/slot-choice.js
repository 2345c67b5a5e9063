// Step 5 (R-SLOT-1): show only the appointment slots of the chosen confirmation point. Without this
// script every point's slots are shown and the service checks that the slot belongs to the point.
(function () {
  "use strict";
  var choice = document.querySelector("[data-slot-choice]");
  if (!choice) { return; }
  var groups = choice.querySelectorAll("[data-slots-of]");
  var points = document.querySelectorAll("input[name=point_code]");

  function chosenPoint() {
    for (var i = 0; i < points.length; i += 1) {
      if (points[i].checked) { return points[i].value; }
    }
    return "";
  }

  function update(clearOthers) {
    var point = chosenPoint();
    var shown = 0;
    for (var i = 0; i < groups.length; i += 1) {
      var mine = groups[i].getAttribute("data-slots-of") === point;
      groups[i].hidden = point !== "" && !mine;
      if (mine) { shown += 1; }
      if (clearOthers && !mine) {
        var boxes = groups[i].querySelectorAll("input[name=slot_id]");
        for (var j = 0; j < boxes.length; j += 1) { boxes[j].checked = false; }
      }
    }
    // A point that takes no appointments: the whole slot section goes away.
    choice.hidden = point !== "" && shown === 0;
  }

  for (var k = 0; k < points.length; k += 1) {
    points[k].addEventListener("change", function () { update(true); });
  }
  update(false);
}());
