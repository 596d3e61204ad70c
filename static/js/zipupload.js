// A training set from pictures: on a file field that takes a zip of images
// (`images_data_url`), "Zip images" (or dropping several pictures) packs the chosen images
// into one zip in the browser, uploads it like any file and puts its URL in the field.
(function () {
  "use strict";

  var MAX_BYTES = 50 * 1024 * 1024; // the upload limit (catalog/views/uploads.py)
  var CRC_TABLE = (function () {
    var table = new Uint32Array(256);
    for (var n = 0; n < 256; n++) {
      var c = n;
      for (var k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
    return table;
  })();

  function crc32(bytes) {
    var crc = 0xffffffff;
    for (var i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
    return (crc ^ 0xffffffff) >>> 0;
  }

  // A "stored" zip (pictures are compressed already): local headers, then the directory.
  function makeZip(entries) {
    var parts = [];
    var directory = [];
    var offset = 0;
    var encoder = new TextEncoder();
    entries.forEach(function (entry) {
      var name = encoder.encode(entry.name);
      var crc = crc32(entry.bytes);
      var size = entry.bytes.length;
      var local = new DataView(new ArrayBuffer(30));
      local.setUint32(0, 0x04034b50, true);
      local.setUint16(4, 20, true);
      local.setUint16(6, 0x0800, true); // names are UTF-8
      local.setUint16(10, 0, true);
      local.setUint16(12, 0x5021, true); // 2020-01-01
      local.setUint32(14, crc, true);
      local.setUint32(18, size, true);
      local.setUint32(22, size, true);
      local.setUint16(26, name.length, true);
      parts.push(local, name, entry.bytes);
      var central = new DataView(new ArrayBuffer(46));
      central.setUint32(0, 0x02014b50, true);
      central.setUint16(4, 20, true);
      central.setUint16(6, 20, true);
      central.setUint16(8, 0x0800, true);
      central.setUint16(14, 0x5021, true);
      central.setUint32(16, crc, true);
      central.setUint32(20, size, true);
      central.setUint32(24, size, true);
      central.setUint16(28, name.length, true);
      central.setUint32(42, offset, true);
      directory.push(central, name);
      offset += 30 + name.length + size;
    });
    var directorySize = directory.reduce(function (sum, part) {
      return sum + part.byteLength;
    }, 0);
    var end = new DataView(new ArrayBuffer(22));
    end.setUint32(0, 0x06054b50, true);
    end.setUint16(8, entries.length, true);
    end.setUint16(10, entries.length, true);
    end.setUint32(12, directorySize, true);
    end.setUint32(16, offset, true);
    return new Blob(parts.concat(directory, [end]), { type: "application/zip" });
  }

  function uniqueNames(files) {
    var seen = {};
    return files.map(function (file) {
      var name = (file.name || "image").replace(/[\\/]/g, "_");
      var dot = name.lastIndexOf(".");
      var stem = dot > 0 ? name.slice(0, dot) : name;
      var ext = dot > 0 ? name.slice(dot) : "";
      var candidate = name;
      for (var i = 2; seen[candidate.toLowerCase()]; i++) candidate = stem + "_" + i + ext;
      seen[candidate.toLowerCase()] = true;
      return candidate;
    });
  }

  function setState(field, state, text, percent) {
    var status = field.querySelector("[data-upload-status]");
    var label = field.querySelector("[data-upload-text]");
    var bar = field.querySelector("[data-progress-bar]");
    status.hidden = state === "idle";
    status.classList.toggle("upload-status--error", state === "error");
    label.textContent = text || "";
    bar.parentNode.hidden = state === "error";
    bar.style.width = (percent || 0) + "%";
  }

  function csrfToken() {
    var input = document.querySelector("[data-model-form] [name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function zipAndUpload(field, fileList) {
    var files = Array.prototype.slice.call(fileList || []);
    var images = files.filter(function (file) {
      return /^image\//.test(file.type);
    });
    if (!images.length) {
      setState(field, "error", "Choose one or more pictures (PNG, JPEG, WebP…) to zip.");
      return;
    }
    var skipped = files.length - images.length;
    var total = images.reduce(function (sum, file) {
      return sum + file.size;
    }, 0);
    if (total > MAX_BYTES) {
      setState(field, "error", "These pictures add up to more than 50 MB, the upload limit.");
      return;
    }
    setState(field, "busy", "Zipping " + images.length + " pictures…", 2);
    var names = uniqueNames(images);
    Promise.all(
      images.map(function (file) {
        return file.arrayBuffer();
      })
    )
      .then(function (buffers) {
        var zip = makeZip(
          buffers.map(function (buffer, i) {
            return { name: names[i], bytes: new Uint8Array(buffer) };
          })
        );
        send(field, zip, images.length, skipped);
      })
      .catch(function () {
        setState(field, "error", "The pictures could not be read. Choose them again.");
      });
  }

  function send(field, zip, count, skipped) {
    var page = field.closest("[data-model-page]") || document.querySelector("[data-upload-url]");
    var request = new XMLHttpRequest();
    var data = new FormData();
    data.append("file", zip, "training-images.zip");
    request.open("POST", page.dataset.uploadUrl);
    request.setRequestHeader("X-CSRFToken", csrfToken());
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) return;
      var percent = Math.round((event.loaded / event.total) * 100);
      setState(field, "busy", "Uploading " + count + " pictures — " + percent + "%", percent);
    });
    request.addEventListener("load", function () {
      var body = {};
      try {
        body = JSON.parse(request.responseText);
      } catch (error) {
        body = {};
      }
      if (request.status !== 200 || !body.url) {
        setState(field, "error", body.error || "The upload failed (" + request.status + "). Try again.");
        return;
      }
      var note = count + " pictures zipped" + (skipped ? "; " + skipped + " other files left out" : "");
      setState(field, skipped ? "error" : "idle", skipped ? note : "");
      var input = field.querySelector("[data-file-url]");
      input.value = body.url;
      input.title = note;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
    request.addEventListener("error", function () {
      setState(field, "error", "The upload failed: the server could not be reached.");
    });
    request.send(data);
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-zip-images]")) return;
    zipAndUpload(input.closest("[data-file-field]"), input.files);
    input.value = "";
  });

  // Several pictures dropped on a training-set field: zip them (a single zip drops as is).
  document.addEventListener(
    "drop",
    function (event) {
      var zone = event.target.closest && event.target.closest("[data-dropzone]");
      var field = zone && zone.closest("[data-file-field]");
      if (!field || !field.querySelector("[data-zip-images]") || !event.dataTransfer) return;
      var files = Array.prototype.slice.call(event.dataTransfer.files || []);
      if (!files.some(function (file) { return /^image\//.test(file.type); })) return;
      event.preventDefault();
      event.stopPropagation();
      zone.classList.remove("dropzone--over");
      zipAndUpload(field, files);
    },
    true
  );
})();
