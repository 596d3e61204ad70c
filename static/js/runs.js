/* The Runs page, live: the server (jobs/runs_live.py) sends the row of each run that
   changes; a row shown is replaced in place, and a new run that matches the filters is
   added on top of the first page. After a dropped connection the list is fetched again. */
(function () {
  "use strict";

  var socket = null;
  var socketUrl = "";
  var retry = 0;
  var timer = null;

  function results() {
    return document.getElementById("runs-results");
  }

  function rowFrom(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  function apply(message) {
    var box = results();
    if (!box) return;
    var row = rowFrom(message.html);
    if (!row) return;
    var shown = document.getElementById(row.id);
    if (shown) {
      shown.replaceWith(row);
    } else if (message.created && message.matches && box.dataset.runsHead === "1") {
      var list = document.getElementById("runs-list");
      list.insertBefore(row, list.firstElementChild);
      var empty = box.querySelector("[data-runs-empty]");
      if (empty) empty.remove();
      offerModel(row.dataset.endpoint);
    } else {
      return;
    }
    if (window.htmx) window.htmx.process(row);
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

  function refetch() {
    if (!window.htmx) return;
    window.htmx.ajax("GET", window.location.pathname + window.location.search, {
      target: "#runs-results",
      swap: "outerHTML",
    });
  }

  function connect(url, isRetry) {
    if (socket) {
      socket.onclose = null;
      socket.close();
    }
    socketUrl = url;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + url);
    socket.addEventListener("open", function () {
      retry = 0;
      if (isRetry) refetch(); // what changed while the connection was down
    });
    socket.addEventListener("message", function (event) {
      try {
        apply(JSON.parse(event.data));
      } catch (error) {
        /* a malformed message changes nothing */
      }
    });
    socket.onclose = function (event) {
      if (event.code === 4403) return; // signed out: nothing to follow
      clearTimeout(timer);
      retry = Math.min(retry + 1, 6);
      timer = setTimeout(function () {
        connect(socketUrl, true);
      }, 500 * Math.pow(2, retry - 1));
    };
  }

  function follow() {
    var box = results();
    if (!box || !box.dataset.runsLive) return;
    if (socket && socketUrl === box.dataset.runsLive && socket.readyState <= 1) return;
    connect(box.dataset.runsLive, false);
  }

  function init() {
    follow();
    // New filters bring a new list (and a socket that knows them).
    document.body.addEventListener("htmx:afterSwap", follow);
    document.body.addEventListener("htmx:historyRestore", follow);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
