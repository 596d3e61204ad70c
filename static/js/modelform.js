// The model page: widgets of the generated form, and keeping the form, the JSON view
// and the code samples in sync through the payload endpoint (the server decides what the
// input is; this file only posts the form and shows the answer).
(function () {
  "use strict";

  var MAX_UPLOAD = 50 * 1024 * 1024;
  var SEED_MAX = 2147483647;
  var TAB_KEY = "playground:model-tab";

  var page, form, fields, editor;
  var refreshTimer = null;
  var busyTimer = null;
  var inflight = null;
  var sequence = 0;
  var touched = new Set();
  var showAllErrors = false;
  var editorDirty = false;
  var recentUploads = [];
  var previewPrefixes = [];

  // ---- helpers -------------------------------------------------------------------------
  function $(selector, root) {
    return (root || document).querySelector(selector);
  }

  function $$(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  function csrfToken() {
    var input = form && form.querySelector("[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function readJSON(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try {
      return JSON.parse(node.textContent);
    } catch (error) {
      return null;
    }
  }

  function escapeHTML(text) {
    return text.replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  // Errors may name the posted path ("image_size:0.width") or the value's ("image_size.width").
  function valuePath(path) {
    return path.replace(/:\d+/g, "").replace(/:branch$/, "");
  }

  function fire(element, type) {
    element.dispatchEvent(new Event(type, { bubbles: true }));
  }

  // ---- payload: form -> server -> code, JSON view, errors ---------------------------------
  function scheduleRefresh(delay) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, delay === undefined ? 280 : delay);
  }

  function refreshNow() {
    clearTimeout(refreshTimer);
    return refresh();
  }

  function refresh() {
    // A form without a payload URL (the experiment form) has widgets only: no live check.
    if (!page.dataset.payloadUrl) return Promise.resolve();
    if (inflight) inflight.abort();
    inflight = new AbortController();
    var mine = ++sequence;
    var data = new FormData(form);
    data.delete("csrfmiddlewaretoken");
    clearTimeout(busyTimer);
    busyTimer = setTimeout(function () {
      setStatus("busy", "Updating…");
    }, 400);
    return fetch(page.dataset.payloadUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      signal: inflight.signal,
    })
      .then(readResponse)
      .then(function (answer) {
        if (mine !== sequence) return;
        clearTimeout(busyTimer);
        showPayload(answer.status, answer.body);
      })
      .catch(function (error) {
        if (error.name === "AbortError") return;
        clearTimeout(busyTimer);
        setStatus("error", "Can't reach the server. Check your connection.");
      });
  }

  function readResponse(response) {
    return response
      .json()
      .catch(function () {
        return {};
      })
      .then(function (body) {
        return { status: response.status, body: body || {} };
      });
  }

  function showPayload(status, body) {
    if (status === 200 && body.errors) status = 422; // a draft that needs attention (not a failure)
    if (body.code) showCode(body.code);
    if (body.input) showInput(body.input);
    if ("cost" in body) showCost(body.cost);
    if (status === 200) {
      showErrors({});
      setStatus("ok", "Ready to run");
      setRequestState("ok");
    } else if (status === 422) {
      var count = showErrors(body.errors || {});
      var todo = untouchedTodo(body.errors || {});
      if (todo) setStatus("todo", todo);
      else setStatus("warn", count + (count === 1 ? " field needs" : " fields need") + " attention",
        firstMessage(body.errors || {}));
      setRequestState("warn");
    } else if (status === 403) {
      setStatus("error", "Your session has ended. Reload the page to log in again.");
    } else {
      setStatus("error", firstMessage(body.errors || {}) || "Something went wrong (" + status + ").");
    }
  }

  // Before any touch, required fields still empty are a to-do, not an error (D15).
  function untouchedTodo(errors) {
    if (showAllErrors || touched.size) return "";
    var paths = Object.keys(errors);
    var onlyRequired = paths.every(function (path) {
      return [].concat(errors[path]).every(function (message) {
        return message === "This field is required.";
      });
    });
    if (!paths.length || !onlyRequired) return "";
    var labels = paths.slice(0, 3).map(labelFor);
    return "To run, fill in " + labels.join(", ") + (paths.length > 3 ? "…" : "");
  }

  function firstMessage(errors) {
    var paths = Object.keys(errors);
    if (!paths.length) return "";
    var path = paths[0];
    var label = labelFor(path);
    var message = [].concat(errors[path])[0] || "";
    return label ? label + ": " + message : message;
  }

  function labelFor(path) {
    if (path === "__all__") return "";
    var slot = errorSlot(path);
    var field = slot && slot.closest("[data-field]");
    var label = field && field.querySelector(".field__label");
    return label ? label.textContent.replace("*", "").trim() : path;
  }

  function errorSlot(path) {
    var exact = fields.querySelector('[data-error-for="' + CSS.escape(path) + '"]');
    if (exact && !exact.closest("[disabled]")) return exact;
    var wanted = valuePath(path);
    return $$("[data-error-for]", fields).filter(function (slot) {
      return valuePath(slot.dataset.errorFor) === wanted && !slot.closest("[disabled]");
    })[0];
  }

  function isTouched(path) {
    if (showAllErrors) return true;
    var wanted = valuePath(path);
    var found = false;
    touched.forEach(function (name) {
      var have = valuePath(name);
      if (have === wanted || have.indexOf(wanted + ".") === 0) found = true;
    });
    return found;
  }

  // Shows errors next to fields the user has touched; returns how many fields have errors.
  function showErrors(errors) {
    $$("[data-error-for]", fields).forEach(function (slot) {
      slot.hidden = true;
      slot.textContent = "";
    });
    $$('[aria-invalid="true"]', fields).forEach(function (control) {
      control.removeAttribute("aria-invalid");
    });
    var paths = Object.keys(errors);
    paths.forEach(function (path) {
      var slot = errorSlot(path);
      if (!slot || !isTouched(path)) return;
      [].concat(errors[path]).forEach(function (message) {
        var item = document.createElement("li");
        item.textContent = message;
        slot.appendChild(item);
      });
      slot.hidden = false;
      var field = slot.closest("[data-field]");
      var control = field && field.querySelector("input:not([type=hidden]), select, textarea, [role=radiogroup]");
      if (control) control.setAttribute("aria-invalid", "true");
    });
    return paths.length;
  }

  function setStatus(kind, text, detail) {
    var status = $("[data-payload-status]", page);
    if (!status) return;
    status.innerHTML = "";
    var span = document.createElement("span");
    span.className = "payload-status__" + kind;
    span.textContent = text;
    if (detail) span.title = detail;
    status.appendChild(span);
    if (kind === "warn") {
      var show = document.createElement("button");
      show.type = "button";
      show.className = "payload-status__show";
      show.textContent = "Show";
      show.setAttribute("aria-label", "Show what needs attention" + (detail ? ": " + detail : ""));
      show.setAttribute("data-show-errors", "");
      status.appendChild(show);
    }
  }

  // Reveal every error (not only touched fields) and bring the first one into view.
  function revealErrors() {
    showAllErrors = true;
    refreshNow().then(function () {
      var slot = $$("[data-error-for]:not([hidden])", fields)[0];
      if (!slot) return;
      var details = slot.closest("details");
      if (details) details.open = true;
      var field = slot.closest("[data-field]");
      var control = field && field.querySelector("input:not([type=hidden]), select, textarea");
      field.scrollIntoView({ block: "center", behavior: "smooth" });
      if (control) control.focus({ preventScroll: true });
    });
  }

  function setRequestState(kind) {
    var state = $("[data-request-state]", page);
    if (!state) return;
    state.className = "badge request-state " + (kind === "ok" ? "badge--success" : "badge--warning");
    state.textContent = kind === "ok" ? "Valid" : "Incomplete";
  }

  // ---- code samples -----------------------------------------------------------------------
  var KEYWORDS = {
    python: /\b(import|from|def|if|for|in|return|print|isinstance|True|False|None|with)\b/,
    javascript: /\b(import|from|const|await|async|return|if|true|false|null|console)\b/,
    curl: /\b(curl|true|false|null)\b/,
    json: /\b(true|false|null)\b/,
  };

  function highlight(code, lang) {
    var comment = lang === "python" ? "#[^\\n]*" : lang === "javascript" ? "//[^\\n]*" : "(?!)";
    var keywords = (KEYWORDS[lang] || KEYWORDS.json).source;
    var pattern = new RegExp(
      "(" + comment + ")" + // 1 comment
        '|("(?:[^"\\\\\\n]|\\\\.)*")(\\s*:)?' + // 2 string, 3 colon (a JSON key)
        "|(--[a-z-]+)" + // 4 curl flag
        "|(?:^|(?<=[\\s{,(]))([A-Za-z_$][\\w$]*)(?=:\\s)" + // 5 bare JS key
        "|(-?\\b\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?\\b)" + // 6 number
        "|" + keywords, // 7 keyword
      "g"
    );
    var html = "";
    var last = 0;
    code.replace(pattern, function (match, com, str, colon, flag, key, num, kw, offset) {
      html += escapeHTML(code.slice(last, offset));
      last = offset + match.length;
      if (com) html += span("com", com);
      else if (str) html += colon ? span("key", str) + escapeHTML(colon) : span("str", str);
      else if (flag) html += span("kw", flag);
      else if (key) html += span("key", key);
      else if (num) html += span("num", num);
      else html += span("kw", match);
      return match;
    });
    return html + escapeHTML(code.slice(last));
  }

  function span(kind, text) {
    return '<span class="tok-' + kind + '">' + escapeHTML(text) + "</span>";
  }

  // The server prices the input (usage/estimates.py): "≈ $0.025", its units in the note.
  function showCost(cost) {
    var line = $("[data-cost-estimate]", page);
    if (!line) return;
    line.hidden = !cost;
    if (!cost) return;
    var text = $("[data-cost-text]", line);
    text.textContent = cost.text;
    text.title = cost.note || "";
    $("[data-cost-note]", line).textContent = cost.note || "";
  }

  function showCode(code) {
    Object.keys(code).forEach(function (lang) {
      var block = $('[data-code="' + lang + '"]', page);
      if (block && block.textContent !== code[lang]) block.innerHTML = highlight(code[lang], lang);
    });
  }

  function showInput(input) {
    if (!editor) return;
    var text = JSON.stringify(input, null, 2);
    if (editorDirty) {
      setEditorHint("The form changed since you started editing. Apply your JSON, or discard it.", true);
      return;
    }
    if (editor.value.trim() !== text) editor.value = text;
  }

  // ---- JSON view ----------------------------------------------------------------------------
  function setEditorHint(text, warn) {
    var hint = $("[data-json-hint]", page);
    hint.textContent = text;
    hint.classList.toggle("request-panel__hint--warn", !!warn);
  }

  function setEditorDirty(dirty) {
    editorDirty = dirty;
    editor.closest(".code-block").classList.toggle("code-block--dirty", dirty);
    $("[data-json-discard]", page).hidden = !dirty;
    if (!dirty) setEditorHint("Edit the JSON, then apply it to the form.");
  }

  function showJsonErrors(messages) {
    var list = $("[data-json-errors]", page);
    list.textContent = "";
    messages.forEach(function (message) {
      var item = document.createElement("li");
      item.textContent = message;
      list.appendChild(item);
    });
    list.hidden = !messages.length;
    if (messages.length) editor.setAttribute("aria-invalid", "true");
    else editor.removeAttribute("aria-invalid");
  }

  function applyJson() {
    var value;
    try {
      value = JSON.parse(editor.value);
    } catch (error) {
      showJsonErrors(["That is not valid JSON: " + error.message]);
      return;
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) {
      showJsonErrors(["The input must be a JSON object, like {\"prompt\": \"…\"}."]);
      return;
    }
    var button = $("[data-json-apply]", page);
    button.disabled = true;
    fetch(page.dataset.payloadUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": csrfToken(),
        Accept: "application/json",
      },
      body: JSON.stringify({ input: value }),
    })
      .then(readResponse)
      .then(function (answer) {
        var body = answer.body;
        if (answer.status === 200) {
          replaceFields(body.form, true);
          setEditorDirty(false);
          editor.value = JSON.stringify(body.input, null, 2);
          showJsonErrors([]);
          showCode(body.code);
          showErrors({});
          setStatus("ok", "Ready to run");
          setRequestState("ok");
          setEditorHint("Applied to the form.");
        } else {
          var errors = body.errors || {};
          showJsonErrors(
            Object.keys(errors).map(function (path) {
              var prefix = path === "__all__" ? "" : path + ": ";
              return prefix + [].concat(errors[path]).join(" ");
            })
          );
        }
      })
      .catch(function () {
        showJsonErrors(["Can't reach the server. Check your connection."]);
      })
      .then(function () {
        button.disabled = false;
      });
  }

  function discardJson() {
    setEditorDirty(false);
    showJsonErrors([]);
    scheduleRefresh(0);
  }

  // ---- swapping the fields (Load example, Reset, Apply) ----------------------------------
  var advancedOpen = false;

  function rememberAdvanced() {
    var details = $("[data-advanced]", fields);
    advancedOpen = !!(details && details.open);
  }

  function replaceFields(html, showAll) {
    rememberAdvanced();
    fields.innerHTML = html;
    if (window.htmx) window.htmx.process(fields);
    afterSwap(showAll);
  }

  function afterSwap(showAll) {
    $$("[data-slider-range]", fields).forEach(paintSlider);
    checkPreviews(fields);
    var details = $("[data-advanced]", fields);
    if (details && advancedOpen) details.open = true;
    touched.clear();
    showAllErrors = showAll;
    if (editorDirty) setEditorDirty(false);
    scheduleRefresh(0);
  }

  // ---- widgets --------------------------------------------------------------------------------
  function syncSlider(source) {
    var wrap = source.closest("[data-slider]");
    if (!wrap) return;
    var number = $("[data-slider-number]", wrap);
    var range = $("[data-slider-range]", wrap);
    if (source === range) {
      number.value = range.value;
    } else if (number.value !== "" && !isNaN(number.valueAsNumber)) {
      range.value = number.value;
    }
    range.classList.toggle("slider__range--unset", number.value === "");
    paintSlider(range);
  }

  // The filled part of the track. Set here, through CSSOM, not by a style attribute in the
  // template: the Content-Security-Policy refuses those.
  function paintSlider(range) {
    var min = parseFloat(range.min);
    var max = parseFloat(range.max);
    var share = max > min ? ((parseFloat(range.value) - min) / (max - min)) * 100 : 0;
    range.style.setProperty("--pct", Math.min(100, Math.max(0, share)) + "%");
  }

  function updateCounter(textarea) {
    var counter = textarea.parentNode.querySelector("[data-counter]");
    if (!counter) return;
    var max = parseInt(textarea.getAttribute("maxlength"), 10);
    counter.textContent = textarea.value.length + " / " + max;
    counter.classList.toggle("textarea-wrap__counter--near", textarea.value.length >= max * 0.9);
  }

  var canFieldSize = window.CSS && CSS.supports && CSS.supports("field-sizing", "content");

  function autogrow(textarea) {
    if (canFieldSize) return;
    textarea.style.height = "auto";
    textarea.style.height = textarea.scrollHeight + 2 + "px";
  }

  function switchBranch(radio) {
    var union = radio.closest("[data-union]");
    $$(":scope > .union__branch", union).forEach(function (branch) {
      var active = branch.dataset.branch === radio.value;
      branch.hidden = !active;
      branch.disabled = !active;
    });
  }

  function randomSeed(input) {
    var max = input.max ? Math.min(parseInt(input.max, 10), SEED_MAX) : SEED_MAX;
    var min = input.min ? parseInt(input.min, 10) : 0;
    var buffer = new Uint32Array(1);
    crypto.getRandomValues(buffer);
    return min + (buffer[0] % (max - min + 1));
  }

  // Before each run (next issue), unlocked seeds get a fresh value.
  function rerollSeeds() {
    $$("[data-seed]", fields).forEach(function (seed) {
      var lock = $("[data-seed-lock]", seed);
      var input = $("[data-seed-input]", seed);
      if (lock.getAttribute("aria-pressed") !== "true") input.value = String(randomSeed(input));
    });
  }

  // -- arrays
  function addRow(array) {
    // An optional list with minItems is absent or long enough: its first Add opens them all.
    var empty = !$(":scope > [data-rows] > [data-row]", array);
    var count = empty ? parseInt(array.dataset.firstRows || "1", 10) || 1 : 1;
    for (var i = 0; i < count; i++) addOneRow(array, i === 0);
  }

  function addOneRow(array, focus) {
    var template = $(":scope > template[data-row-template]", array);
    var rows = $(":scope > [data-rows]", array);
    var index = parseInt(array.dataset.nextIndex || "0", 10);
    array.dataset.nextIndex = String(index + 1);
    var fragment = template.content.cloneNode(true);
    renameRow(fragment, array.dataset.path, index);
    var row = fragment.firstElementChild;
    row.dataset.index = String(index);
    row.classList.add("array-row--enter");
    rows.appendChild(fragment);
    $$("[data-slider-range]", row).forEach(paintSlider);
    renumber(array);
    var first = row.querySelector("input:not([type=hidden]):not([tabindex='-1']), select, textarea");
    if (first && focus) first.focus();
    touched.add(array.dataset.path);
    scheduleRefresh();
  }

  // Template rows carry "<array>.__index__" in names, ids and references: give them a number.
  function renameRow(root, arrayPath, index) {
    var pattern = new RegExp(
      "(^|[\\s-])" + escapeRegExp(arrayPath + ".__index__") + "(?=$|[\\s.:-])",
      "g"
    );
    var replacement = "$1" + arrayPath + "." + index;
    $$("*", root).forEach(function (element) {
      Array.prototype.slice.call(element.attributes).forEach(function (attribute) {
        if (attribute.value.indexOf("__index__") === -1) return;
        element.setAttribute(attribute.name, attribute.value.replace(pattern, replacement));
      });
      if (element.tagName === "TEMPLATE") renameRow(element.content, arrayPath, index);
    });
  }

  function removeRow(row) {
    var array = row.closest("[data-array]");
    var next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    renumber(array);
    var focusTarget = next ? $(":scope > [data-remove-row]", next) : $(":scope > [data-add-row]", array);
    if (focusTarget && !focusTarget.disabled) focusTarget.focus();
    touched.add(array.dataset.path);
    scheduleRefresh();
  }

  function renumber(array) {
    var rows = $$(":scope > [data-rows] > [data-row]", array);
    var label = array.dataset.itemLabel || "item";
    var min = parseInt(array.dataset.min || "0", 10) || 0;
    var max = parseInt(array.dataset.max || "0", 10) || 0;
    rows.forEach(function (row, position) {
      var number = $(":scope > .array-row__head [data-row-number]", row);
      if (number) number.textContent = String(position + 1);
      var remove = $(":scope > [data-remove-row]", row);
      remove.setAttribute("aria-label", "Remove " + label + " " + (position + 1));
      remove.disabled = rows.length <= min;
    });
    $(":scope > .field__label-row [data-array-count]", array).textContent =
      rows.length + (max ? " / " + max : "");
    $(":scope > [data-add-row]", array).disabled = !!max && rows.length >= max;
  }

  // -- files
  function fileField(element) {
    return element.closest("[data-file-field]");
  }

  function setFileUrl(field, url) {
    var input = $("[data-file-url]", field);
    input.value = url;
    showPreview(field, url);
    fire(input, "input");
  }

  // The rule of catalog/previews.py: only files stored here or on fal's CDN are loaded
  // into a preview; any other URL (a tracking pixel, an inside address) stays text.
  function canPreview(value) {
    if (/^data:/i.test(value)) return true;
    if (!value || /[\\\s]/.test(value)) return false;
    var url;
    try {
      url = new URL(value, location.href);
    } catch (error) {
      return false;
    }
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password) return false;
    return previewPrefixes.some(function (prefix) {
      var wild = prefix.indexOf("://*.") !== -1;
      var base = new URL(prefix.replace("://*.", "://"));
      if (url.protocol !== base.protocol || url.port !== base.port) return false;
      var host = wild ? url.hostname.endsWith("." + base.hostname) : url.hostname === base.hostname;
      return host && url.pathname.indexOf(base.pathname) === 0;
    });
  }

  function showPreview(field, url) {
    var media = field.dataset.media;
    var preview = $("[data-preview]", field);
    var empty = $("[data-preview-empty]", preview);
    var current = $("[data-preview-media]", preview);
    $("[data-dropzone]", field).classList.toggle("dropzone--filled", !!url);
    if (media === "file" || !url || !canPreview(url)) {
      if (current) current.remove();
      empty.hidden = false;
      if (url && media !== "file" && !canPreview(url)) {
        empty.title = "No preview: only files stored here or on fal are shown";
      } else {
        empty.removeAttribute("title");
      }
      return;
    }
    var tag = { image: "img", audio: "audio", video: "video" }[media];
    if (!current || current.tagName.toLowerCase() !== tag) {
      if (current) current.remove();
      current = document.createElement(tag);
      current.setAttribute("data-preview-media", "");
      if (tag === "img") current.alt = "Preview";
      else current.controls = true;
      if (tag === "video") current.muted = true;
      preview.appendChild(current);
    }
    current.hidden = false;
    empty.hidden = true;
    if (current.getAttribute("src") !== url) current.src = url;
  }

  // A URL that does not load (offline, expired, typo) falls back to the media icon.
  function previewFailed(media) {
    var preview = media.closest("[data-preview]");
    if (!preview) return;
    media.hidden = true;
    var empty = $("[data-preview-empty]", preview);
    empty.hidden = false;
    empty.title = "No preview: this URL did not load here";
  }

  function checkPreviews(root) {
    $$("img[data-preview-media]", root).forEach(function (image) {
      if (image.complete && image.naturalWidth === 0) previewFailed(image);
    });
  }

  function setUploadState(field, state, text, percent) {
    var status = $("[data-upload-status]", field);
    var label = $("[data-upload-text]", field);
    var bar = $("[data-progress-bar]", field);
    status.hidden = state === "idle";
    status.classList.toggle("upload-status--error", state === "error");
    label.textContent = text || "";
    label.style.color = state === "error" ? "var(--danger)" : "";
    bar.parentNode.hidden = state === "error";
    bar.style.width = (percent || 0) + "%";
  }

  function upload(field, file) {
    if (!file) return;
    if (file.size > MAX_UPLOAD) {
      setUploadState(field, "error", file.name + " is larger than 50 MB, the upload limit.");
      return;
    }
    var media = field.dataset.media;
    var url = page.dataset.uploadUrl + (media && media !== "file" ? "?media=" + media : "");
    var request = new XMLHttpRequest();
    var data = new FormData();
    data.append("file", file, file.name);
    request.open("POST", url);
    request.setRequestHeader("X-CSRFToken", csrfToken());
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) return;
      var percent = Math.round((event.loaded / event.total) * 100);
      setUploadState(field, "busy", "Uploading " + file.name + " — " + percent + "%", percent);
    });
    request.addEventListener("load", function () {
      var body = {};
      try {
        body = JSON.parse(request.responseText);
      } catch (error) {
        body = {};
      }
      if (request.status === 200 && body.url) {
        setUploadState(field, "idle");
        setFileUrl(field, body.url);
        rememberUpload(body);
      } else {
        var message = body.error || "The upload failed (" + request.status + "). Try again.";
        if (request.status === 403 && !body.error) message = "Your session has ended. Reload the page to log in again.";
        setUploadState(field, "error", message);
      }
    });
    request.addEventListener("error", function () {
      setUploadState(field, "error", "The upload failed: the server could not be reached.");
    });
    setUploadState(field, "busy", "Uploading " + file.name + "…", 2);
    request.send(data);
  }

  function rememberUpload(item) {
    recentUploads = [item].concat(
      recentUploads.filter(function (other) {
        return other.url !== item.url;
      })
    ).slice(0, 24);
  }

  function mediaOf(item) {
    var type = (item.content_type || "").split("/")[0];
    return ["image", "audio", "video"].indexOf(type) === -1 ? "file" : type;
  }

  function fillRecent(details) {
    var field = fileField(details);
    var media = field.dataset.media;
    var panel = $("[data-recent-panel]", details);
    panel.textContent = "";
    var items = recentUploads.filter(function (item) {
      return media === "file" || mediaOf(item) === media;
    });
    if (!items.length) {
      var empty = document.createElement("p");
      empty.className = "recent__empty";
      empty.textContent =
        "Nothing here yet. Files you upload, and what your runs make, appear here.";
      panel.appendChild(empty);
      return;
    }
    items.forEach(function (item) {
      var button = document.createElement("button");
      button.type = "button";
      var pictured = mediaOf(item) === "image" && canPreview(item.url);
      button.className = "recent__item" + (pictured ? "" : " recent__item--file");
      button.dataset.recentUrl = item.url;
      button.title = item.name;
      button.setAttribute("aria-label", "Use " + item.name);
      if (pictured) {
        var image = document.createElement("img");
        image.src = item.url;
        image.alt = "";
        image.loading = "lazy";
        button.appendChild(image);
      } else {
        var name = document.createElement("span");
        name.textContent = item.name;
        button.appendChild(name);
      }
      panel.appendChild(button);
    });
  }

  function closeRecent(except) {
    $$("details[data-recent][open]", page).forEach(function (details) {
      if (details !== except) details.open = false;
    });
  }

  // ---- tabs and copy --------------------------------------------------------------------------
  function selectTab(tab, focus) {
    var tabs = $$("[role=tab]", tab.parentNode);
    tabs.forEach(function (other) {
      var selected = other === tab;
      other.setAttribute("aria-selected", selected ? "true" : "false");
      other.tabIndex = selected ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
    });
    if (focus) tab.focus();
    try {
      localStorage.setItem(TAB_KEY, tab.dataset.tab);
    } catch (error) {
      /* storage may be unavailable (private mode) */
    }
  }

  function onTabKeydown(event) {
    var tab = event.target.closest("[role=tab]");
    if (!tab) return;
    var tabs = $$("[role=tab]", tab.parentNode);
    var index = tabs.indexOf(tab);
    var next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    selectTab(tabs[(next + tabs.length) % tabs.length], true);
  }

  function copy(button) {
    var target = $(button.dataset.copy, page);
    if (!target) return;
    var text = target.value !== undefined && target.tagName !== "CODE" ? target.value : target.textContent;
    var done = function () {
      button.classList.add("copy-btn--copied");
      var label = button.getAttribute("aria-label");
      button.setAttribute("aria-label", "Copied");
      setTimeout(function () {
        button.classList.remove("copy-btn--copied");
        button.setAttribute("aria-label", label);
      }, 1500);
    };
    window.PlaygroundUI.copyText(text).then(done);
  }

  // ---- events ----------------------------------------------------------------------------------
  function onFormInput(event) {
    var target = event.target;
    // Typing does not count as a touch yet: errors wait for change, blur or Run (D15).
    if (target.matches("[data-slider-range], [data-slider-number]")) syncSlider(target);
    if (target.matches("textarea")) {
      updateCounter(target);
      autogrow(target);
    }
    if (target.matches("[data-seed-input]") && target.value !== "") {
      $("[data-seed-lock]", target.closest("[data-seed]")).setAttribute("aria-pressed", "true");
    }
    if (target.matches("[data-file-url]")) showPreview(fileField(target), target.value.trim());
    if (target.matches("[data-file-input]")) return;
    scheduleRefresh();
  }

  function onFormChange(event) {
    var target = event.target;
    if (target.matches("[data-union-switch]")) switchBranch(target);
    if (target.matches("[data-file-input]")) {
      upload(fileField(target), target.files[0]);
      target.value = "";
      return;
    }
    if (target.name) touched.add(target.name);
    scheduleRefresh();
  }

  function onFormClick(event) {
    var button = event.target.closest("button, summary");
    if (!button) {
      closeRecent(null);
      return;
    }
    if (button.matches("[data-add-row]")) addRow(button.closest("[data-array]"));
    else if (button.matches("[data-remove-row]")) removeRow(button.closest("[data-row]"));
    else if (button.matches("[data-seed-randomize]")) {
      var input = $("[data-seed-input]", button.closest("[data-seed]"));
      input.value = String(randomSeed(input));
      fire(input, "input");
    } else if (button.matches("[data-seed-lock]")) {
      var pressed = button.getAttribute("aria-pressed") === "true";
      button.setAttribute("aria-pressed", pressed ? "false" : "true");
    } else if (button.matches("[data-recent] > summary")) {
      var details = button.parentNode;
      if (!details.open) fillRecent(details);
      closeRecent(details);
    } else if (button.matches("[data-recent-url]")) {
      var field = fileField(button);
      setFileUrl(field, button.dataset.recentUrl);
      var recent = button.closest("details");
      recent.open = false;
      $("summary", recent).focus();
    }
  }

  function onFormKeydown(event) {
    var target = event.target;
    var submits = form.hasAttribute("data-form-submits"); // Enter reviews an experiment: harmless
    if (!submits && event.key === "Enter" && !event.ctrlKey && !event.metaKey && target.tagName === "INPUT") {
      // Enter in a field never runs the model by accident: Run and Ctrl+Enter do.
      if (target.type !== "checkbox" && target.type !== "radio") event.preventDefault();
    }
    if (event.key === "Escape") {
      var open = target.closest("details[data-recent][open]");
      if (open) {
        open.open = false;
        $("summary", open).focus();
      }
    }
  }

  function onDrag(event) {
    var zone = event.target.closest && event.target.closest("[data-dropzone]");
    if (!zone || !event.dataTransfer || Array.prototype.indexOf.call(event.dataTransfer.types, "Files") === -1) return;
    event.preventDefault();
    zone.classList.toggle("dropzone--over", event.type === "dragover" || event.type === "dragenter");
    if (event.type === "drop") upload(fileField(zone), event.dataTransfer.files[0]);
  }

  function initEditor() {
    editor.addEventListener("input", function () {
      setEditorDirty(true);
      try {
        JSON.parse(editor.value);
        setEditorHint("Unapplied edits. Apply them to update the form.", true);
      } catch (error) {
        setEditorHint("Not valid JSON yet: " + error.message, true);
      }
    });
    editor.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        applyJson();
      }
    });
  }

  function init() {
    page = $("[data-model-page]");
    if (!page) return;
    form = $("[data-model-form]", page);
    fields = $("#form-fields", page);
    editor = $("[data-json-editor]", page);
    recentUploads = readJSON("recent-uploads") || [];
    previewPrefixes = readJSON("preview-prefixes") || [];

    form.addEventListener("input", onFormInput);
    form.addEventListener("change", onFormChange);
    form.addEventListener("click", onFormClick);
    form.addEventListener("keydown", onFormKeydown);
    form.addEventListener("focusout", function (event) {
      var name = event.target.name;
      if (!name || touched.has(name) || event.target.type === "hidden") return;
      touched.add(name);
      scheduleRefresh();
    });
    // The model page runs through its Run button; a form marked data-form-submits (the
    // experiment form) posts as any form does.
    if (!form.hasAttribute("data-form-submits")) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
      });
    }
    ["dragenter", "dragover", "dragleave", "drop"].forEach(function (type) {
      form.addEventListener(type, onDrag);
    });
    document.addEventListener("click", function (event) {
      if (!event.target.closest("details[data-recent]")) closeRecent(null);
    });
    // `error` does not bubble: listen in the capture phase for every preview.
    page.addEventListener(
      "error",
      function (event) {
        if (event.target.matches && event.target.matches("[data-preview-media]")) {
          previewFailed(event.target);
        }
      },
      true
    );
    page.addEventListener(
      "load",
      function (event) {
        if (event.target.matches && event.target.matches("[data-preview-media]")) {
          var empty = $("[data-preview-empty]", event.target.closest("[data-preview]"));
          if (empty) empty.removeAttribute("title");
        }
      },
      true
    );

    page.addEventListener("click", function (event) {
      var copyButton = event.target.closest("[data-copy]");
      if (copyButton) copy(copyButton);
      var tab = event.target.closest("[role=tab]");
      if (tab) selectTab(tab, false);
      if (event.target.closest("[data-json-apply]")) applyJson();
      if (event.target.closest("[data-json-discard]")) discardJson();
      if (event.target.closest("[data-show-errors]")) revealErrors();
    });
    page.addEventListener("keydown", onTabKeydown);

    if (editor) initEditor();

    document.body.addEventListener("htmx:beforeSwap", function (event) {
      if (event.detail.target === fields) rememberAdvanced();
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target !== fields) return;
      var trigger = event.detail.requestConfig && event.detail.requestConfig.elt;
      afterSwap(!!(trigger && trigger.matches("[data-load-example]")));
    });

    try {
      var saved = localStorage.getItem(TAB_KEY);
      var savedTab = saved && $('[role=tab][data-tab="' + saved + '"]', page);
      if (savedTab) selectTab(savedTab, false);
    } catch (error) {
      /* storage may be unavailable */
    }
    $$("[data-code]", page).forEach(function (block) {
      block.innerHTML = highlight(block.textContent, block.dataset.code);
    });
    $$("textarea", fields).forEach(autogrow);
    $$("[data-slider-range]", fields).forEach(paintSlider);
    checkPreviews(fields);
    // The browser may restore edited values (back/forward): ask the server once.
    scheduleRefresh(0);

    window.PlaygroundModelForm = {
      refresh: refresh,
      rerollSeeds: rerollSeeds,
      // Errors from a run (ours or fal's): shown on every field, not only touched ones.
      showRunErrors: function (errors) {
        showAllErrors = true;
        var count = showErrors(errors);
        if (count) setStatus("warn", count + (count === 1 ? " field needs" : " fields need") + " attention", firstMessage(errors));
        return count;
      },
    };
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
