/* Seeds on the model page. An empty seed box means "Random": the server picks the seed and
   the result shows it. A seed stays in the box for the next runs only while it is locked;
   "Use this seed" on a result puts that seed in the box and locks it. */
(function () {
  "use strict";

  function seedFields(form) {
    return Array.prototype.slice.call(form.querySelectorAll("[data-seed]"));
  }

  function fire(element) {
    element.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function isLocked(field) {
    var lock = field.querySelector("[data-seed-lock]");
    return !!lock && lock.getAttribute("aria-pressed") === "true";
  }

  // After a run starts: an unlocked seed was for that run only; the next is random again.
  function clearUnlocked(form) {
    seedFields(form).forEach(function (field) {
      var input = field.querySelector("[data-seed-input]");
      if (input && !isLocked(field) && input.value !== "") {
        input.value = "";
        fire(input);
      }
    });
  }

  function useSeed(form, seed) {
    var field = form.querySelector('[data-seed][data-field="seed"]') || seedFields(form)[0];
    if (!field) return false;
    var input = field.querySelector("[data-seed-input]");
    input.value = seed;
    field.querySelector("[data-seed-lock]").setAttribute("aria-pressed", "true");
    var advanced = field.closest("details");
    if (advanced) advanced.open = true; // show where the seed went
    fire(input);
    return true;
  }

  function init() {
    var page = document.querySelector("[data-model-page]");
    var form = page && page.querySelector("[data-model-form]");
    if (!form) return;
    page.classList.add("model-page--seeds");
    document.body.addEventListener("generation-started", function () {
      clearUnlocked(form);
    });
    // Unlocking a seed makes the next runs random again (modelform.js toggles the lock).
    form.addEventListener("click", function (event) {
      var lock = event.target.closest("[data-seed-lock]");
      if (!lock || lock.getAttribute("aria-pressed") === "true") return;
      var input = lock.closest("[data-seed]").querySelector("[data-seed-input]");
      if (input.value !== "") {
        input.value = "";
        fire(input);
      }
    });
    page.addEventListener("click", function (event) {
      var button = event.target.closest("[data-use-seed]");
      if (!button || !useSeed(form, button.dataset.useSeed)) return;
      var label = button.textContent;
      button.textContent = "Locked in the form";
      setTimeout(function () {
        button.textContent = label;
      }, 2000);
      var input = form.querySelector("[data-seed-input]");
      if (input) input.focus({ preventScroll: false });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
