/* The Runs page, live. liveruns.js fires "runs-changed" ({code, status}) on <body> when one
   of the person's runs changes; this re-reads that run's row (jobs:run_row) and replaces
   the row shown, or, on the first page, adds a new run that matches the filters on top.
   News without a code (a reconnect, changed memberships) re-reads the first page. */
(function () {
  "use strict";

  var ANY_CODE = "00000000-0000-0000-0000-000000000000";
  var latest = {}; // run code -> number of its newest row request (older answers are dropped)
  var asked = 0;

  function results() {
    return document.getElementById("runs-results");
  }

  function get(url, headers) {
    return fetch(url, {
      credentials: "same-origin",
      headers: Object.assign({ "HX-Request": "true" }, headers || {}),
    });
  }

  function rowUrl(box, code, isNew) {
    var query = box.dataset.runsQuery || "";
    if (isNew) query = "new=1" + (query ? "&" + query : "");
    return box.dataset.rowUrl.replace(ANY_CODE, code) + (query ? "?" + query : "");
  }

  function nodeFrom(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  // A run of a model not run before: the Model filter offers it from now on.
  function offerModel(endpoint) {
    var select = document.querySelector(".runs-filters select[name=model]");
    if (!select || !endpoint) return;
    var known = Array.prototype.some.call(select.options, function (option) {
      return option.value === endpoint;
    });
    if (known) return;
    var option = document.createElement("option");
    option.value = endpoint;
    option.textContent = endpoint;
    select.appendChild(option);
  }

  function place(box, row) {
    var shown = document.getElementById(row.id);
    if (shown) {
      shown.replaceWith(row);
    } else {
      var list = document.getElementById("runs-list");
      list.insertBefore(row, list.firstElementChild);
      var empty = box.querySelector("[data-runs-empty]");
      if (empty) empty.remove();
      offerModel(row.dataset.endpoint);
    }
    if (window.htmx) window.htmx.process(row);
  }

  function refreshRow(box, code) {
    var shown = document.getElementById("run-" + code);
    if (!shown && box.dataset.runsHead !== "1") return; // older pages get no new rows
    var mine = (latest[code] = ++asked);
    get(rowUrl(box, code, !shown))
      .then(function (response) {
        return response.status === 200 ? response.text() : "";
      })
      .then(function (html) {
        var row = html && nodeFrom(html);
        if (row && latest[code] === mine && results() === box) place(box, row);
      })
      .catch(function () {
        /* offline: the next news or a reconnect brings the list up to date */
      });
  }

  function relist(box) {
    if (box.dataset.runsHead !== "1") return;
    get(window.location.pathname + window.location.search, { "HX-Target": "runs-results" })
      .then(function (response) {
        return response.ok ? response.text() : "";
      })
      .then(function (html) {
        var fresh = html && nodeFrom(html);
        if (!fresh || results() !== box) return;
        box.replaceWith(fresh);
        if (window.htmx) window.htmx.process(fresh);
      })
      .catch(function () {});
  }

  document.addEventListener("runs-changed", function (event) {
    var box = results();
    if (!box) return;
    var code = event.detail && event.detail.code;
    if (code) refreshRow(box, code);
    else relist(box);
  });
})();
