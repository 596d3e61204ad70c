// Dropping an earlier output (an image dragged from a result or the gallery, which carries
// `text/uri-list`) on a file field puts its URL there: no download and upload again. Files
// of ours go in by their path; the runner hands them on to fal (jobs/inputs.py). Dropped
// files (from the desktop) are left to modelform.js, which uploads them.
(function () {
  "use strict";

  function hasType(transfer, type) {
    return !!transfer && Array.prototype.indexOf.call(transfer.types, type) !== -1;
  }

  function dropzoneOf(event) {
    var zone = event.target.closest && event.target.closest("[data-dropzone]");
    return zone && zone.closest("[data-file-field]") ? zone : null;
  }

  // The dragged picture's own address: an <img> inside a link (a gallery card) lists the
  // link first, so the picture's src in the dragged HTML wins. Parsed inert: DOMParser
  // runs no script and loads nothing.
  function draggedImage(transfer) {
    var html = transfer.getData("text/html");
    if (!html) return "";
    var image = new DOMParser().parseFromString(html, "text/html").querySelector("img[src]");
    return image ? image.getAttribute("src") : "";
  }

  // The first http(s) URL of a uri-list ("#" lines are comments); "" for file:// and others.
  function firstListed(transfer) {
    var lines = (transfer.getData("text/uri-list") || "").split(/\r?\n/);
    return (
      lines.filter(function (line) {
        return line && line.charAt(0) !== "#";
      })[0] || ""
    ).trim();
  }

  function droppedUrl(transfer) {
    var text = draggedImage(transfer) || firstListed(transfer);
    var url;
    try {
      url = new URL(text, location.href);
    } catch (error) {
      return "";
    }
    if (!/^https?:$/.test(url.protocol) || !/^https?:\/\/|^\//i.test(text)) return "";
    // Ours by path (the runner hands it on to fal); others as they are.
    return url.origin === location.origin ? url.pathname + url.search : url.href;
  }

  function onDragOver(event) {
    var zone = dropzoneOf(event);
    if (!zone || !hasType(event.dataTransfer, "text/uri-list")) return;
    event.preventDefault(); // without this the browser never fires "drop" here
    zone.classList.add("dropzone--over");
  }

  function onDrop(event) {
    var zone = dropzoneOf(event);
    if (!zone || !hasType(event.dataTransfer, "text/uri-list")) return;
    var url = droppedUrl(event.dataTransfer);
    if (!url) return; // a file from the desktop: modelform.js uploads it
    event.preventDefault();
    event.stopPropagation();
    zone.classList.remove("dropzone--over");
    var input = zone.querySelector("[data-file-url]");
    input.value = url;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    var status = zone.querySelector("[data-upload-status]");
    if (status) status.hidden = true;
  }

  function onDragLeave(event) {
    var zone = dropzoneOf(event);
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("dropzone--over");
  }

  document.addEventListener("dragover", onDragOver, true);
  document.addEventListener("dragleave", onDragLeave, true);
  document.addEventListener("dragenter", onDragOver, true);
  document.addEventListener("drop", onDrop, true);
})();
