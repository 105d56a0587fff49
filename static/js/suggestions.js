// The suggestions page from the keyboard (issue 15): J / K (or the arrow keys) move between
// suggestions, A accepts and D dismisses the one in focus by pressing its own button (so the
// form, CSRF and htmx swap are exactly those of a click). After the list is redrawn, focus goes
// to the suggestion now at the same place, so a curator can work down the list without the mouse.
(function () {
  "use strict";
  var lastIndex = null;

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll("#suggestions .sg-item"));
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function current() {
    var el = document.activeElement;
    return el && el.closest ? el.closest("#suggestions .sg-item") : null;
  }

  function focusAt(index) {
    var list = items();
    if (!list.length) return;
    var item = list[Math.max(0, Math.min(index, list.length - 1))];
    item.focus();
    item.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    var key = event.key.toLowerCase();
    var item = current();
    var list = items();
    if (key === "j" || key === "arrowdown" || key === "k" || key === "arrowup") {
      if (!list.length || (key.indexOf("arrow") === 0 && !item)) return;
      event.preventDefault();
      var at = item ? list.indexOf(item) : -1;
      focusAt(key === "j" || key === "arrowdown" ? at + 1 : Math.max(at - 1, 0));
      return;
    }
    if ((key === "a" || key === "d") && item) {
      var button = item.querySelector('[data-sg-action="' + (key === "a" ? "accept" : "dismiss") + '"]');
      if (!button) return;
      event.preventDefault();
      lastIndex = list.indexOf(item);
      button.click();
    }
  });

  document.body.addEventListener("htmx:afterSettle", function () {
    if (lastIndex === null || !document.getElementById("suggestions")) return;
    var index = lastIndex;
    lastIndex = null;
    focusAt(index);
  });
})();
