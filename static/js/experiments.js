/* Experiments: the kind panes of the new-experiment form, the model page's Experiment
   button (carries the current form over), and the grid's zoom, "differences only" and
   keyboard navigation. CSP-safe: no inline code; sizes set through the CSSOM. */
(function () {
  "use strict";

  function initKinds(form) {
    function show() {
      var checked = form.querySelector("[data-kind]:checked");
      var kind = checked ? checked.value : "seeds";
      form.querySelectorAll("[data-pane]").forEach(function (pane) {
        pane.hidden = pane.getAttribute("data-pane") !== kind;
      });
    }
    form.addEventListener("change", function (event) {
      if (event.target.matches("[data-kind]")) show();
    });
    show();
  }

  // The model page: "Experiment" posts the form as it is to the experiment page, so the
  // experiment starts from what the person typed (a plain link without JavaScript).
  function initModelPageButton(link) {
    link.addEventListener("click", function (event) {
      var form = document.querySelector("[data-model-form]");
      if (!form) return;
      event.preventDefault();
      var step = document.createElement("input");
      step.type = "hidden";
      step.name = "__step";
      step.value = "edit";
      form.appendChild(step);
      form.action = link.getAttribute("data-post-url");
      HTMLFormElement.prototype.submit.call(form); // no submit event: modelform.js stops those
    });
  }

  function initGrid(grid) {
    var zoom = document.querySelector("[data-zoom]");
    if (zoom) {
      var saved = window.localStorage && localStorage.getItem("experiment-cell-size");
      if (saved) zoom.value = saved;
      var apply = function () {
        grid.style.setProperty("--cell-size", zoom.value + "px");
        if (window.localStorage) localStorage.setItem("experiment-cell-size", zoom.value);
      };
      zoom.addEventListener("input", apply);
      apply();
    }
    var diff = document.querySelector("[data-diff-only]");
    if (diff) {
      diff.addEventListener("change", function () {
        grid.classList.toggle("xg--diff-only", diff.checked);
      });
    }
    grid.addEventListener("keydown", function (event) {
      var cell = event.target.closest("[data-cell]");
      if (!cell) return;
      var moves = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowDown: [0, 1], ArrowUp: [0, -1] };
      var move = moves[event.key];
      if (!move) return;
      var coords = cell.getAttribute("data-coords").split(",").map(Number);
      var next = coords.slice();
      next[0] += move[0];
      if (next.length > 1) next[1] += move[1];
      else if (move[1]) return;
      // Past the last row of a block: the next block (the third axis), and back.
      var target = findCell(grid, next);
      if (!target && next.length > 2 && move[1]) {
        next[2] += move[1];
        next[1] = move[1] > 0 ? 0 : lastRow(grid, next[2]);
        target = findCell(grid, next);
      }
      if (target) {
        event.preventDefault();
        focusCell(target);
      }
    });
    // Enter on a focused cell opens its generation.
    grid.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      var cell = event.target.closest("[data-cell]");
      var link = cell && event.target === cell && cell.querySelector("[data-cell-link][href]");
      if (link) link.click();
    });
    // One cell is in the Tab order (a roving tabindex); live swaps replace cells with
    // ones rendered at tabindex -1, so the entry point is set again after each.
    keepOneTabStop(grid);
    document.body.addEventListener("htmx:oobAfterSwap", function () {
      keepOneTabStop(grid);
    });
    document.body.addEventListener("htmx:wsAfterMessage", function () {
      keepOneTabStop(grid);
    });
  }

  function keepOneTabStop(grid) {
    if (grid.querySelector('[data-cell][tabindex="0"]')) return;
    var current = document.activeElement && document.activeElement.closest("[data-cell]");
    var cell = current && grid.contains(current) ? current : grid.querySelector("[data-cell]");
    if (cell) cell.tabIndex = 0;
  }

  function findCell(grid, coords) {
    return grid.querySelector('[data-coords="' + coords.join(",") + '"]');
  }

  function lastRow(grid, z) {
    var rows = 0;
    grid.querySelectorAll("[data-cell]").forEach(function (cell) {
      var c = cell.getAttribute("data-coords").split(",").map(Number);
      if (c[2] === z) rows = Math.max(rows, c[1]);
    });
    return rows;
  }

  function focusCell(target) {
    var grid = target.closest("[data-grid]");
    grid.querySelectorAll("[data-cell]").forEach(function (cell) {
      cell.tabIndex = -1;
    });
    target.tabIndex = 0;
    target.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-experiment-form]");
    if (form) initKinds(form);
    var link = document.querySelector("[data-experiment-link]");
    if (link) initModelPageButton(link);
    var grid = document.querySelector("[data-grid]");
    if (grid) initGrid(grid);
  });
})();
