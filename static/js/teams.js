// Team page: copy invite links, select a link on focus, and keep "Delete team" disabled
// until the team's name is typed (the server checks it again).
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try {
      document.execCommand("copy");
    } catch (error) {
      /* nothing more to try */
    }
    area.remove();
    return Promise.resolve();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) return;
    var input = document.querySelector(button.dataset.copyTarget);
    if (!input) return;
    copyText(input.value).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () {
        button.textContent = label;
      }, 1500);
    });
  });

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
