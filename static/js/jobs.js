/* Live generation panels: elapsed-time ticker, image lightbox with zoom and pan, sensitive reveal. */
(function () {
  "use strict";

  function formatSeconds(total) {
    if (total < 60) return total.toFixed(1) + " s";
    var minutes = Math.floor(total / 60);
    return minutes + " min " + Math.floor(total % 60) + " s";
  }

  function tick() {
    document.querySelectorAll(".gen-status[data-started]").forEach(function (status) {
      var started = Date.parse(status.dataset.started);
      var finished = status.dataset.finished ? Date.parse(status.dataset.finished) : Date.now();
      var out = status.querySelector("[data-elapsed]");
      if (out && !isNaN(started)) out.textContent = formatSeconds(Math.max(0, (finished - started) / 1000));
    });
  }
  setInterval(tick, 200);
  document.addEventListener("htmx:oobAfterSwap", tick);

  /* Lightbox: a full-screen <dialog> with the image fitted to the screen. The wheel, a
     pinch, the buttons or + - 0 zoom; a drag or the arrow keys pan; a click zooms in on
     that spot (and out again); Esc closes. The view is a transform set through the CSSOM,
     which the Content-Security-Policy allows (style attributes in markup it refuses). */
  var MAX_ZOOM = 8;
  var dialog, stage, image, zoomLabel, opener;
  var view = { scale: 1, x: 0, y: 0 };

  function clampView() {
    view.scale = Math.min(MAX_ZOOM, Math.max(1, view.scale));
    // Pan only as far as the zoomed picture reaches past the screen's edges.
    var spareX = Math.max(0, (image.offsetWidth * view.scale - stage.clientWidth) / 2);
    var spareY = Math.max(0, (image.offsetHeight * view.scale - stage.clientHeight) / 2);
    view.x = Math.min(spareX, Math.max(-spareX, view.x));
    view.y = Math.min(spareY, Math.max(-spareY, view.y));
  }

  function render() {
    clampView();
    image.style.transform =
      "translate(" + view.x + "px, " + view.y + "px) scale(" + view.scale + ")";
    image.classList.toggle("is-zoomed", view.scale > 1);
    zoomLabel.textContent = Math.round(view.scale * 100) + "%";
  }

  // Zoom to `scale`, keeping the screen point (clientX, clientY) where it is.
  function zoomTo(scale, clientX, clientY) {
    var box = stage.getBoundingClientRect();
    var px = (clientX === undefined ? box.left + box.width / 2 : clientX) - box.left - box.width / 2;
    var py = (clientY === undefined ? box.top + box.height / 2 : clientY) - box.top - box.height / 2;
    var next = Math.min(MAX_ZOOM, Math.max(1, scale));
    var ratio = next / view.scale;
    view.x = px - ratio * (px - view.x);
    view.y = py - ratio * (py - view.y);
    view.scale = next;
    render();
  }

  function fit() {
    view = { scale: 1, x: 0, y: 0 };
    render();
  }

  function panBy(dx, dy) {
    view.x += dx;
    view.y += dy;
    render();
  }

  var pointers = {};
  var gesture = null;

  function pointerList() {
    return Object.keys(pointers).map(function (id) { return pointers[id]; });
  }

  function startGesture() {
    // A finger left over from a pinch pans; lifting it is no click.
    var afterPinch = Boolean(gesture && gesture.pinch);
    var list = pointerList();
    if (list.length === 2) {
      gesture = {
        pinch: true,
        distance: Math.hypot(list[0].x - list[1].x, list[0].y - list[1].y) || 1,
        scale: view.scale,
        moved: true,
      };
    } else if (list.length === 1) {
      gesture = { pinch: false, x: list[0].x, y: list[0].y, moved: afterPinch, onImage: list[0].onImage };
    } else {
      gesture = null;
    }
  }

  function onPointerDown(event) {
    if (event.target.closest(".lightbox__bar")) return;
    try {
      stage.setPointerCapture(event.pointerId);
    } catch (error) {
      /* a pointer the browser no longer tracks: the moves still arrive on the stage */
    }
    pointers[event.pointerId] = { x: event.clientX, y: event.clientY, onImage: event.target === image };
    startGesture();
  }

  function onPointerMove(event) {
    if (!pointers[event.pointerId] || !gesture) return;
    pointers[event.pointerId].x = event.clientX;
    pointers[event.pointerId].y = event.clientY;
    var list = pointerList();
    if (gesture.pinch && list.length === 2) {
      var distance = Math.hypot(list[0].x - list[1].x, list[0].y - list[1].y);
      zoomTo(gesture.scale * (distance / gesture.distance), (list[0].x + list[1].x) / 2, (list[0].y + list[1].y) / 2);
    } else if (!gesture.pinch) {
      var dx = event.clientX - gesture.x;
      var dy = event.clientY - gesture.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) gesture.moved = true;
      if (gesture.moved) panBy(dx, dy);
      gesture.x = event.clientX;
      gesture.y = event.clientY;
    }
  }

  function onPointerUp(event) {
    if (!pointers[event.pointerId]) return;
    var ended = gesture;
    delete pointers[event.pointerId];
    if (ended && !ended.pinch && !ended.moved) {
      // A click: on the picture it zooms in there (or back out), beside it it closes.
      if (ended.onImage) {
        if (view.scale > 1) fit();
        else zoomTo(2.5, event.clientX, event.clientY);
      } else {
        dialog.close();
      }
    }
    startGesture();
  }

  function onKey(event) {
    var step = Math.max(40, stage.clientWidth * 0.1);
    var keys = {
      "+": function () { zoomTo(view.scale * 1.25); },
      "=": function () { zoomTo(view.scale * 1.25); },
      "-": function () { zoomTo(view.scale / 1.25); },
      _: function () { zoomTo(view.scale / 1.25); },
      0: fit,
      ArrowLeft: function () { panBy(step, 0); },
      ArrowRight: function () { panBy(-step, 0); },
      ArrowUp: function () { panBy(0, step); },
      ArrowDown: function () { panBy(0, -step); },
    };
    if (event.ctrlKey || event.metaKey || event.altKey || !keys[event.key]) return;
    // Arrows on a focused toolbar button still pan: the picture is what they are for here.
    event.preventDefault();
    keys[event.key]();
  }

  function buildLightbox() {
    dialog = document.createElement("dialog");
    dialog.className = "lightbox";
    dialog.setAttribute("aria-label", "Image viewer");
    dialog.innerHTML =
      '<div class="lightbox__stage" data-lightbox-stage><img alt="" draggable="false"></div>' +
      '<div class="lightbox__bar" role="toolbar" aria-label="Zoom">' +
      '<button type="button" class="lightbox__btn" data-zoom="out" aria-label="Zoom out" title="Zoom out (-)">−</button>' +
      '<output class="lightbox__zoom" aria-live="polite">100%</output>' +
      '<button type="button" class="lightbox__btn" data-zoom="in" aria-label="Zoom in" title="Zoom in (+)">+</button>' +
      '<button type="button" class="lightbox__btn" data-zoom="fit" title="Fit to screen (0)">Fit</button>' +
      '<button type="button" class="lightbox__btn lightbox__close" aria-label="Close" title="Close (Esc)">✕</button>' +
      "</div>" +
      '<p class="visually-hidden">Scroll or pinch to zoom, drag to pan; keys: + and - zoom, 0 fits, arrows pan, Escape closes.</p>';
    document.body.appendChild(dialog);
    stage = dialog.querySelector("[data-lightbox-stage]");
    image = stage.querySelector("img");
    zoomLabel = dialog.querySelector(".lightbox__zoom");
    dialog.querySelector(".lightbox__close").addEventListener("click", function () { dialog.close(); });
    dialog.querySelector(".lightbox__bar").addEventListener("click", function (event) {
      var button = event.target.closest("[data-zoom]");
      if (!button) return;
      var zoom = button.dataset.zoom;
      if (zoom === "in") zoomTo(view.scale * 1.25);
      else if (zoom === "out") zoomTo(view.scale / 1.25);
      else fit();
    });
    stage.addEventListener("wheel", function (event) {
      event.preventDefault();
      // Trackpad pinches arrive as wheel events with ctrlKey and small deltas.
      var delta = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
      zoomTo(view.scale * Math.exp(-delta * (event.ctrlKey ? 0.01 : 0.002)), event.clientX, event.clientY);
    }, { passive: false });
    stage.addEventListener("pointerdown", onPointerDown);
    stage.addEventListener("pointermove", onPointerMove);
    stage.addEventListener("pointerup", onPointerUp);
    stage.addEventListener("pointercancel", onPointerUp);
    // On the document: a click on the picture may leave focus on <body>, outside the dialog.
    document.addEventListener("keydown", function (event) {
      if (dialog.open) onKey(event);
    });
    image.addEventListener("load", fit);
    dialog.addEventListener("close", function () {
      pointers = {};
      gesture = null;
      // Back to the link that opened it, whatever had focus meanwhile: the browser's own
      // return goes to what was focused before, which a mouse click does not always set.
      // A live update may have drawn the panel again meanwhile: then its new copy.
      var back = opener && (opener.isConnected ? opener
        : document.querySelector('a[data-lightbox][href="' + CSS.escape(opener.getAttribute("href")) + '"]'));
      if (back) back.focus();
      opener = null;
    });
  }

  function lightbox(src, alt, from) {
    if (!dialog) buildLightbox();
    opener = from || null;
    image.src = src;
    image.alt = alt || "";
    dialog.showModal();
    fit();
  }

  document.addEventListener("click", function (event) {
    var reveal = event.target.closest("[data-reveal]");
    if (reveal) {
      reveal.closest(".gen-asset").classList.remove("gen-asset--nsfw");
      reveal.remove();
      return;
    }
    var link = event.target.closest("a[data-lightbox]");
    if (link && !event.metaKey && !event.ctrlKey) {
      if (link.closest(".gen-asset--nsfw")) { event.preventDefault(); return; }
      event.preventDefault();
      var img = link.querySelector("img");
      lightbox(link.href, img ? img.alt : "", link);
    }
  });
})();
