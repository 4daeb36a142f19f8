// The side-by-side editor's live preview: the section being edited, rendered by the server
// exactly as the page will show it (sanitised there), a moment after the last keystroke.
(function () {
  "use strict";
  var form = document.querySelector("form.side-by-side");
  if (!form) {
    return;
  }
  var pane = form.querySelector(".section-preview-body");
  var label = form.querySelector(".section-preview-language");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var timer = null;
  var latest = 0;

  function preview(textarea) {
    var asked = ++latest;
    var body = new URLSearchParams({ text: textarea.value });
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token },
      body: body,
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (answer) {
        if (asked !== latest) {
          return; // an older answer arriving after a newer one
        }
        label.textContent = "(" + textarea.lang.toUpperCase() + ")";
        pane.setAttribute("lang", textarea.lang);
        if (answer.html !== undefined) {
          pane.innerHTML = answer.html; // sanitised by the server's renderer
        } else {
          pane.textContent = answer.error || "";
        }
      })
      .catch(function () {});
  }

  form.addEventListener("focusin", function (event) {
    if (event.target.tagName === "TEXTAREA") {
      preview(event.target);
    }
  });
  form.addEventListener("input", function (event) {
    if (event.target.tagName === "TEXTAREA") {
      clearTimeout(timer);
      timer = setTimeout(preview, 300, event.target);
    }
  });
})();
