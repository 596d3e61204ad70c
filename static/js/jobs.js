/* Live generation panels: elapsed-time ticker, image lightbox with zoom, sensitive reveal. */
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

  /* Lightbox: a <dialog> with the full image; click or +/- to zoom, Esc closes. */
  var dialog;
  function lightbox(src, alt) {
    if (!dialog) {
      dialog = document.createElement("dialog");
      dialog.className = "lightbox";
      dialog.innerHTML =
        '<button type="button" class="btn btn--ghost lightbox__close" aria-label="Close">✕</button>' +
        '<div class="lightbox__stage"><img alt=""></div>';
      document.body.appendChild(dialog);
      dialog.querySelector(".lightbox__close").addEventListener("click", function () { dialog.close(); });
      dialog.addEventListener("click", function (event) { if (event.target === dialog) dialog.close(); });
      var img = dialog.querySelector("img");
      img.addEventListener("click", function () { img.classList.toggle("is-zoomed"); });
      dialog.addEventListener("keydown", function (event) {
        if (event.key === "+" || event.key === "=") img.classList.add("is-zoomed");
        if (event.key === "-") img.classList.remove("is-zoomed");
      });
    }
    var image = dialog.querySelector("img");
    image.src = src;
    image.alt = alt || "";
    image.classList.remove("is-zoomed");
    dialog.showModal();
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
      lightbox(link.href, img ? img.alt : "");
    }
  });
})();
