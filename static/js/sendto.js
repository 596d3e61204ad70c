// "Send to…" menus (templates/catalog/_send_to.html): a filter over the models listed, so
// a catalog of hundreds of image models stays quick to pick from. The list itself comes
// from the server when the menu first opens (htmx).
(function () {
  "use strict";

  document.addEventListener("input", function (event) {
    var filter = event.target.closest && event.target.closest("[data-send-to-filter]");
    if (!filter) return;
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var panel = filter.closest(".send-to__panel");
    var shown = 0;
    panel.querySelectorAll("[data-send-to-item]").forEach(function (link) {
      var text = link.textContent.toLowerCase() + " " + link.getAttribute("href").toLowerCase();
      var match = words.every(function (word) {
        return text.indexOf(word) !== -1;
      });
      link.parentNode.hidden = !match;
      if (match) shown += 1;
    });
    var none = panel.querySelector("[data-send-to-none]");
    if (none) none.hidden = shown > 0;
  });

  // The filter takes the focus when the list arrives, for typing at once.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var filter = event.detail.target.querySelector && event.detail.target.querySelector("[data-send-to-filter]");
    if (filter && event.detail.target.closest("details[open]")) filter.focus();
  });
})();
