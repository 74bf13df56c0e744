// intch: choose the square of a new profile picture before it uploads.
// Progressive enhancement of profiles/partials/_avatar_crop.html: without this file the
// picture uploads as it is and the server uses its middle square. With it, the picture shows
// in a square frame: drag (or use the arrow keys) to move it, zoom with the slider (or + and
// -). The square is sent as crop_x, crop_y and crop_size in the picture's own pixels, which
// the server checks and applies.
(function () {
  "use strict";

  var STEP = 10; // pixels of the frame per arrow key
  var ZOOM_STEP = 0.1;

  function setUp(root) {
    var input = root.querySelector('input[type="file"]');
    var editor = root.querySelector("[data-avatar-crop-editor]");
    var frame = root.querySelector("[data-avatar-crop-frame]");
    var image = root.querySelector("[data-avatar-crop-image]");
    var zoom = root.querySelector("[data-avatar-crop-zoom]");
    var fields = {
      x: root.querySelector('input[name="crop_x"]'),
      y: root.querySelector('input[name="crop_y"]'),
      size: root.querySelector('input[name="crop_size"]'),
    };
    if (!input || !editor || !frame || !image || !zoom || !fields.x) return;

    // The picture's own size, the middle of the chosen square in the picture's pixels, and
    // the zoom. Kept in the picture's pixels, so a resize of the window changes nothing.
    var state = null; // {width, height, cx, cy, zoom}

    function clamp(value, low, high) {
      return Math.min(high, Math.max(low, value));
    }

    function render() {
      var size = frame.clientWidth;
      if (!state || !size) return; // hidden, or not laid out yet
      var factor = (size / Math.min(state.width, state.height)) * state.zoom;
      var half = size / 2 / factor; // half the square, in the picture's pixels
      state.cx = clamp(state.cx, half, state.width - half);
      state.cy = clamp(state.cy, half, state.height - half);
      image.style.width = state.width * factor + "px";
      image.style.height = state.height * factor + "px";
      image.style.transform =
        "translate(" + (size / 2 - state.cx * factor) + "px, " + (size / 2 - state.cy * factor) + "px)";
      var side = Math.min(Math.floor(2 * half), state.width, state.height);
      fields.size.value = side;
      fields.x.value = clamp(Math.round(state.cx - side / 2), 0, state.width - side);
      fields.y.value = clamp(Math.round(state.cy - side / 2), 0, state.height - side);
    }

    function factor() {
      return (frame.clientWidth / Math.min(state.width, state.height)) * state.zoom || 1;
    }

    function moveBy(dx, dy) {
      var scale = factor();
      state.cx -= dx / scale;
      state.cy -= dy / scale;
      render();
    }

    function zoomTo(value) {
      state.zoom = clamp(value, Number(zoom.min), Number(zoom.max));
      zoom.value = state.zoom;
      render();
    }

    function reset() {
      state = null;
      editor.hidden = true;
      image.removeAttribute("src");
      fields.x.value = fields.y.value = fields.size.value = "";
    }

    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file || !/^image\//.test(file.type)) {
        reset();
        return;
      }
      var reader = new FileReader();
      reader.onload = function () {
        image.onload = function () {
          state = {
            width: image.naturalWidth,
            height: image.naturalHeight,
            cx: image.naturalWidth / 2,
            cy: image.naturalHeight / 2,
            zoom: 1,
          };
          zoom.value = 1;
          editor.hidden = false;
          render();
        };
        image.onerror = reset; // not a picture the browser can show: the server will say so
        image.src = reader.result;
      };
      reader.readAsDataURL(file);
    });

    zoom.addEventListener("input", function () {
      if (state) zoomTo(Number(zoom.value));
    });

    var drag = null;
    frame.addEventListener("pointerdown", function (event) {
      if (!state) return;
      drag = { x: event.clientX, y: event.clientY };
      frame.setPointerCapture(event.pointerId);
      frame.classList.add("is-dragging");
      event.preventDefault();
    });
    frame.addEventListener("pointermove", function (event) {
      if (!drag) return;
      moveBy(event.clientX - drag.x, event.clientY - drag.y);
      drag.x = event.clientX;
      drag.y = event.clientY;
    });
    function stop() {
      drag = null;
      frame.classList.remove("is-dragging");
    }
    frame.addEventListener("pointerup", stop);
    frame.addEventListener("pointercancel", stop);

    frame.addEventListener("keydown", function (event) {
      if (!state) return;
      var moves = {
        ArrowLeft: [STEP, 0],
        ArrowRight: [-STEP, 0],
        ArrowUp: [0, STEP],
        ArrowDown: [0, -STEP],
      };
      if (moves[event.key]) {
        moveBy(moves[event.key][0], moves[event.key][1]);
      } else if (event.key === "+" || event.key === "=") {
        zoomTo(state.zoom + ZOOM_STEP);
      } else if (event.key === "-") {
        zoomTo(state.zoom - ZOOM_STEP);
      } else {
        return;
      }
      event.preventDefault();
    });

    window.addEventListener("resize", render);
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-avatar-crop]"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
