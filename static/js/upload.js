/* Drag-and-drop upload: each file is its own XHR to the ingest API, with its own progress and error. */
(function () {
  "use strict";
  var P = window.Palimpsest;
  function humanSize(n) {
    if (n < 1024) return n + " B";
    if (n < 1048576) return (n / 1024).toFixed(0) + " KB";
    return (n / 1048576).toFixed(1) + " MB";
  }
  function resultText(data) {
    var r = data && data.results ? data.results[0] : data;
    if (!r) return "Uploaded.";
    var parts = [];
    if (r.pages) parts.push(r.pages + " page" + (r.pages === 1 ? "" : "s"));
    if (r.texts) parts.push(r.texts + " text" + (r.texts === 1 ? "" : "s"));
    var docs = r.documents || (r.document ? [r.document] : []);
    return "Done: " + (parts.join(", ") || "stored") + (docs.length ? " in " + docs.length + " document" + (docs.length === 1 ? "" : "s") : "");
  }
  function errorOf(xhr) {
    try {
      var data = JSON.parse(xhr.responseText);
      var r = data.results ? data.results[0] : null;
      if (r && r.error) return r.error.message || r.error.code;
    } catch (e) { /* fall through */ }
    return P.errorText(xhr.status, xhr.responseText);
  }
  /* A heavy file (many pages, frames or members) is ingested by a background job: follow its progress. */
  function follow(root, li, bar, status, url) {
    bar.value = 0; status.textContent = "queued: ingested in the background";
    function done(job) {
      var r = job.result && job.result.results ? job.result.results[0] : null;
      if (job.state === "succeeded" && !(r && r.status === "error")) {
        bar.value = 100; li.classList.add("ok"); status.textContent = resultText(job.result);
        var docs = (job.result && job.result.documents) || [];
        if (docs.length) {
          var a = document.createElement("a"); a.href = "/d/" + docs[0] + "/"; a.textContent = "open";
          status.append(" ", a);
        }
        root.dispatchEvent(new CustomEvent("uploaded", { bubbles: true }));
      } else {
        li.classList.add("failed"); status.setAttribute("role", "alert");
        status.textContent = "Failed: " + ((r && r.error && r.error.message) || job.error || job.state);
      }
    }
    function poll() {
      var q = new XMLHttpRequest();
      q.open("GET", url);
      q.setRequestHeader("Accept", "application/json");
      q.addEventListener("load", function () {
        var job = null;
        try { job = JSON.parse(q.responseText); } catch (e) { /* not JSON */ }
        if (!job || q.status !== 200) { status.textContent = "Failed: " + P.errorText(q.status, q.responseText); li.classList.add("failed"); return; }
        if (job.state === "succeeded" || job.state === "failed" || job.state === "cancelled") { done(job); return; }
        if (job.progress_total) { bar.value = job.progress_percent; }
        status.textContent = job.state === "queued" ? "queued: ingested in the background"
          : "ingesting " + job.progress_done + " of " + job.progress_total + " pages";
        setTimeout(poll, 1000);
      });
      q.addEventListener("error", function () { setTimeout(poll, 3000); });
      q.send();
    }
    poll();
  }
  function upload(root, file) {
    var list = root.querySelector(".upload-list");
    var li = document.createElement("li");
    li.className = "upload";
    var name = document.createElement("span"); name.className = "name"; name.textContent = file.name + " (" + humanSize(file.size) + ")";
    var bar = document.createElement("progress"); bar.max = 100; bar.value = 0; bar.setAttribute("aria-label", "Upload of " + file.name);
    var status = document.createElement("span"); status.className = "status"; status.textContent = "waiting";
    li.append(name, bar, status);
    list.appendChild(li);
    var form = new FormData();
    form.append("files", file, file.name);
    if (root.dataset.document) form.append("document", root.dataset.document);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", root.dataset.ingestUrl);
    xhr.setRequestHeader("X-CSRFToken", P.csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); status.textContent = bar.value + "%"; }
    });
    xhr.addEventListener("load", function () {
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
      if (xhr.status === 202 && data && data.url) { follow(root, li, bar, status, data.url); return; }
      var r = data && data.results ? data.results[0] : null;
      if (xhr.status >= 200 && xhr.status < 300 && !(r && r.status === "error")) {
        bar.value = 100; li.classList.add("ok"); status.textContent = resultText(data);
        var docs = r ? (r.documents || []) : [];
        if (docs.length) {
          var a = document.createElement("a"); a.href = "/d/" + docs[0] + "/"; a.textContent = "open";
          status.append(" ", a);
        }
        root.dispatchEvent(new CustomEvent("uploaded", { bubbles: true }));
      } else {
        li.classList.add("failed"); status.textContent = "Failed: " + errorOf(xhr); status.setAttribute("role", "alert");
      }
    });
    xhr.addEventListener("error", function () { li.classList.add("failed"); status.textContent = "Failed: " + P.errorText(0, ""); });
    status.textContent = "uploading";
    xhr.send(form);
  }
  function setup(root) {
    var zone = root.querySelector(".dropzone");
    var input = root.querySelector(".file-input");
    function take(files) { Array.prototype.forEach.call(files, function (f) { upload(root, f); }); }
    ["dragenter", "dragover"].forEach(function (t) {
      zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (t) {
      zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) { if (e.dataTransfer) take(e.dataTransfer.files); });
    zone.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); } });
    input.addEventListener("change", function () { take(input.files); input.value = ""; });
  }
  document.querySelectorAll(".uploader").forEach(setup);
})();
