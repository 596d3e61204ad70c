// Catalog page: "/" focuses the search box, "Clear search" empties it, "Show more" moves
// focus to the first new card, and the box follows the URL on back/forward.
(function () {
  "use strict";

  function searchBox() {
    return document.getElementById("catalog-q");
  }

  function isTyping(target) {
    if (!target || !target.closest) return false;
    return Boolean(
      target.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])")
    );
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) return;
    var box = searchBox();
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-clear-search]")) {
      var box = searchBox();
      if (box) box.value = "";
    }
  });

  // Focus the first card "Show more" added, so keyboard users carry on where they were.
  var cardsBefore = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt && event.detail.elt.hasAttribute("data-show-more")) {
      cardsBefore = document.querySelectorAll("#catalog-grid > li").length;
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (cardsBefore === null) return;
    var cards = document.querySelectorAll("#catalog-grid > li");
    var first = cards[cardsBefore] && cards[cardsBefore].querySelector("a");
    cardsBefore = null;
    if (first) first.focus();
  });

  // htmx restores a snapshot of the page on back/forward; the box keeps what was typed
  // since, so set it from the URL it now shows.
  document.addEventListener("htmx:historyRestore", function () {
    var box = searchBox();
    if (box) box.value = new URLSearchParams(window.location.search).get("q") || "";
  });
})();
