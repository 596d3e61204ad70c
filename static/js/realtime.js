/* The realtime page: an input source (drawing canvas, webcam, uploaded image) streamed as
   JPEG frames to RealtimeConsumer, the form's settings alongside, and the model's output
   shown as it arrives. Wire format: playground/realtime/frames.py.

   Latest wins here too: at most two frames are out (one at fal, one waiting on the
   server); while both are out, changes only mark the canvas dirty, and the next frame
   sent is a fresh capture of whatever the canvas shows then. */
(function () {
  "use strict";

  var MAX_OUT = 2;
  var JPEG_QUALITY = 0.85;
  var UNDO_DEPTH = 20;
  var PARAMS_DELAY = 120;

  var page, canvas, ctx, form, output, empty, conn, connText, saveButton, pauseButton;
  var socket = null;
  var retryDelay = 500;
  var seq = 0;
  var out = new Map(); // seq -> time sent
  var timings = new Map(); // seq -> fal's own time (ms)
  var dirty = false;
  var capturing = false;
  var paused = false;
  var shownSeq = null;
  var shownUrl = null;
  var resultTimes = [];
  var roundTrips = [];
  var hasPicture = false;
  var paramsTimer = null;
  var source = "draw";
  var webcam = null;
  var undo = [];
  var drawing = null;

  function $(selector, root) {
    return (root || page).querySelector(selector);
  }

  // ---- connection ---------------------------------------------------------------------------
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + page.dataset.wsPath);
    socket.binaryType = "arraybuffer";
    setConn("connecting", "Connecting…");
    socket.addEventListener("open", function () {
      retryDelay = 500;
      out.clear();
      sendParams();
    });
    socket.addEventListener("message", function (event) {
      if (typeof event.data === "string") onMessage(JSON.parse(event.data));
      else onResult(event.data);
    });
    socket.addEventListener("close", function (event) {
      socket = null;
      out.clear();
      if (event.code === 1006 && retryDelay > 8000) {
        setConn("error", "Can't reach the server. Retrying…");
      } else {
        setConn("connecting", "Reconnecting…");
      }
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
    });
  }

  function isOpen() {
    return socket && socket.readyState === WebSocket.OPEN;
  }

  function setConn(state, text) {
    conn.dataset.state = state;
    connText.textContent = text;
  }

  function onMessage(message) {
    switch (message.type) {
      case "status":
        if (message.state === "ready") setConn("ready", "Connected");
        else setConn(message.state, message.message);
        break;
      case "dropped":
        out.delete(message.seq);
        pump();
        break;
      case "error":
        if (message.seq !== undefined) out.delete(message.seq);
        showError(message.message);
        pump();
        break;
      case "invalid":
        showError(Object.keys(message.errors).length ? "Fix the highlighted settings to go on." : "");
        break;
      case "valid":
        showError("");
        markDirty();
        break;
      case "timing":
        // It may overtake its result: kept until that result is shown.
        timings.set(message.seq, message.ms);
        if (timings.size > 8) timings.delete(timings.keys().next().value);
        if (message.seq === shownSeq) showTiming(message.seq);
        break;
      case "saved":
        saveButton.disabled = false;
        saveButton.textContent = "Save frame";
        showSaved(message.url);
        break;
    }
  }

  // ---- results --------------------------------------------------------------------------------
  function onResult(buffer) {
    var view = new DataView(buffer);
    var size = view.getUint32(0);
    var header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, size)));
    var sentAt = out.get(header.seq);
    out.delete(header.seq);
    var now = performance.now();
    if (sentAt !== undefined) roundTrips.push(now - sentAt);
    if (roundTrips.length > 20) roundTrips.shift();
    resultTimes.push(now);
    showPicture(header, new Uint8Array(buffer, 4 + size));
    showError("");
    updateReadouts();
    pump();
  }

  function showPicture(header, bytes) {
    var url = header.url;
    if (!url && bytes.length) {
      url = URL.createObjectURL(new Blob([bytes], { type: header.content_type || "image/jpeg" }));
    }
    if (!url) return;
    var previous = shownUrl;
    output.onload = function () {
      if (previous && previous.indexOf("blob:") === 0) URL.revokeObjectURL(previous);
    };
    output.src = url;
    shownUrl = url;
    shownSeq = header.seq;
    output.dataset.seq = header.seq;
    output.hidden = false;
    empty.hidden = true;
    showTiming(header.seq);
    saveButton.disabled = false;
  }

  function showTiming(forSeq) {
    if (timings.has(forSeq)) $("[data-model-ms]").textContent = Math.round(timings.get(forSeq)) + " ms";
  }

  function updateReadouts() {
    var now = performance.now();
    while (resultTimes.length && now - resultTimes[0] > 2000) resultTimes.shift();
    var fps = resultTimes.length > 1 ? (resultTimes.length - 1) / ((now - resultTimes[0]) / 1000 || 1) : 0;
    if (shownSeq !== null) $("[data-fps]").textContent = fps.toFixed(fps && fps < 10 ? 1 : 0);
    if (roundTrips.length) {
      var sorted = roundTrips.slice().sort(function (a, b) {
        return a - b;
      });
      $("[data-rtt]").textContent = Math.round(sorted[Math.floor(sorted.length / 2)]) + " ms";
    }
  }

  // The fps readout decays to "–" when frames stop coming.
  function tickReadouts() {
    updateReadouts();
    setTimeout(tickReadouts, 500);
  }

  function showError(text) {
    var box = $("[data-error]");
    box.textContent = text;
    box.hidden = !text;
  }

  function showSaved(url) {
    var box = $("[data-saved]");
    box.textContent = "Saved. ";
    var link = document.createElement("a");
    link.href = url;
    link.textContent = "Open the generation";
    box.appendChild(link);
    box.hidden = false;
  }

  // ---- sending frames ---------------------------------------------------------------------------
  function markDirty() {
    dirty = true;
    pump();
  }

  function pump() {
    if (!dirty || paused || capturing || out.size >= MAX_OUT || !isOpen() || document.hidden) return;
    if (page.dataset.imageField && !hasPicture) return;
    dirty = false;
    capturing = true;
    capture(function (bytes) {
      capturing = false;
      if (!isOpen()) return;
      var mine = ++seq;
      var frame = new Uint8Array(4 + bytes.length);
      new DataView(frame.buffer).setUint32(0, mine);
      frame.set(bytes, 4);
      out.set(mine, performance.now());
      socket.send(frame.buffer);
      pump();
    });
  }

  function capture(done) {
    if (!canvas) {
      done(new Uint8Array(0)); // a prompt-only model: the frame is just "go"
      return;
    }
    canvas.toBlob(
      function (blob) {
        blob.arrayBuffer().then(function (data) {
          done(new Uint8Array(data));
        });
      },
      "image/jpeg",
      JPEG_QUALITY
    );
  }

  function sendParams() {
    if (!isOpen()) return;
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && typeof value === "string") fields.push([name, value]);
    });
    socket.send(JSON.stringify({ type: "params", fields: fields }));
  }

  function scheduleParams() {
    clearTimeout(paramsTimer);
    paramsTimer = setTimeout(sendParams, PARAMS_DELAY);
  }

  // ---- drawing -----------------------------------------------------------------------------------
  function brushColor() {
    var checked = page.querySelector("input[name=rt-color]:checked");
    return checked ? checked.value : $("[data-custom-color]").value;
  }

  function point(event) {
    var box = canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) / box.width) * canvas.width,
      y: ((event.clientY - box.top) / box.height) * canvas.height,
    };
  }

  function remember() {
    undo.push(ctx.getImageData(0, 0, canvas.width, canvas.height));
    if (undo.length > UNDO_DEPTH) undo.shift();
  }

  function onPointerDown(event) {
    if (source === "webcam" && webcam) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    remember();
    drawing = point(event);
    stroke(drawing, drawing);
  }

  function onPointerMove(event) {
    if (!drawing) return;
    var next = point(event);
    stroke(drawing, next);
    drawing = next;
  }

  function onPointerUp() {
    drawing = null;
  }

  function stroke(from, to) {
    var scale = canvas.width / canvas.getBoundingClientRect().width;
    ctx.strokeStyle = brushColor();
    ctx.lineWidth = Number($("[data-brush-size]").value) * Math.max(scale, 1);
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x + 0.01, to.y);
    ctx.stroke();
    hasPicture = true;
    markDirty();
  }

  // A first picture, so the model answers before the first stroke.
  function starter() {
    var w = canvas.width;
    var h = canvas.height;
    var sky = ctx.createLinearGradient(0, 0, 0, h * 0.65);
    sky.addColorStop(0, "#7fb2f0");
    sky.addColorStop(1, "#dceaf8");
    ctx.fillStyle = sky;
    ctx.fillRect(0, 0, w, h);
    ctx.fillStyle = "#f7d64a";
    ctx.beginPath();
    ctx.arc(w * 0.72, h * 0.28, w * 0.09, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = "#4f9a5a";
    ctx.beginPath();
    ctx.moveTo(0, h * 0.7);
    ctx.quadraticCurveTo(w * 0.3, h * 0.52, w * 0.62, h * 0.68);
    ctx.quadraticCurveTo(w * 0.85, h * 0.78, w, h * 0.64);
    ctx.lineTo(w, h);
    ctx.lineTo(0, h);
    ctx.fill();
    hasPicture = true;
  }

  function clearCanvas() {
    remember();
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    hasPicture = true;
    markDirty();
  }

  function undoStroke() {
    var last = undo.pop();
    if (!last) return;
    ctx.putImageData(last, 0, 0);
    markDirty();
  }

  // Cover the canvas with a picture (an upload, or a webcam frame), cropping the overflow.
  function cover(picture, width, height, mirror) {
    var scale = Math.max(canvas.width / width, canvas.height / height);
    var w = width * scale;
    var h = height * scale;
    ctx.save();
    if (mirror) {
      ctx.translate(canvas.width, 0);
      ctx.scale(-1, 1);
    }
    ctx.drawImage(picture, (canvas.width - w) / 2, (canvas.height - h) / 2, w, h);
    ctx.restore();
    hasPicture = true;
  }

  // ---- webcam and uploads -----------------------------------------------------------------------
  function startWebcam() {
    var status = $("[data-webcam-status]");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status.textContent = "This browser can't share a camera here (it needs HTTPS or localhost).";
      return;
    }
    status.textContent = "Asking for your camera…";
    navigator.mediaDevices
      .getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 640 } }, audio: false })
      .then(function (stream) {
        var video = $("[data-video]");
        video.srcObject = stream;
        return video.play().then(function () {
          webcam = stream;
          remember();
          status.textContent = "Camera on. Frames go out as fast as the model answers.";
          $("[data-webcam-start]").hidden = true;
          $("[data-webcam-stop]").hidden = false;
          requestAnimationFrame(webcamFrame);
        });
      })
      .catch(function (error) {
        status.textContent =
          error && error.name === "NotAllowedError"
            ? "Camera permission was refused. Allow it in the address bar, then try again."
            : "No camera could be started" + (error && error.message ? ": " + error.message : ".");
      });
  }

  function webcamFrame() {
    if (!webcam) return;
    var video = $("[data-video]");
    if (video.videoWidth) {
      cover(video, video.videoWidth, video.videoHeight, $("[data-webcam-mirror]").checked);
      markDirty();
    }
    requestAnimationFrame(webcamFrame);
  }

  function stopWebcam() {
    if (!webcam) return;
    webcam.getTracks().forEach(function (track) {
      track.stop();
    });
    webcam = null;
    $("[data-webcam-start]").hidden = false;
    $("[data-webcam-stop]").hidden = true;
    $("[data-webcam-status]").textContent = "Camera off. Its last frame stays on the canvas: draw over it.";
  }

  function useFile(file) {
    if (!file || file.type.indexOf("image/") !== 0) {
      showError("That file is not an image.");
      return;
    }
    createImageBitmap(file)
      .then(function (bitmap) {
        stopWebcam();
        remember();
        cover(bitmap, bitmap.width, bitmap.height, false);
        markDirty();
      })
      .catch(function () {
        showError("This image could not be read. Try a JPEG or PNG.");
      });
  }

  // ---- saving, pausing, tabs ------------------------------------------------------------------
  function save() {
    if (saveButton.disabled || !isOpen()) return;
    saveButton.disabled = true;
    saveButton.textContent = "Saving…";
    $("[data-saved]").hidden = true;
    socket.send(JSON.stringify({ type: "save", seq: shownSeq }));
    setTimeout(function () {
      if (saveButton.textContent === "Saving…") {
        saveButton.disabled = false;
        saveButton.textContent = "Save frame";
      }
    }, 10000);
  }

  function togglePause() {
    paused = !paused;
    pauseButton.setAttribute("aria-pressed", paused ? "true" : "false");
    pauseButton.textContent = paused ? "Resume" : "Pause";
    if (paused) setConn("idle", "Paused");
    else {
      setConn("ready", "Connected");
      markDirty();
    }
  }

  function watchTabs() {
    var tabs = page.querySelectorAll("[data-source]");
    var observer = new MutationObserver(function () {
      page.querySelectorAll("[data-source][aria-selected=true]").forEach(function (tab) {
        if (tab.dataset.source === source) return;
        source = tab.dataset.source;
        if (source !== "webcam") stopWebcam();
        canvas.classList.toggle("rt-canvas--camera", source === "webcam");
      });
    });
    tabs.forEach(function (tab) {
      observer.observe(tab, { attributes: true, attributeFilter: ["aria-selected"] });
    });
  }

  function initSource() {
    canvas = $("[data-canvas]");
    if (!canvas) {
      canvas = null;
      return;
    }
    ctx = canvas.getContext("2d", { willReadFrequently: true });
    starter();
    canvas.addEventListener("pointerdown", onPointerDown);
    canvas.addEventListener("pointermove", onPointerMove);
    canvas.addEventListener("pointerup", onPointerUp);
    canvas.addEventListener("pointercancel", onPointerUp);
    $("[data-clear]").addEventListener("click", clearCanvas);
    $("[data-undo]").addEventListener("click", undoStroke);
    var size = $("[data-brush-size]");
    size.addEventListener("input", function () {
      $("[data-brush-size-out]").textContent = size.value;
    });
    $("[data-custom-color]").addEventListener("input", function () {
      page.querySelectorAll("input[name=rt-color]").forEach(function (radio) {
        radio.checked = false;
      });
    });
    $("[data-webcam-start]").addEventListener("click", startWebcam);
    $("[data-webcam-stop]").addEventListener("click", stopWebcam);
    $("[data-image-file]").addEventListener("change", function (event) {
      useFile(event.target.files[0]);
    });
    var drop = $("[data-drop]");
    ["dragenter", "dragover"].forEach(function (type) {
      drop.addEventListener(type, function (event) {
        event.preventDefault();
        drop.classList.add("rt-drop--over");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      drop.addEventListener(type, function (event) {
        event.preventDefault();
        drop.classList.remove("rt-drop--over");
        if (type === "drop") useFile(event.dataTransfer.files[0]);
      });
    });
    watchTabs();
  }

  function init() {
    page = document.querySelector("[data-realtime]");
    if (!page) return;
    form = $("[data-model-form]");
    output = $("[data-output]");
    empty = $("[data-output-empty]");
    conn = $("[data-conn]");
    connText = $("[data-conn-text]");
    saveButton = $("[data-save]");
    pauseButton = $("[data-pause]");
    initSource();
    form.addEventListener("input", scheduleParams);
    form.addEventListener("change", scheduleParams);
    // The form's own script reacts to clicks (seed dice, rows) without an input event.
    form.addEventListener("click", function () {
      setTimeout(scheduleParams, 0);
    });
    saveButton.addEventListener("click", save);
    pauseButton.addEventListener("click", pauseHandler);
    document.addEventListener("keydown", function (event) {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
        event.preventDefault();
        save();
      } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z" && canvas) {
        if (event.target.closest && event.target.closest("input, textarea, select")) return;
        event.preventDefault();
        undoStroke();
      }
    });
    // The JSON view is read-only here: no Ctrl+Enter "apply" as on the model page.
    $(".rt-json").addEventListener(
      "keydown",
      function (event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) event.stopPropagation();
      },
      true
    );
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) markDirty();
    });
    if (!canvas) hasPicture = true;
    dirty = true;
    connect();
    tickReadouts();
  }

  function pauseHandler() {
    togglePause();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
