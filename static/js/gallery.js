/* Gallery: selecting cards (Shift+click for a range, Esc clears) for bulk actions, the
   before/after slider, copying share links, and showing 422 form errors htmx returns. */
(function () {
  "use strict";

  var lastClicked = null;

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll("input[data-select]"));
  }

  function sync() {
    var form = document.querySelector("[data-bulk]");
    if (!form) return;
    var checked = boxes().filter(function (box) { return box.checked; });
    boxes().forEach(function (box) {
      var card = box.closest("[data-card]");
      if (card) card.classList.toggle("is-selected", box.checked);
    });
    form.hidden = checked.length === 0;
    var count = form.querySelector("[data-selected-count]");
    if (count) count.textContent = checked.length;
    // Move and Delete are offered only while every selected card is the person's to change.
    var foreign = checked.some(function (box) {
      var card = box.closest("[data-card]");
      return card && !card.hasAttribute("data-editable");
    });
    form.querySelectorAll("[data-needs-edit]").forEach(function (control) { control.hidden = foreign; });
    var note = form.querySelector("[data-edit-note]");
    if (note) note.hidden = !foreign;
    var compare = form.querySelector('[value="compare"]');
    if (compare) compare.disabled = checked.length < 2 || checked.length > 4;
    var gallery = document.querySelector("[data-gallery]");
    if (gallery) gallery.classList.toggle("has-selection", checked.length > 0);
  }

  document.addEventListener("click", function (event) {
    var box = event.target.closest && event.target.closest("input[data-select]");
    if (box) {
      if (event.shiftKey && lastClicked && lastClicked !== box) {
        var all = boxes();
        var a = all.indexOf(lastClicked);
        var b = all.indexOf(box);
        if (a >= 0 && b >= 0) {
          all.slice(Math.min(a, b), Math.max(a, b) + 1).forEach(function (other) {
            other.checked = box.checked;
          });
        }
      }
      lastClicked = box;
      sync();
      return;
    }
    if (event.target.closest("[data-select-all]")) {
      boxes().forEach(function (other) { other.checked = true; });
      sync();
      return;
    }
    if (event.target.closest("[data-clear-selection]")) {
      boxes().forEach(function (other) { other.checked = false; });
      sync();
      return;
    }
    if (event.target.closest("[data-dismiss-toast]")) {
      event.target.closest("[data-toast]").remove();
      return;
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && boxes().some(function (box) { return box.checked; })) {
      if (document.querySelector("details[data-menu][open], dialog[open]")) return;
      boxes().forEach(function (box) { box.checked = false; });
      sync();
    }
  });

  // Delete asks once (Undo exists, but a bulk delete of many deserves a word).
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.value === "delete" && event.target.matches("[data-bulk]")) {
      var n = boxes().filter(function (box) { return box.checked; }).length;
      if (n > 1 && !window.confirm("Delete " + n + " generations? You can undo right after.")) {
        event.preventDefault();
      }
    }
  });

  // Cards arriving by infinite scroll keep the selection state consistent.
  document.addEventListener("htmx:afterSwap", sync);

  // Field errors come back as 422 fragments: show them instead of dropping them.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var target = event.detail.target;
    if (status === 422 && target && target.closest("[data-swap-422], .g-notes")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  /* Before/after slider: the range input (keyboard, a11y) or dragging on the picture. */
  function setPosition(slider, percent) {
    percent = Math.max(0, Math.min(100, percent));
    slider.querySelector(".g-slider__stage").style.setProperty("--pos", percent + "%");
    var range = slider.querySelector("[data-slider-range]");
    if (range && String(range.value) !== String(Math.round(percent))) range.value = Math.round(percent);
  }

  document.addEventListener("input", function (event) {
    var range = event.target.closest && event.target.closest("[data-slider-range]");
    if (range) setPosition(range.closest("[data-slider]"), Number(range.value));
  });

  document.addEventListener("pointerdown", function (event) {
    var stage = event.target.closest && event.target.closest(".g-slider__stage");
    if (!stage) return;
    var slider = stage.closest("[data-slider]");
    var move = function (e) {
      var box = stage.getBoundingClientRect();
      setPosition(slider, ((e.clientX - box.left) / box.width) * 100);
    };
    move(event);
    stage.setPointerCapture(event.pointerId);
    stage.addEventListener("pointermove", move);
    stage.addEventListener("pointerup", function up() {
      stage.removeEventListener("pointermove", move);
      stage.removeEventListener("pointerup", up);
    });
  });

  document.addEventListener("DOMContentLoaded", sync);
  if (document.readyState !== "loading") sync();
})();
