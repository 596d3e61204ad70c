// Team page: select an invite link on focus (ui.js copies it), and keep "Delete team"
// disabled until the team's name is typed (the server checks it again).
(function () {
  "use strict";

  document.addEventListener("focusin", function (event) {
    if (event.target.matches("[data-select-on-focus]")) event.target.select();
  });

  function syncDeleteButton(form) {
    var input = form.querySelector("input[name$='confirm']");
    var button = form.querySelector("button[type=submit]");
    if (!input || !button) return;
    var ok = input.value.trim() === form.dataset.confirmName;
    button.disabled = !ok;
  }

  document.addEventListener("input", function (event) {
    var form = event.target.closest("form[data-confirm-name]");
    if (form) syncDeleteButton(form);
  });

  function init() {
    document.querySelectorAll("form[data-confirm-name]").forEach(syncDeleteButton);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  document.addEventListener("htmx:afterSettle", init);
})();
