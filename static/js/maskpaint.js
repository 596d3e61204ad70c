// Mask painting for mask fields (`mask_url`, `mask_image_url`…): once the form's image
// field holds a picture, "Paint mask" opens it in a dialog with a canvas on top. What is
// painted becomes white (edit), the rest black (keep), at the picture's own size; saving
// uploads the mask like any file and puts its URL in the mask field.
//
// Mouse, pen and touch paint through pointer events. From the keyboard: the arrow keys
// move the brush (Shift: faster), Space or Enter paints a dab, [ and ] change its size,
// E switches to the eraser and back.
(function () {
  "use strict";

  var TINT = "rgba(229, 72, 77, 0.55)";
  var page, form, dialog, stage, picture, view, mask, sizeInput, eraseButton, status;
  var target = null; // the mask field being painted
  var drawing = false;
  var last = null;
  var cursor = { x: 0, y: 0, shown: false };

  function $(selector, root) {
    return (root || document).querySelector(selector);
  }

  function $$(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  function isMaskField(field) {
    return /mask/i.test(field.dataset.field || "") && field.dataset.media === "image";
  }

  // The picture to paint over: the first image field of the form that is not a mask.
  function sourceField() {
    return $$("[data-file-field][data-media=image]", form).filter(function (field) {
      return !isMaskField(field) && !field.closest("[disabled]");
    })[0];
  }

  // Its preview, which modelform.js shows only for files stored here or on fal: the same
  // rule decides what may be loaded into the dialog.
  function sourcePicture() {
    var field = sourceField();
    var url = field && $("[data-file-url]", field).value.trim();
    var shown = field && $("img[data-preview-media]:not([hidden])", field);
    return url && shown && shown.getAttribute("src") === url ? url : "";
  }

  // ---- the buttons in mask fields -----------------------------------------------------
  function addButtons() {
    $$("[data-file-field]", form).filter(isMaskField).forEach(function (field) {
      var actions = $(".dropzone__actions", field);
      if (!actions || $("[data-paint-mask]", actions)) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn--secondary btn--sm";
      button.setAttribute("data-paint-mask", "");
      button.textContent = "Paint mask";
      var hint = document.createElement("span");
      hint.className = "dropzone__hint";
      hint.setAttribute("data-paint-hint", "");
      hint.textContent = "Choose an image above to paint a mask over it";
      actions.appendChild(button);
      actions.appendChild(hint);
    });
    updateButtons();
  }

  function updateButtons() {
    var ready = !!sourcePicture();
    $$("[data-paint-mask]", form).forEach(function (button) {
      button.disabled = !ready;
      var hint = $("[data-paint-hint]", button.parentNode);
      if (hint) hint.hidden = ready;
    });
  }

  // ---- the dialog -----------------------------------------------------------------------
  function button(label, attribute, kind) {
    var element = document.createElement("button");
    element.type = "button";
    element.className = "btn btn--" + (kind || "secondary") + " btn--sm";
    element.textContent = label;
    element.setAttribute(attribute, "");
    return element;
  }

  function buildDialog() {
    dialog = document.createElement("dialog");
    dialog.className = "mask-dialog";
    dialog.setAttribute("aria-labelledby", "mask-dialog-title");
    dialog.setAttribute("data-mask-dialog", "");
    var title = document.createElement("h2");
    title.id = "mask-dialog-title";
    title.className = "mask-dialog__title";
    title.textContent = "Paint the mask";
    var help = document.createElement("p");
    help.className = "mask-dialog__help small muted";
    help.id = "mask-dialog-help";
    help.textContent =
      "Paint what the model may change; the rest is kept. Keyboard: arrow keys move the " +
      "brush, Space paints, [ and ] change its size, E erases.";
    stage = document.createElement("div");
    stage.className = "mask-dialog__stage";
    picture = document.createElement("img");
    picture.className = "mask-dialog__picture";
    picture.alt = "";
    view = document.createElement("canvas");
    view.className = "mask-dialog__canvas";
    view.tabIndex = 0;
    view.setAttribute("role", "application");
    view.setAttribute("aria-label", "Mask canvas: paint over the image");
    view.setAttribute("aria-describedby", "mask-dialog-help");
    view.setAttribute("data-mask-canvas", "");
    stage.appendChild(picture);
    stage.appendChild(view);
    mask = document.createElement("canvas"); // white strokes on transparent: the mask itself

    var tools = document.createElement("div");
    tools.className = "mask-dialog__tools";
    var sizeLabel = document.createElement("label");
    sizeLabel.className = "mask-dialog__size";
    sizeLabel.textContent = "Brush size ";
    sizeInput = document.createElement("input");
    sizeInput.type = "range";
    sizeInput.min = "2";
    sizeInput.max = "300";
    sizeInput.setAttribute("data-mask-size", "");
    sizeLabel.appendChild(sizeInput);
    eraseButton = button("Erase", "data-mask-erase");
    eraseButton.setAttribute("aria-pressed", "false");
    tools.appendChild(sizeLabel);
    tools.appendChild(eraseButton);
    tools.appendChild(button("Clear", "data-mask-clear"));
    tools.appendChild(button("Invert", "data-mask-invert"));

    status = document.createElement("p");
    status.className = "mask-dialog__status small";
    status.setAttribute("role", "status");
    status.setAttribute("data-mask-status", "");
    var footer = document.createElement("div");
    footer.className = "mask-dialog__footer";
    footer.appendChild(button("Cancel", "data-mask-cancel", "ghost"));
    footer.appendChild(button("Save mask", "data-mask-save", "primary"));

    [title, help, tools, stage, status, footer].forEach(function (part) {
      dialog.appendChild(part);
    });
    document.body.appendChild(dialog);

    dialog.addEventListener("click", onDialogClick);
    sizeInput.addEventListener("input", render);
    view.addEventListener("pointerdown", onPointerDown);
    view.addEventListener("pointermove", onPointerMove);
    view.addEventListener("pointerup", onPointerUp);
    view.addEventListener("pointercancel", onPointerUp);
    view.addEventListener("pointerleave", function () {
      cursor.shown = false;
      render();
    });
    view.addEventListener("keydown", onCanvasKeydown);
  }

  function open(field) {
    var url = sourcePicture();
    if (!url) return;
    if (!dialog) buildDialog();
    target = field;
    status.textContent = "Loading the image…";
    setErasing(false);
    picture.onload = function () {
      var width = picture.naturalWidth;
      var height = picture.naturalHeight;
      if (mask.width !== width || mask.height !== height) {
        mask.width = view.width = width;
        mask.height = view.height = height;
      }
      sizeInput.value = String(Math.max(4, Math.round(Math.max(width, height) / 16)));
      sizeInput.max = String(Math.max(40, Math.round(Math.max(width, height) / 3)));
      cursor = { x: width / 2, y: height / 2, shown: false };
      status.textContent = width + " × " + height + " pixels";
      fitStage(width, height);
      render();
    };
    picture.onerror = function () {
      status.textContent = "The image could not be loaded here.";
    };
    dialog.showModal(); // first: the picture is fitted to the open dialog
    view.focus();
    if (picture.getAttribute("src") !== url) {
      mask.getContext("2d").clearRect(0, 0, mask.width, mask.height);
      picture.src = url;
    } else if (picture.complete && picture.naturalWidth) {
      picture.onload();
    }
  }

  // As large as the dialog allows, small pictures scaled up too; the canvas covers the
  // picture exactly, so a point on screen maps to one pixel of the mask. (CSSOM, not a
  // style attribute: the Content-Security-Policy refuses those.)
  function fitStage(width, height) {
    var style = getComputedStyle(dialog);
    var padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    var room = Math.max(120, dialog.clientWidth - padding);
    var scale = Math.min(room / width, (window.innerHeight * 0.6) / height);
    stage.style.width = Math.floor(width * scale) + "px";
    stage.style.height = Math.floor(height * scale) + "px";
  }

  function close() {
    drawing = false;
    if (dialog.open) dialog.close();
    var opener = target && $("[data-paint-mask]", target);
    if (opener) opener.focus();
  }

  // ---- painting -------------------------------------------------------------------------
  function brush() {
    return parseInt(sizeInput.value, 10) || 10;
  }

  function erasing() {
    return eraseButton.getAttribute("aria-pressed") === "true";
  }

  function setErasing(on) {
    eraseButton.setAttribute("aria-pressed", on ? "true" : "false");
  }

  function stroke(from, to) {
    var context = mask.getContext("2d");
    context.globalCompositeOperation = erasing() ? "destination-out" : "source-over";
    context.strokeStyle = context.fillStyle = "#ffffff";
    context.lineWidth = brush();
    context.lineCap = context.lineJoin = "round";
    context.beginPath();
    if (from) {
      context.moveTo(from.x, from.y);
      context.lineTo(to.x, to.y);
      context.stroke();
    } else {
      context.arc(to.x, to.y, brush() / 2, 0, Math.PI * 2);
      context.fill();
    }
    context.globalCompositeOperation = "source-over";
    render();
  }

  // What is shown: the painted area tinted over the picture, and the brush outline.
  function render() {
    var context = view.getContext("2d");
    context.globalCompositeOperation = "source-over";
    context.clearRect(0, 0, view.width, view.height);
    context.drawImage(mask, 0, 0);
    context.globalCompositeOperation = "source-in";
    context.fillStyle = TINT;
    context.fillRect(0, 0, view.width, view.height);
    context.globalCompositeOperation = "source-over";
    if (cursor.shown) {
      context.lineWidth = Math.max(1, view.width / 400);
      context.strokeStyle = erasing() ? "#ffffff" : "#111111";
      context.beginPath();
      context.arc(cursor.x, cursor.y, brush() / 2, 0, Math.PI * 2);
      context.stroke();
    }
  }

  function point(event) {
    var box = view.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) / box.width) * view.width,
      y: ((event.clientY - box.top) / box.height) * view.height,
    };
  }

  function onPointerDown(event) {
    event.preventDefault();
    view.setPointerCapture(event.pointerId);
    drawing = true;
    last = point(event);
    cursor = { x: last.x, y: last.y, shown: true };
    stroke(null, last);
  }

  function onPointerMove(event) {
    var here = point(event);
    cursor = { x: here.x, y: here.y, shown: true };
    if (drawing) {
      stroke(last, here);
      last = here;
    } else {
      render();
    }
  }

  function onPointerUp() {
    drawing = false;
    last = null;
  }

  function onCanvasKeydown(event) {
    var step = Math.max(2, brush() / 2) * (event.shiftKey ? 4 : 1);
    var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[event.key]) {
      cursor.x = Math.min(view.width, Math.max(0, cursor.x + moves[event.key][0]));
      cursor.y = Math.min(view.height, Math.max(0, cursor.y + moves[event.key][1]));
      cursor.shown = true;
      render();
    } else if (event.key === " " || event.key === "Enter") {
      cursor.shown = true;
      stroke(null, cursor);
    } else if (event.key === "[" || event.key === "]") {
      var change = Math.max(1, Math.round(brush() / 8)) * (event.key === "[" ? -1 : 1);
      sizeInput.value = String(brush() + change);
      render();
    } else if (event.key === "e" || event.key === "E") {
      setErasing(!erasing());
      render();
    } else {
      return;
    }
    event.preventDefault();
  }

  function clearMask() {
    mask.getContext("2d").clearRect(0, 0, mask.width, mask.height);
    render();
  }

  // A canvas of the mask's size, all `colour`.
  function filledCanvas(colour) {
    var canvas = document.createElement("canvas");
    canvas.width = mask.width;
    canvas.height = mask.height;
    var context = canvas.getContext("2d");
    context.fillStyle = colour;
    context.fillRect(0, 0, canvas.width, canvas.height);
    return canvas;
  }

  function invertMask() {
    var flipped = filledCanvas("#ffffff");
    var context = flipped.getContext("2d");
    context.globalCompositeOperation = "destination-out";
    context.drawImage(mask, 0, 0);
    var own = mask.getContext("2d");
    own.clearRect(0, 0, mask.width, mask.height);
    own.drawImage(flipped, 0, 0);
    render();
  }

  // ---- saving ---------------------------------------------------------------------------
  // White where painted, black elsewhere, opaque, at the picture's size.
  function maskBlob() {
    var out = filledCanvas("#000000");
    out.getContext("2d").drawImage(mask, 0, 0);
    return new Promise(function (resolve) {
      out.toBlob(resolve, "image/png");
    });
  }

  function csrfToken() {
    var input = form.querySelector("[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function save() {
    var saveButton = $("[data-mask-save]", dialog);
    saveButton.disabled = true;
    status.textContent = "Uploading the mask…";
    maskBlob()
      .then(function (blob) {
        var data = new FormData();
        data.append("file", blob, "mask.png");
        return fetch(page.dataset.uploadUrl + "?media=image", {
          method: "POST",
          body: data,
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
        });
      })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (body) {
            if (!response.ok || !body.url) {
              throw new Error(body.error || "The upload failed (" + response.status + "). Try again.");
            }
            var input = $("[data-file-url]", target);
            input.value = body.url;
            input.dispatchEvent(new Event("input", { bubbles: true }));
            close();
          });
      })
      .catch(function (error) {
        status.textContent = error.message || "The upload failed. Try again.";
      })
      .then(function () {
        saveButton.disabled = false;
      });
  }

  function onDialogClick(event) {
    var hit = event.target.closest("button");
    if (!hit) return;
    if (hit.matches("[data-mask-erase]")) {
      setErasing(!erasing());
      render();
    } else if (hit.matches("[data-mask-clear]")) clearMask();
    else if (hit.matches("[data-mask-invert]")) invertMask();
    else if (hit.matches("[data-mask-cancel]")) close();
    else if (hit.matches("[data-mask-save]")) save();
  }

  function init() {
    page = $("[data-model-page]");
    form = page && $("[data-model-form]", page);
    if (!form) return;
    addButtons();
    // Load example, Reset and Apply JSON replace the fields: add the buttons again.
    new MutationObserver(addButtons).observe($("#form-fields", page), { childList: true });
    form.addEventListener("input", function () {
      setTimeout(updateButtons); // after modelform.js has updated the preview
    });
    form.addEventListener("click", function (event) {
      var opener = event.target.closest("[data-paint-mask]");
      if (opener) open(opener.closest("[data-file-field]"));
    });
    // A preview that loads (or fails) after a pick changes whether there is a picture.
    page.addEventListener("load", updateButtons, true);
    page.addEventListener("error", updateButtons, true);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
