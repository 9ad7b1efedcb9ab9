// Zoom and pan for the diagrams of the review pages. Kept out of the pages so that their
// Content-Security-Policy can refuse every inline script.
(function () {
  "use strict";

  var STEP = 1.25;
  var MIN = 0.05;
  var MAX = 4;

  function attach(viewer) {
    var svg = viewer.querySelector("svg");
    if (!svg) {
      return;
    }
    var tools = document.querySelector('.zoom-tools[data-for="' + viewer.id + '"]');
    var level = tools ? tools.querySelector(".zoom-level") : null;
    var width = svg.width.baseVal.value;
    var height = svg.height.baseVal.value;
    var scale = 1;

    function apply(next, anchorX, anchorY) {
      var before = scale;
      scale = Math.min(MAX, Math.max(MIN, next));
      // keep the point under the pointer (or the centre) where it was
      var x = anchorX === undefined ? viewer.clientWidth / 2 : anchorX;
      var y = anchorY === undefined ? viewer.clientHeight / 2 : anchorY;
      var left = (viewer.scrollLeft + x) / before;
      var top = (viewer.scrollTop + y) / before;
      svg.setAttribute("width", String(width * scale));
      svg.setAttribute("height", String(height * scale));
      viewer.scrollLeft = left * scale - x;
      viewer.scrollTop = top * scale - y;
      if (level) {
        level.textContent = Math.round(scale * 100) + "%";
      }
    }

    function fit() {
      apply(Math.min(1, (viewer.clientWidth - 4) / width));
      viewer.scrollLeft = 0;
      viewer.scrollTop = 0;
    }

    if (tools && !tools.dataset.ready) {
      tools.dataset.ready = "1";
      tools.addEventListener("click", function (event) {
        var button = event.target.closest("button[data-zoom]");
        if (!button) {
          return;
        }
        var action = button.dataset.zoom;
        if (action === "in") {
          apply(scale * STEP);
        } else if (action === "out") {
          apply(scale / STEP);
        } else if (action === "actual") {
          apply(1);
        } else {
          fit();
        }
      });
    }
    if (!viewer.dataset.ready) {
      viewer.dataset.ready = "1";
      viewer.addEventListener("wheel", function (event) {
        if (!event.ctrlKey) {
          return;
        }
        event.preventDefault();
        var box = viewer.getBoundingClientRect();
        apply(event.deltaY < 0 ? scale * STEP : scale / STEP, event.clientX - box.left, event.clientY - box.top);
      }, { passive: false });
      var drag = null;
      viewer.addEventListener("mousedown", function (event) {
        if (event.button !== 0 || event.target.closest("a")) {
          return;
        }
        drag = { x: event.clientX, y: event.clientY, left: viewer.scrollLeft, top: viewer.scrollTop };
        viewer.classList.add("dragging");
        event.preventDefault();
      });
      window.addEventListener("mousemove", function (event) {
        if (drag) {
          viewer.scrollLeft = drag.left - (event.clientX - drag.x);
          viewer.scrollTop = drag.top - (event.clientY - drag.y);
        }
      });
      window.addEventListener("mouseup", function () {
        drag = null;
        viewer.classList.remove("dragging");
      });
      // Touch: one finger pans (the browser scrolls the viewer natively); two fingers pinch-zoom
      // the drawing around their midpoint (touch-action in the CSS keeps the page from zooming).
      var pinch = null;
      function spread(touches) {
        var dx = touches[0].clientX - touches[1].clientX;
        var dy = touches[0].clientY - touches[1].clientY;
        return Math.sqrt(dx * dx + dy * dy);
      }
      viewer.addEventListener("touchstart", function (event) {
        if (event.touches.length === 2) {
          pinch = { distance: spread(event.touches), scale: scale };
          event.preventDefault();
        }
      }, { passive: false });
      viewer.addEventListener("touchmove", function (event) {
        if (!pinch || event.touches.length !== 2) {
          return;
        }
        event.preventDefault();
        var box = viewer.getBoundingClientRect();
        var midX = (event.touches[0].clientX + event.touches[1].clientX) / 2 - box.left;
        var midY = (event.touches[0].clientY + event.touches[1].clientY) / 2 - box.top;
        apply(pinch.scale * spread(event.touches) / pinch.distance, midX, midY);
      }, { passive: false });
      viewer.addEventListener("touchend", function (event) {
        if (event.touches.length < 2) {
          pinch = null;
        }
      });
    }
    fit();
  }

  window.reviewDiagrams = { attach: attach };
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".diagram-viewer").forEach(attach);
  });
})();
