/* Progressive enhancement for the portal (every form works without it):
   - forms marked data-autosave save in the background as the applicant types;
   - forms marked data-upload send the file with a progress bar;
   - buttons marked data-print print the page. */
(function () {
  "use strict";

  function csrf(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setStatus(el, text) { if (el) { el.textContent = text; } }

  document.querySelectorAll("form[data-autosave]").forEach(function (form) {
    var status = form.querySelector(".save-status");
    var timer = null, pending = false;
    function save() {
      timer = null;
      if (pending) { return; }
      pending = true;
      setStatus(status, status.dataset.savingText);
      fetch(form.action || window.location.href, {
        method: "POST",
        body: new FormData(form),
        headers: { "Accept": "application/json", "X-CSRFToken": csrf(form) },
        credentials: "same-origin"
      }).then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
        .then(function (res) {
          if (res.ok && res.data.ok) {
            setStatus(status, status.dataset.savedText + " " + res.data.saved_at);
          } else {
            setStatus(status, status.dataset.failedText + " " + (res.data.message || ""));
          }
        })
        .catch(function () { setStatus(status, status.dataset.failedText); })
        .finally(function () { pending = false; });
    }
    function later() { if (timer) { clearTimeout(timer); } timer = setTimeout(save, 1500); }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
  });

  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    var box = form.querySelector(".upload-progress");
    var bar = form.querySelector("progress");
    var status = form.querySelector(".upload-status");
    var fileInput = form.querySelector("input[type=file]");
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !fileInput || !fileInput.files.length) { return; }
      var file = fileInput.files[0];
      if (file.size > Number(form.dataset.maxBytes)) {
        event.preventDefault();
        setStatus(status, form.dataset.tooBigText);
        return;
      }
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", csrf(form));
      box.hidden = false;
      bar.value = 0;
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          var pct = Math.round(100 * e.loaded / e.total);
          bar.value = pct;
          setStatus(status, form.dataset.uploadingText + " " + pct + "%");
        }
      });
      xhr.addEventListener("load", function () {
        var data = {};
        try { data = JSON.parse(xhr.responseText); } catch (err) { data = {}; }
        if (xhr.status < 300 && data.ok) {
          bar.value = 100;
          setStatus(status, form.dataset.doneText);
          // Leave the finished bar in view a moment, then show the list with the new document.
          setTimeout(function () { window.location.reload(); }, 700);
        } else {
          setStatus(status, form.dataset.failedText + " " + (data.message || xhr.status));
        }
      });
      xhr.addEventListener("error", function () { setStatus(status, form.dataset.failedText); });
      xhr.send(new FormData(form));
    });
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
