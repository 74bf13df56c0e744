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

    // The picture's own size, where its top-left corner is in the frame, and the zoom it is
    // shown at (the slider may already hold the next one).
    var state = null; // {width, height, left, top, zoom}

    function frameSize() {
      return frame.clientWidth;
    }

    function scale() {
      return (frameSize() / Math.min(state.width, state.height)) * state.zoom;
    }

    function clamp(value, low, high) {
      return Math.min(high, Math.max(low, value));
    }

    function place(left, top) {
      var size = frameSize();
      var factor = scale();
      state.left = clamp(left, size - state.width * factor, 0);
      state.top = clamp(top, size - state.height * factor, 0);
      image.style.width = state.width * factor + "px";
      image.style.height = state.height * factor + "px";
      image.style.transform = "translate(" + state.left + "px, " + state.top + "px)";
      var side = Math.min(Math.floor(size / factor), state.width, state.height);
      fields.size.value = side;
      fields.x.value = clamp(Math.round(-state.left / factor), 0, state.width - side);
      fields.y.value = clamp(Math.round(-state.top / factor), 0, state.height - side);
    }

    function zoomTo(value) {
      var size = frameSize();
      var before = scale();
      var centreX = (size / 2 - state.left) / before;
      var centreY = (size / 2 - state.top) / before;
      state.zoom = clamp(value, Number(zoom.min), Number(zoom.max));
      zoom.value = state.zoom;
      var after = scale();
      place(size / 2 - centreX * after, size / 2 - centreY * after);
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
            left: 0,
            top: 0,
            zoom: 1,
          };
          zoom.value = 1;
          editor.hidden = false;
          var size = frameSize();
          var factor = scale();
          place((size - state.width * factor) / 2, (size - state.height * factor) / 2);
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
      drag = { x: event.clientX, y: event.clientY, left: state.left, top: state.top };
      frame.setPointerCapture(event.pointerId);
      frame.classList.add("is-dragging");
      event.preventDefault();
    });
    frame.addEventListener("pointermove", function (event) {
      if (!drag) return;
      place(drag.left + event.clientX - drag.x, drag.top + event.clientY - drag.y);
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
        place(state.left + moves[event.key][0], state.top + moves[event.key][1]);
      } else if (event.key === "+" || event.key === "=") {
        zoomTo(state.zoom + ZOOM_STEP);
      } else if (event.key === "-") {
        zoomTo(state.zoom - ZOOM_STEP);
      } else {
        return;
      }
      event.preventDefault();
    });

    window.addEventListener("resize", function () {
      if (state) zoomTo(state.zoom);
    });
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
