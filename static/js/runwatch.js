/* Following a run on its page (model page or generation page):
   - the logs stay open or closed as the person left them, through updates and reloads;
   - the tab title tells how the run is doing, then "✓ Done — <model>";
   - an optional browser notification ("Notify when done", asked for only on click) for
     runs that took over 10 s while the tab was hidden. */
(function () {
  "use strict";

  var LOGS_KEY = "playground:logs-open:";
  var NOTIFY_KEY = "playground:notify-when-done";
  var NOTIFY_AFTER_MS = 10000;
  var ENDED = { completed: "✓ Done", failed: "✗ Failed", cancelled: "Cancelled" };
  var originalTitle = document.title;
  var watched = {}; // generation code -> the last status seen on this page
  var doneTitleShown = false;

  function store(kind) {
    try {
      return window[kind];
    } catch (error) {
      return null; // storage may be unavailable (private mode, blocked cookies)
    }
  }

  function read(kind, key) {
    var s = store(kind);
    try {
      return s ? s.getItem(key) : null;
    } catch (error) {
      return null;
    }
  }

  function write(kind, key, value) {
    var s = store(kind);
    try {
      if (s) s.setItem(key, value);
    } catch (error) {
      /* full or blocked: the choice lasts for this page only */
    }
  }

  // ---- logs: as the person left them -------------------------------------------------
  function applyLogsState(root) {
    (root || document).querySelectorAll("[data-generation] .gen-logs-wrap").forEach(function (details) {
      var code = details.closest("[data-generation]").dataset.generation;
      var saved = read("sessionStorage", LOGS_KEY + code);
      if (saved === "1") details.open = true;
      else if (saved === "0") details.open = false;
    });
  }

  document.addEventListener("click", function (event) {
    var summary = event.target.closest && event.target.closest(".gen-logs-wrap > summary");
    if (!summary) return;
    var details = summary.parentNode;
    var panel = details.closest("[data-generation]");
    // The click comes before the toggle: the new state is the opposite of the current one.
    if (panel) write("sessionStorage", LOGS_KEY + panel.dataset.generation, details.open ? "0" : "1");
  });

  // ---- tab title and notification -----------------------------------------------------
  function modelName() {
    var heading = document.querySelector("h1");
    return heading ? heading.textContent.trim() : "";
  }

  function statusOf(panel) {
    var header = panel.querySelector(".gen-status");
    return header ? header.dataset.status || "" : "";
  }

  function activeTitle(panel, status) {
    if (status === "queued") {
      var position = panel.querySelector(".gen-status__position");
      var match = position && position.textContent.match(/\d+/);
      return (match ? "In queue (" + match[0] + ")" : "In queue") + " — " + modelName();
    }
    if (status === "pending") return "Starting — " + modelName();
    var bar = panel.querySelector(".gen-progress progress[value]");
    var percent = bar ? Math.round(parseFloat(bar.getAttribute("value")) * 100) + "% " : "";
    return "⏳ " + percent + "Running — " + modelName();
  }

  function tookMs(panel) {
    var header = panel.querySelector(".gen-status");
    var started = Date.parse(header && header.dataset.started);
    var finished = Date.parse(header && header.dataset.finished);
    if (isNaN(started)) return 0;
    return (isNaN(finished) ? Date.now() : finished) - started;
  }

  function notifyEnabled() {
    return read("localStorage", NOTIFY_KEY) === "1" && "Notification" in window && Notification.permission === "granted";
  }

  function notify(panel, status) {
    if (!notifyEnabled() || !document.hidden || tookMs(panel) <= NOTIFY_AFTER_MS) return;
    var prompt = document.querySelector("textarea[name=prompt]");
    var note = new Notification(ENDED[status] + " — " + modelName(), {
      body: prompt && prompt.value ? prompt.value.slice(0, 120) : "",
      tag: "generation-" + panel.dataset.generation,
    });
    note.addEventListener("click", function () {
      window.focus();
      note.close();
    });
  }

  function check() {
    var panel = document.querySelector(".gen-panel[data-generation]");
    if (!panel) return;
    var code = panel.dataset.generation;
    var status = statusOf(panel);
    var before = watched[code];
    watched[code] = status;
    if (!status) return;
    if (!ENDED[status]) {
      document.title = activeTitle(panel, status);
      doneTitleShown = false;
      return;
    }
    // Ended while this page watched it (not a finished run opened later).
    if (before && !ENDED[before]) {
      document.title = ENDED[status] + " — " + modelName();
      doneTitleShown = true;
      notify(panel, status);
    }
  }

  document.addEventListener("visibilitychange", function () {
    // The person is back: the title did its job.
    if (!document.hidden && doneTitleShown) {
      doneTitleShown = false;
      document.title = originalTitle;
    }
  });

  // ---- the "Notify when done" switch --------------------------------------------------
  function setSwitch(button, on, note) {
    button.setAttribute("aria-pressed", on ? "true" : "false");
    var hint = button.parentNode.querySelector("[data-notify-hint]");
    if (hint) {
      hint.textContent = note || "";
      hint.hidden = !note;
    }
  }

  function addSwitch() {
    var head = document.querySelector(".run-panel .panel__head");
    if (!head || !("Notification" in window)) return;
    var wrap = document.createElement("div");
    wrap.className = "notify-switch";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn--ghost btn--sm notify-switch__button";
    button.setAttribute("data-notify-toggle", "");
    button.title = "A browser notification when a run that takes over 10 s ends while this tab is hidden";
    button.textContent = "Notify when done";
    var hint = document.createElement("span");
    hint.className = "small muted notify-switch__hint";
    hint.setAttribute("data-notify-hint", "");
    hint.setAttribute("role", "status");
    hint.hidden = true;
    wrap.appendChild(button);
    wrap.appendChild(hint);
    head.appendChild(wrap);
    setSwitch(button, notifyEnabled());
    button.addEventListener("click", function () {
      if (button.getAttribute("aria-pressed") === "true") {
        write("localStorage", NOTIFY_KEY, "0");
        setSwitch(button, false);
        return;
      }
      var ask = Notification.permission === "default" ? Notification.requestPermission() : Promise.resolve(Notification.permission);
      Promise.resolve(ask).then(function (permission) {
        var granted = permission === "granted";
        write("localStorage", NOTIFY_KEY, granted ? "1" : "0");
        setSwitch(button, granted, granted ? "" : "Notifications are blocked for this site: allow them in your browser's site settings.");
      });
    });
  }

  function init() {
    applyLogsState(document);
    addSwitch();
    check();
    document.body.addEventListener("generation-started", function () {
      applyLogsState(document);
      check();
    });
    document.body.addEventListener("htmx:oobAfterSwap", check);
    document.body.addEventListener("htmx:afterSwap", function (event) {
      applyLogsState(event.detail.target);
      check();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
