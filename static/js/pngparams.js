/* Read parameters from a PNG: drop (or pick) a PNG made here or by AUTOMATIC1111 on the
   model page, and its inputs fill the form.

   The PNG is read in the browser (nothing is uploaded): its tEXt/zTXt/iTXt chunks give
   either our `input` chunk (the whole input as JSON, from a download here) or A1111's
   `parameters` text ("prompt\nNegative prompt: ...\nSteps: 28, Sampler: ..., CFG scale:
   7, Seed: 1, Size: 512x512, Model: ..."). Values are mapped by name onto the fields this
   model's schema has; the server checks them (the JSON view's payload endpoint), values it
   refuses are left out, and the page says what was restored and what did not map. */
(function () {
  "use strict";

  var MAX_BYTES = 64 * 1024 * 1024; // a PNG's text chunks come before its pixels anyway
  var PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
  // A1111 setting -> the schema fields it may fill, first present wins.
  var A1111_FIELDS = {
    "Negative prompt": ["negative_prompt"],
    Steps: ["num_inference_steps", "steps", "num_steps"],
    "CFG scale": ["guidance_scale", "cfg_scale", "guidance", "cfg"],
    Seed: ["seed"],
    Sampler: ["sampler", "sampler_name", "scheduler"],
    "Schedule type": ["scheduler"],
  };
  var NUMERIC = { Steps: true, "CFG scale": true, Seed: true };
  var SETTING = /\s*(\w[\w \-/+]*):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/g;

  // ---- reading chunks ------------------------------------------------------------------------
  function latin1(bytes) {
    var out = "";
    for (var i = 0; i < bytes.length; i += 8192) {
      out += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
    }
    return out;
  }

  function inflate(bytes) {
    if (typeof DecompressionStream === "undefined") return Promise.resolve(new Uint8Array(0));
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer().then(function (buffer) {
      return new Uint8Array(buffer);
    });
  }

  function zeroAt(bytes, from) {
    var index = bytes.indexOf(0, from);
    return index < 0 ? bytes.length : index;
  }

  /* {keyword: text} of every text chunk; rejects when the bytes are not a PNG. */
  function textChunks(buffer) {
    var bytes = new Uint8Array(buffer);
    var view = new DataView(buffer);
    for (var s = 0; s < PNG_SIGNATURE.length; s++) {
      if (bytes[s] !== PNG_SIGNATURE[s]) return Promise.reject(new Error("not-png"));
    }
    var pending = [];
    var offset = 8;
    while (offset + 8 <= bytes.length) {
      var length = view.getUint32(offset);
      var type = latin1(bytes.subarray(offset + 4, offset + 8));
      var data = bytes.subarray(offset + 8, Math.min(offset + 8 + length, bytes.length));
      if (type === "tEXt" || type === "zTXt" || type === "iTXt") pending.push(readText(type, data));
      if (type === "IEND") break;
      offset += 12 + length;
    }
    return Promise.all(pending).then(function (pairs) {
      var found = {};
      pairs.forEach(function (pair) {
        if (pair && !(pair[0] in found)) found[pair[0]] = pair[1];
      });
      return found;
    });
  }

  function readText(type, data) {
    var end = zeroAt(data, 0);
    var key = latin1(data.subarray(0, end));
    if (type === "tEXt") return Promise.resolve([key, latin1(data.subarray(end + 1))]);
    if (type === "zTXt") {
      return inflate(data.subarray(end + 2)).then(function (raw) {
        return [key, latin1(raw)];
      });
    }
    var compressed = data[end + 1] === 1;
    var language = zeroAt(data, end + 3);
    var translated = zeroAt(data, language + 1);
    var body = data.subarray(translated + 1);
    return (compressed ? inflate(body) : Promise.resolve(body)).then(function (raw) {
      return [key, new TextDecoder("utf-8").decode(raw)];
    });
  }

  // ---- understanding them --------------------------------------------------------------------
  /* AUTOMATIC1111's infotext: {prompt, "Negative prompt", Steps, ...: string}. */
  function parseA1111(text) {
    var lines = text.replace(/\r\n/g, "\n").trim().split("\n");
    var settings = {};
    var last = lines[lines.length - 1] || "";
    var pairs = [];
    var match;
    SETTING.lastIndex = 0;
    while ((match = SETTING.exec(last)) !== null) {
      if (match[0] === "") break;
      pairs.push([match[1].trim(), unquote(match[2].trim())]);
    }
    if (pairs.length >= 2 || /^\s*Steps:/.test(last)) {
      lines.pop();
      pairs.forEach(function (pair) { settings[pair[0]] = pair[1]; });
    }
    var prompt = [];
    var negative = null;
    lines.forEach(function (line) {
      if (negative === null && line.indexOf("Negative prompt:") === 0) {
        negative = [line.slice("Negative prompt:".length).trim()];
      } else if (negative !== null) {
        negative.push(line);
      } else {
        prompt.push(line);
      }
    });
    var found = { prompt: prompt.join("\n").trim() }; // the prompt first, as people read it
    if (negative !== null) found["Negative prompt"] = negative.join("\n").trim();
    return Object.assign(found, settings);
  }

  function unquote(value) {
    if (value.charAt(0) !== '"') return value;
    try {
      return JSON.parse(value);
    } catch (error) {
      return value;
    }
  }

  /* The fields of this model's form, by top-level name. */
  function schemaFields(form) {
    var names = {};
    form.querySelectorAll("[name]").forEach(function (field) {
      var name = field.name.split(/[.:]/)[0];
      if (name && name.indexOf("__") !== 0 && name !== "csrfmiddlewaretoken") names[name] = true;
    });
    return names;
  }

  /* {input: {...}, restored: [names], unmapped: ["Sampler (Euler a)", ...], source}. */
  function mapParameters(chunks, fields) {
    var input = {};
    var unmapped = [];
    if (chunks.input) {
      var data = null;
      try {
        data = JSON.parse(chunks.input);
      } catch (error) {
        data = null;
      }
      if (data && typeof data === "object" && !Array.isArray(data)) {
        Object.keys(data).forEach(function (key) {
          if (fields[key]) input[key] = data[key];
          else unmapped.push(key);
        });
        return { input: input, unmapped: unmapped, source: "this playground" };
      }
    }
    var settings = parseA1111(chunks.parameters);
    Object.keys(settings).forEach(function (name) {
      var value = settings[name];
      if (value === "") return;
      if (name === "prompt") {
        if (fields.prompt) input.prompt = value;
        else unmapped.push("prompt");
        return;
      }
      if (name === "Size" && mapSize(value, fields, input)) return;
      var target = (A1111_FIELDS[name] || []).filter(function (key) { return fields[key]; })[0];
      if (target) {
        input[target] = NUMERIC[name] && value !== "" && !isNaN(Number(value)) ? Number(value) : value;
      } else {
        unmapped.push(name + " (" + value + ")");
      }
    });
    return { input: input, unmapped: unmapped, source: "AUTOMATIC1111-style parameters" };
  }

  function mapSize(value, fields, input) {
    var size = /^(\d+)\s*x\s*(\d+)$/.exec(value);
    if (!size) return false;
    var width = Number(size[1]);
    var height = Number(size[2]);
    if (fields.width && fields.height) {
      input.width = width;
      input.height = height;
      return true;
    }
    if (fields.image_size) {
      input.image_size = { width: width, height: height };
      return true;
    }
    return false;
  }

  // ---- applying them ----------------------------------------------------------------------------
  function currentInput(page) {
    var editor = page.querySelector("[data-json-editor]");
    try {
      var value = JSON.parse(editor ? editor.value : "{}");
      return value && typeof value === "object" && !Array.isArray(value) ? value : {};
    } catch (error) {
      return {};
    }
  }

  function check(page, input) {
    var token = page.querySelector("[data-model-form] [name=csrfmiddlewaretoken]");
    return fetch(page.dataset.payloadUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": token ? token.value : "",
        Accept: "application/json",
      },
      body: JSON.stringify({ input: input }),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { status: response.status, errors: (body && body.errors) || {} };
      });
    });
  }

  /* The values the server accepts: a first check, then again without those it refused. */
  function acceptable(page, mapped) {
    var base = currentInput(page);
    var merged = Object.assign({}, base, mapped.input);
    return check(page, merged).then(function (answer) {
      if (answer.status === 200) return merged;
      var refused = {};
      Object.keys(answer.errors).forEach(function (path) {
        var key = path.split(/[.:[]/)[0];
        if (key in mapped.input) refused[key] = true;
      });
      Object.keys(refused).forEach(function (key) {
        mapped.unmapped.push(key + " (not accepted by this model)");
        delete mapped.input[key];
        if (key in base) merged[key] = base[key];
        else delete merged[key];
      });
      return merged;
    });
  }

  function apply(page, merged) {
    var editor = page.querySelector("[data-json-editor]");
    var button = page.querySelector("[data-json-apply]");
    if (!editor || !button) return;
    editor.value = JSON.stringify(merged, null, 2);
    button.click(); // the JSON view's own path: the server renders the filled form
  }

  // ---- the page --------------------------------------------------------------------------------
  function report(page, kind, title, lines) {
    var box = page.querySelector("[data-png-report]");
    box.hidden = false;
    box.className = "alert alert--" + kind + " png-report";
    box.textContent = "";
    var body = document.createElement("div");
    body.className = "alert__body";
    var heading = document.createElement("strong");
    heading.textContent = title;
    body.appendChild(heading);
    lines.forEach(function (line) {
      var p = document.createElement("p");
      p.className = "png-report__line";
      p.textContent = line;
      body.appendChild(p);
    });
    box.appendChild(body);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "alert__close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", function () { box.hidden = true; });
    box.appendChild(close);
  }

  function read(page, file) {
    if (!file) return;
    if (file.size > MAX_BYTES) {
      report(page, "error", "That file is too large to read here.", []);
      return;
    }
    file.arrayBuffer()
      .then(textChunks)
      .then(function (chunks) {
        if (!chunks.input && !chunks.parameters) {
          report(page, "warning", "This PNG carries no parameters.", [
            "Only PNGs downloaded from this playground, or saved by AUTOMATIC1111-style tools, have them.",
          ]);
          return null;
        }
        var form = page.querySelector("[data-model-form]");
        var mapped = mapParameters(chunks, schemaFields(form));
        return acceptable(page, mapped).then(function (merged) {
          apply(page, merged);
          var restored = Object.keys(mapped.input);
          var lines = [
            restored.length ? "Restored: " + restored.join(", ") + "." : "Nothing matched this model's fields.",
          ];
          if (mapped.unmapped.length) lines.push("Didn't map: " + mapped.unmapped.join("; ") + ".");
          var title = "Read parameters from " + file.name + " (" + mapped.source + ")";
          report(page, restored.length ? "success" : "warning", title, lines);
        });
      })
      .catch(function (error) {
        var message = error && error.message === "not-png" ? "That file is not a PNG." : "Could not read that PNG.";
        report(page, "error", message, []);
      });
  }

  function isFileDrag(event) {
    var types = event.dataTransfer && event.dataTransfer.types;
    return !!types && Array.prototype.indexOf.call(types, "Files") >= 0;
  }

  function setUp(page) {
    var panel = page.querySelector(".model-input");
    var actions = panel && panel.querySelector(".panel__actions");
    if (!actions || panel.querySelector("[data-png-read]")) return;

    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn--ghost btn--sm";
    button.setAttribute("data-png-read", "");
    button.title = "Restore the inputs of a PNG made here or by AUTOMATIC1111 (or drop it on the form)";
    button.textContent = "From PNG…";
    actions.appendChild(button);

    var box = document.createElement("div");
    box.setAttribute("data-png-report", "");
    box.setAttribute("role", "status");
    box.hidden = true;
    var form = panel.querySelector("[data-model-form]");
    panel.insertBefore(box, form);

    // A picker made per click and never put in the page: the form's own file fields stay
    // the only file inputs in it.
    button.addEventListener("click", function () {
      var picker = document.createElement("input");
      picker.type = "file";
      picker.accept = "image/png";
      picker.addEventListener("change", function () { read(page, picker.files[0]); });
      picker.click();
    });

    // Dropped anywhere on the input panel but a file field (those upload what they get).
    ["dragenter", "dragover"].forEach(function (type) {
      panel.addEventListener(type, function (event) {
        if (!isFileDrag(event) || event.target.closest(".dropzone")) return;
        event.preventDefault();
        panel.classList.add("png-drop--over");
      });
    });
    panel.addEventListener("dragleave", function (event) {
      if (!panel.contains(event.relatedTarget)) panel.classList.remove("png-drop--over");
    });
    panel.addEventListener("drop", function (event) {
      panel.classList.remove("png-drop--over");
      if (!isFileDrag(event) || event.target.closest(".dropzone")) return;
      event.preventDefault();
      read(page, event.dataTransfer.files[0]);
    });
  }

  function start() {
    var page = document.querySelector("[data-model-page]");
    if (page) setUp(page);
  }

  window.PlaygroundPngParams = { parseA1111: parseA1111, textChunks: textChunks };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
