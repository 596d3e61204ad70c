/* Running a model from its page: Run / Ctrl+Enter posts the form to jobs:run; the live
   panel that comes back connects its own WebSocket (htmx ws). Errors land on the fields. */
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function panelFieldErrors(panel) {
    var errors = {};
    panel.querySelectorAll(".gen-field-errors [data-error-path]").forEach(function (item) {
      var path = item.getAttribute("data-error-path");
      errors[path] = [item.textContent.replace(/^[^:]*:\s*/, "")];
    });
    return errors;
  }

  function init() {
    var page = document.querySelector("[data-model-page]");
    var button = page && page.querySelector("[data-run]");
    if (!button) return;
    var form = page.querySelector("[data-model-form]");
    var panel = page.querySelector("[data-run-panel]");
    var label = button.querySelector("[data-run-label]");
    var busy = false;

    function setBusy(on) {
      busy = on;
      button.setAttribute("aria-busy", on ? "true" : "false");
      button.disabled = on;
      if (label) label.textContent = on ? "Starting…" : "Run";
    }

    var wait = page.querySelector("[data-run-wait]");
    var waitTimer = null;

    // "Rate limit reached: 100 requests a minute. Try again in 23 s.", the seconds counting
    // down to the moment a run is accepted again.
    function showWait(message, seconds) {
      if (!wait) return;
      var until = Date.now() + seconds * 1000;
      var base = String(message || "Rate limit reached.").replace(/\s*Try again in \d+ s\.$/, "");
      clearInterval(waitTimer);
      wait.classList.remove("run-wait--budget");
      function tick() {
        var left = Math.ceil((until - Date.now()) / 1000);
        if (left <= 0) {
          clearInterval(waitTimer);
          wait.hidden = true;
          wait.textContent = "";
          return;
        }
        wait.textContent = base + " Try again in " + left + " s.";
      }
      wait.hidden = false;
      tick();
      waitTimer = setInterval(tick, 1000);
    }

    // "Your monthly budget of $25.00 is reached …; ask staff to raise it.": stays beside
    // Run (no countdown: it lasts until the month ends or someone raises the budget).
    function showBlocked(message) {
      if (!wait) return;
      clearInterval(waitTimer);
      wait.textContent = message || "The monthly budget is reached.";
      wait.classList.add("run-wait--budget");
      wait.hidden = false;
    }

    function clearBlocked() {
      if (!wait || !wait.classList.contains("run-wait--budget")) return;
      wait.classList.remove("run-wait--budget");
      wait.hidden = true;
      wait.textContent = "";
    }

    function run() {
      if (busy) return;
      setBusy(true);
      var data = new FormData(form);
      fetch(button.dataset.runUrl, {
        method: "POST",
        body: data,
        headers: { "HX-Request": "true", "X-CSRFToken": csrfToken(form) },
        credentials: "same-origin",
      })
        .then(function (response) {
          if (response.status === 201) {
            clearBlocked();
            return response.text().then(function (html) {
              panel.innerHTML = html;
              if (window.htmx) window.htmx.process(panel);
              document.body.dispatchEvent(new CustomEvent("generation-started", { bubbles: true }));
              if (window.matchMedia("(max-width: 900px)").matches) panel.scrollIntoView({ behavior: "smooth" });
            });
          }
          // 422: field errors; 429: too many runs in flight (a message for the whole form),
          // or over the rate limit (retry_after: the message beside Run, counting down).
          if (response.status === 422 || response.status === 429) {
            return response.json().then(function (body) {
              if (body.retry_after) return showWait(body.detail, body.retry_after);
              if (window.PlaygroundModelForm) window.PlaygroundModelForm.showRunErrors(body.errors || {});
            });
          }
          // 402: a monthly budget is reached; the message says who can raise it.
          if (response.status === 402) {
            return response.json().then(function (body) {
              showBlocked(body.detail);
            });
          }
          if (response.status === 403 || response.redirected) {
            window.location.reload();
            return;
          }
          throw new Error("The server answered " + response.status + ".");
        })
        .catch(function (error) {
          panel.innerHTML = "";
          var alert = document.createElement("div");
          alert.className = "alert alert--error";
          alert.setAttribute("role", "alert");
          alert.textContent = "Could not start the run: " + error.message + " Try again.";
          panel.appendChild(alert);
        })
        .finally(function () {
          setBusy(false);
        });
    }

    button.addEventListener("click", run);
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
      if (event.target.closest && event.target.closest("[data-json-editor]")) return; // applies JSON
      event.preventDefault();
      run();
    });

    // A finished run with fal's field errors: show them next to the fields.
    document.body.addEventListener("htmx:oobAfterSwap", function (event) {
      var target = event.detail.target;
      if (!target || !panel.contains(target) || !target.id || !/-result$/.test(target.id)) return;
      var errors = panelFieldErrors(target);
      if (Object.keys(errors).length && window.PlaygroundModelForm) {
        window.PlaygroundModelForm.showRunErrors(errors);
      }
      var status = panel.querySelector(".gen-status");
      if (status && /completed|failed|cancelled/.test(status.dataset.status || "")) {
        document.body.dispatchEvent(new CustomEvent("generation-finished", { bubbles: true }));
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
