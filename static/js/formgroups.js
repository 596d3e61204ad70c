// Optional parts of the generated form (formgen/spec.py): an optional object starts absent
// behind "Add <name>" (its fieldset disabled, so nothing of it is posted) and gets a
// "Remove" once added; a "Send null" / "Send empty" box sends a field blank instead of
// leaving it out. modelform.js sees the change events and asks the server for the payload.
(function () {
  "use strict";

  function changed(element) {
    element.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function setPresent(group, present) {
    var body = group.querySelector(":scope > [data-optional-body]");
    var add = group.querySelector(":scope > [data-optional-add]");
    body.hidden = !present;
    body.disabled = !present;
    add.hidden = present;
    group.classList.toggle("field-group--added", present);
    if (present) {
      var first = body.querySelector(
        "input:not([type=hidden]):not([tabindex='-1']):not(:disabled), select:not(:disabled), textarea:not(:disabled)"
      );
      (first || body.querySelector("[data-optional-remove]")).focus();
      changed(body.querySelector(":scope > [data-optional-marker]"));
    } else {
      add.focus();
      changed(group);
    }
  }

  function onClick(event) {
    var button = event.target.closest("[data-optional-add], [data-optional-remove]");
    if (!button || !button.closest("[data-model-form]")) return;
    setPresent(button.closest("[data-optional]"), button.matches("[data-optional-add]"));
  }

  // A blank field's own input is disabled (not posted): the box decides what is sent.
  function onChange(event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-blank-toggle]")) return;
    var field = box.closest("[data-field]");
    var name = box.name.replace(/:blank$/, "");
    field.querySelectorAll("[name], [data-slider-range]").forEach(function (control) {
      if (control.name === name || control.matches("[data-slider-range]")) {
        control.disabled = box.checked;
      }
    });
  }

  document.addEventListener("click", onClick);
  document.addEventListener("change", onChange, true);
})();
