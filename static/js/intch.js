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
})();
