/* Lists of runs that follow along (dashboard, a model's recent runs): one WebSocket per page
   to /ws/runs/ hears when any of the person's runs changes status, and fires "runs-changed"
   on <body> ({code, status} in detail); lists re-read themselves on it (hx-trigger
   "runs-changed from:body"). Only pages with a [data-live-runs] element connect. */
(function () {
  "use strict";

  var retry = 1000;

  function announce(detail) {
    document.body.dispatchEvent(new CustomEvent("runs-changed", { bubbles: true, detail: detail }));
  }

  function connect(again) {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/runs/");
    socket.addEventListener("open", function () {
      retry = 1000;
      if (again) announce({ code: null, status: null }); // news may have been missed meanwhile
    });
    socket.addEventListener("message", function (event) {
      try {
        announce(JSON.parse(event.data));
      } catch (error) {
        /* not ours */
      }
    });
    socket.addEventListener("close", function (event) {
      if (event.code === 4403) return; // signed out
      setTimeout(function () {
        connect(true);
      }, retry);
      retry = Math.min(retry * 2, 30000);
    });
  }

  function init() {
    if (document.querySelector("[data-live-runs]")) connect(false);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
