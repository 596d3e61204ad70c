// Light/dark theme toggle. An inline script in base.html (playground/lib/csp.py) applies a
// saved choice before the first paint; this file wires the toggle and keeps its label in step.
(function () {
  "use strict";

  var root = document.documentElement;
  var systemDark = window.matchMedia("(prefers-color-scheme: dark)");

  function currentTheme() {
    var picked = root.dataset.theme;
    if (picked === "light" || picked === "dark") return picked;
    return systemDark.matches ? "dark" : "light";
  }

  function label() {
    var next = currentTheme() === "dark" ? "light" : "dark";
    var text = "Switch to " + next + " theme";
    document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
      button.setAttribute("aria-label", text);
      button.setAttribute("title", text);
    });
  }

  function toggle() {
    var next = currentTheme() === "dark" ? "light" : "dark";
    root.dataset.theme = next;
    try {
      localStorage.setItem("theme", next);
    } catch (e) {
      // Private mode or storage disabled: the choice lasts for this page only.
    }
    label();
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-theme-toggle]")) toggle();
  });
  systemDark.addEventListener("change", label);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", label);
  } else {
    label();
  }
})();
