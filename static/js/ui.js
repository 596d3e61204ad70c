// Small behaviours shared by every page: dropdown menus, dismissible alerts, tooltips.
(function () {
  "use strict";

  function closeMenus(except) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }

  document.addEventListener("click", function (event) {
    // Placeholder links (features still to come) stay focusable but go nowhere.
    if (event.target.closest('a[aria-disabled="true"]')) {
      event.preventDefault();
      return;
    }
    var dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) {
      var alert = dismiss.closest(".alert");
      if (alert) alert.remove();
      return;
    }
    closeMenus(event.target.closest("details[data-menu]"));
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector("details[data-menu][open]");
    if (open) {
      open.removeAttribute("open");
      open.querySelector("summary").focus();
    }
    // Tooltips must be dismissible without moving focus (WCAG 1.4.13).
    document.querySelectorAll(".tooltip-wrap:focus-within, .tooltip-wrap:hover").forEach(
      function (wrap) {
        wrap.setAttribute("data-tooltip-hidden", "");
      }
    );
  });

  document.addEventListener("focusout", function (event) {
    var wrap = event.target.closest && event.target.closest(".tooltip-wrap");
    if (wrap) wrap.removeAttribute("data-tooltip-hidden");
  });
  document.addEventListener("mouseout", function (event) {
    var wrap = event.target.closest && event.target.closest(".tooltip-wrap");
    if (wrap && !wrap.contains(event.relatedTarget)) wrap.removeAttribute("data-tooltip-hidden");
  });

  // ---- copying --------------------------------------------------------------------------
  // The clipboard API needs a secure context; plain http on a LAN falls back to a hidden
  // textarea and execCommand. Resolves once copied (or once every way has been tried).
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        legacyCopy(text);
      });
    }
    legacyCopy(text);
    return Promise.resolve();
  }

  function legacyCopy(text) {
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
  }

  // A button with data-copy-target="#field" copies that field's value and says so.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) return;
    var field = document.querySelector(button.dataset.copyTarget);
    if (!field) return;
    if (field.select) field.select();
    copyText(field.value).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () {
        button.textContent = label;
      }, 1500);
    });
  });

  // ---- refusals ---------------------------------------------------------------------------
  // A refusal (4xx) the server retargeted to the messages area (playground/lib/refusals.py)
  // is a message to show there, not a failure to drop.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.status < 500 && xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  window.PlaygroundUI = { copyText: copyText };
})();
