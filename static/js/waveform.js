/* Audio cards draw the real waveform of their sound: each `canvas[data-waveform]` that
   scrolls into view fetches its file (up to MAX_BYTES), decodes it with Web Audio and
   draws BARS peaks. One decode at a time, so a page of audio cards never holds more than
   one decoded sound. A sound the browser cannot decode keeps a flat line. */
(function () {
  "use strict";

  var MAX_BYTES = 12 * 1024 * 1024;
  var BARS = 48;
  var queue = [];
  var busy = false;

  function peaks(buffer) {
    var channels = [];
    for (var c = 0; c < buffer.numberOfChannels; c++) channels.push(buffer.getChannelData(c));
    var length = buffer.length;
    var size = Math.max(1, Math.floor(length / BARS));
    var out = [];
    for (var bar = 0; bar < BARS; bar++) {
      var start = bar * size;
      var end = Math.min(length, start + size);
      var peak = 0;
      // Every 4th sample: a bar's peak without touching a million samples per card.
      for (var i = start; i < end; i += 4) {
        for (var k = 0; k < channels.length; k++) {
          var value = Math.abs(channels[k][i]);
          if (value > peak) peak = value;
        }
      }
      out.push(peak);
    }
    var loudest = Math.max.apply(null, out) || 1;
    return out.map(function (p) { return p / loudest; });
  }

  function draw(canvas, values) {
    var ratio = window.devicePixelRatio || 1;
    var width = canvas.clientWidth || 240;
    var height = canvas.clientHeight || 80;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    var context = canvas.getContext("2d");
    context.scale(ratio, ratio);
    context.clearRect(0, 0, width, height);
    context.fillStyle = getComputedStyle(canvas).color;
    var step = width / values.length;
    var bar = Math.max(1, step * 0.6);
    values.forEach(function (value, index) {
      var h = Math.max(2, value * (height - 4));
      context.fillRect(index * step + (step - bar) / 2, (height - h) / 2, bar, h);
    });
  }

  function flat(canvas) {
    var values = [];
    for (var i = 0; i < BARS; i++) values.push(0);
    draw(canvas, values);
    canvas.setAttribute("data-waveform-state", "flat");
  }

  function decode(canvas) {
    var bytes = Number(canvas.getAttribute("data-bytes") || 0);
    if (bytes > MAX_BYTES) return Promise.resolve(flat(canvas));
    var Offline = window.OfflineAudioContext || window.webkitOfflineAudioContext;
    if (!Offline) return Promise.resolve(flat(canvas));
    return fetch(canvas.getAttribute("data-waveform"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.arrayBuffer();
      })
      .then(function (data) {
        // An offline context decodes without a user gesture and plays nothing.
        return new Offline(1, 1, 44100).decodeAudioData(data);
      })
      .then(function (buffer) {
        draw(canvas, peaks(buffer));
        canvas.setAttribute("data-waveform-state", "drawn");
      })
      .catch(function () { flat(canvas); });
  }

  function next() {
    if (busy || !queue.length) return;
    busy = true;
    decode(queue.shift()).then(function () {
      busy = false;
      next();
    });
  }

  var observer = "IntersectionObserver" in window
    ? new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (!entry.isIntersecting) return;
          observer.unobserve(entry.target);
          queue.push(entry.target);
        });
        next();
      }, { rootMargin: "200px" })
    : null;

  function scan(root) {
    (root || document).querySelectorAll("canvas[data-waveform]:not([data-waveform-seen])").forEach(
      function (canvas) {
        canvas.setAttribute("data-waveform-seen", "");
        if (observer) observer.observe(canvas);
        else queue.push(canvas);
      }
    );
    next();
  }

  document.addEventListener("htmx:afterSwap", function (event) { scan(event.detail.target); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { scan(); });
  else scan();
})();
