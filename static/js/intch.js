// intch: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Forms and buttons with data-confirm ask before a destructive POST (block someone).
  document.addEventListener(
    "submit",
    function (event) {
      var submitter = event.submitter;
      var message =
        (submitter && submitter.getAttribute("data-confirm")) ||
        event.target.getAttribute("data-confirm");
      if (message && !window.confirm(message)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  // The header's Menu (a <details>) closes on Escape and on a click anywhere else.
  document.addEventListener("click", function (event) {
    Array.prototype.forEach.call(document.querySelectorAll("details[data-nav-menu][open]"), function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var menu = document.querySelector("details[data-nav-menu][open]");
    if (!menu) return;
    menu.open = false;
    menu.querySelector("summary").focus();
  });

  // The tag picker replaces itself after every add/remove. Keep the categories the person
  // had open, and put keyboard focus back somewhere sensible instead of on <body>.
  var pickerSwapped = false;
  var openCategories = [];
  var focusWasIn = null;

  document.addEventListener("htmx:beforeSwap", function (event) {
    var picker = document.getElementById("tag-picker");
    if (!picker || event.detail.target !== picker) return;
    pickerSwapped = true;
    openCategories = Array.prototype.map.call(
      picker.querySelectorAll("details[open][id]"),
      function (details) {
        return details.id;
      }
    );
    var active = document.activeElement;
    var details = active && active.closest ? active.closest("details[id]") : null;
    focusWasIn = details ? details.id : null;
  });

  document.addEventListener("htmx:afterSettle", function () {
    var picker = document.getElementById("tag-picker");
    if (!picker || !pickerSwapped) return;
    pickerSwapped = false;
    openCategories.forEach(function (id) {
      var details = document.getElementById(id);
      if (details) details.open = true;
    });
    openCategories = [];
    var target = focusWasIn && document.getElementById(focusWasIn);
    focusWasIn = null;
    if (document.activeElement && document.activeElement !== document.body) return;
    var summary = target && target.querySelector("summary");
    if (summary) {
      summary.focus();
      return;
    }
    var search = picker.querySelector('input[name="q"]');
    if (search) search.focus();
  });
  // --- Long text boxes: a live count instead of a maxlength that cuts pastes -------------
  // A textarea with data-maxlength gets a count under it ("120 characters left", "200
  // characters too many"). The server refuses a text that is too long, keeping it; this only
  // tells people early. data-count-from="N": show the count once the text reaches N
  // characters. data-disable-submit: the form's submit buttons stay off while the box is
  // empty (spaces only) or over the limit (the message composer).
  var COUNT_SELECTOR = "textarea[data-maxlength]";
  var liveRegion = null;
  var announceTimer = null;

  function characters(text) {
    // Code points, as the server counts them (an emoji is one character, not two).
    return Array.from(text).length;
  }

  function formatNumber(number) {
    return number.toLocaleString("en");
  }

  function countMessage(box) {
    var limit = Number(box.getAttribute("data-maxlength"));
    var length = characters(box.value);
    if (length > limit) {
      var over = length - limit;
      return {
        over: true,
        length: length,
        text: formatNumber(over) + (over === 1 ? " character" : " characters") + " too many",
      };
    }
    var left = limit - length;
    return {
      over: false,
      length: length,
      text: formatNumber(left) + (left === 1 ? " character" : " characters") + " left",
    };
  }

  function counterFor(box) {
    var id = box.id + "-count";
    var counter = document.getElementById(id);
    if (counter) return counter;
    counter = document.createElement("p");
    counter.id = id;
    counter.className = "char-count";
    var anchor = box.closest(".composer__row") || box;
    anchor.insertAdjacentElement("afterend", counter);
    var described = (box.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (described.indexOf(id) === -1) described.push(id);
    box.setAttribute("aria-describedby", described.join(" "));
    return counter;
  }

  function announce(text) {
    // Screen readers hear the count once typing pauses, not on every key.
    if (!liveRegion) {
      liveRegion = document.createElement("div");
      liveRegion.className = "visually-hidden";
      liveRegion.setAttribute("aria-live", "polite");
      liveRegion.id = "char-count-live";
      document.body.appendChild(liveRegion);
    }
    clearTimeout(announceTimer);
    announceTimer = setTimeout(function () {
      liveRegion.textContent = text;
    }, 1000);
  }

  function updateSubmit(box, state) {
    if (!box.hasAttribute("data-disable-submit") || !box.form) return;
    var blocked = state.over || !box.value.trim();
    var buttons = box.form.querySelectorAll('button[type="submit"], button:not([type])');
    Array.prototype.forEach.call(buttons, function (button) {
      button.disabled = blocked;
    });
  }

  function updateCount(box, typed) {
    var state = countMessage(box);
    var from = Number(box.getAttribute("data-count-from") || 0);
    var counter = counterFor(box);
    var shown = state.over || state.length >= from;
    counter.hidden = !shown;
    counter.textContent = state.text;
    counter.classList.toggle("char-count--over", state.over);
    // The server's own error (aria-invalid from the page) stays until the text fits.
    if (state.over) {
      box.setAttribute("aria-invalid", "true");
    } else if (box.getAttribute("aria-invalid") === "true" && box.hasAttribute("data-counted")) {
      box.removeAttribute("aria-invalid");
    }
    box.setAttribute("data-counted", "");
    updateSubmit(box, state);
    if (typed && shown) announce(state.text);
  }

  function countAll(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll(COUNT_SELECTOR), function (box) {
      updateCount(box, false);
    });
  }

  document.addEventListener("input", function (event) {
    var box = event.target;
    if (box && box.matches && box.matches(COUNT_SELECTOR)) updateCount(box, true);
  });

  // htmx re-enables the buttons it disabled during a request, and the composer empties its
  // box after sending: count again once the swap is done.
  document.addEventListener("htmx:afterRequest", function () {
    setTimeout(countAll, 0);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      countAll();
    });
  } else {
    countAll();
  }
})();
