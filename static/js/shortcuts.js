/* The keyboard shortcut sheet: "?" (outside a text field) or the footer's "Keyboard
   shortcuts" button opens a dialog listing every shortcut of the app; Escape or Close
   shuts it and focus returns where it was. Keep the list in step with the handlers
   (grep static/js for "keydown"). */
(function () {
  "use strict";

  var MOD = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent) ? "⌘" : "Ctrl";
  var SECTIONS = [
    {
      title: "Everywhere",
      keys: [
        [["?"], "Show this list of shortcuts"],
        [["Esc"], "Close a menu, dialog or tooltip"],
      ],
    },
    {
      title: "Models",
      keys: [[["/"], "Search models"]],
    },
    {
      title: "Model page",
      keys: [
        [[MOD, "Enter"], "Run the model"],
        [[MOD, "Enter"], "In the JSON view: apply the JSON to the form"],
        [["←", "→"], "Move between the JSON and code tabs (when one has focus)"],
        [["Enter"], "In a field: never runs the model by accident"],
      ],
    },
    {
      title: "Gallery",
      keys: [
        [["Esc"], "Clear the selection"],
        [["+"], "Zoom into an opened image"],
        [["-"], "Zoom back out"],
      ],
    },
    {
      title: "Realtime",
      keys: [
        [[MOD, "S"], "Save the current frame"],
        [[MOD, "Z"], "Undo the last stroke"],
      ],
    },
  ];
  var dialog = null;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function keyCombo(keys) {
    var combo = element("span", "shortcuts__keys");
    var joiner = keys[0] === MOD ? " + " : " / ";
    keys.forEach(function (key, index) {
      if (index) combo.appendChild(document.createTextNode(joiner));
      combo.appendChild(element("kbd", "", key));
    });
    return combo;
  }

  function build() {
    dialog = element("dialog", "shortcuts");
    dialog.setAttribute("aria-labelledby", "shortcuts-title");
    dialog.setAttribute("data-shortcuts", "");
    var head = element("div", "shortcuts__head");
    head.appendChild(element("h2", "shortcuts__title", "Keyboard shortcuts")).id = "shortcuts-title";
    var close = element("button", "btn btn--ghost btn--sm", "Close");
    close.type = "button";
    close.addEventListener("click", function () {
      dialog.close();
    });
    head.appendChild(close);
    dialog.appendChild(head);
    SECTIONS.forEach(function (section) {
      var group = element("section", "shortcuts__section");
      group.appendChild(element("h3", "shortcuts__heading", section.title));
      var list = element("dl", "shortcuts__list");
      section.keys.forEach(function (entry) {
        var row = element("div", "shortcuts__row");
        var keys = element("dt");
        keys.appendChild(keyCombo(entry[0]));
        row.appendChild(keys);
        row.appendChild(element("dd", "", entry[1]));
        list.appendChild(row);
      });
      group.appendChild(list);
      dialog.appendChild(group);
    });
    // A click on the backdrop (outside the sheet's box) closes it too.
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) dialog.close();
    });
    document.body.appendChild(dialog);
  }

  function open() {
    if (!dialog) build();
    if (!dialog.open) dialog.showModal();
  }

  function isTyping(target) {
    if (!target || !target.closest) return false;
    return Boolean(
      target.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])")
    );
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "?" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target) || document.querySelector("dialog[open]:not([data-shortcuts])")) {
      return;
    }
    event.preventDefault();
    open();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-shortcuts-open]")) open();
  });
})();
