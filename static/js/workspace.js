/* Workspace: line polygons <-> text linking, keyboard navigation, inline editing, the confidence
   threshold, and annotation targets (a text span of a line, or a region drawn on the scan). */
(function () {
  "use strict";
  var root = document.getElementById("workspace");
  if (!root) return;
  var P = window.Palimpsest;
  var mayWrite = root.dataset.mayWrite === "1";
  var list = document.getElementById("lines");
  var viewer = document.getElementById("viewer");
  var slider = document.getElementById("threshold");
  var sliderOut = document.getElementById("threshold-value");
  var form = document.getElementById("annotate-form");

  function polyOf(id) { return document.querySelector('.line-poly[data-line="' + id + '"]'); }
  function rowOf(id) { return document.getElementById("line-" + id); }
  function rows() { return list ? Array.prototype.slice.call(list.querySelectorAll("li.line")) : []; }
  function bbox(poly) { var b = poly.getBBox(); return [b.x, b.y, b.width, b.height]; }

  /* Linking both ways. */
  function link(id, cls, on) {
    var p = polyOf(id), r = rowOf(id);
    if (p) p.classList.toggle(cls, on);
    if (r) r.classList.toggle(cls, on);
  }
  if (list) {
    list.addEventListener("mouseover", function (e) { var r = e.target.closest("li.line"); if (r) link(r.dataset.line, "hover", true); });
    list.addEventListener("mouseout", function (e) { var r = e.target.closest("li.line"); if (r) link(r.dataset.line, "hover", false); });
    list.addEventListener("focusin", function (e) {
      var r = e.target.closest("li.line"); if (!r) return;
      document.querySelectorAll(".line-poly.active").forEach(function (p) { p.classList.remove("active"); });
      var p = polyOf(r.dataset.line);
      if (p) { p.classList.add("active"); if (window.PalimpsestViewer) window.PalimpsestViewer.ensureVisible(bbox(p)); }
    });
  }
  document.querySelectorAll(".line-poly").forEach(function (p) {
    p.addEventListener("mouseenter", function () { link(p.dataset.line, "hover", true); });
    p.addEventListener("mouseleave", function () { link(p.dataset.line, "hover", false); });
  });
  if (viewer) viewer.addEventListener("line-clicked", function (e) {
    var r = rowOf(e.detail.line); if (r) { r.focus(); r.scrollIntoView({ block: "nearest" }); }
  });
  /* Opened from a search hit (#line-N): that line is selected, in the list and on the scan. */
  var wanted = /^#line-(\d+)$/.exec(window.location.hash);
  if (wanted && rowOf(wanted[1])) {
    var found = rowOf(wanted[1]);
    found.classList.add("found");
    found.focus();
    found.scrollIntoView({ block: "center" });
  }

  /* Confidence threshold: mark characters whose confidence is below it. */
  function applyThreshold(scope) {
    if (!slider) return;
    var t = parseFloat(slider.value);
    (scope || document).querySelectorAll(".ch[data-c]").forEach(function (s) { s.classList.toggle("lowconf", parseFloat(s.dataset.c) < t); });
  }
  if (slider) slider.addEventListener("input", function () { sliderOut.textContent = (+slider.value).toFixed(2); applyThreshold(); });
  applyThreshold();

  /* Keyboard: ↑/↓ or k/j move, Enter edits, h history, a annotates the whole line. */
  function move(from, step) {
    var all = rows(), i = all.indexOf(from), next = all[i + step];
    if (next) { next.focus(); next.scrollIntoView({ block: "nearest" }); }
  }
  if (list) list.addEventListener("keydown", function (e) {
    var r = e.target.closest("li.line");
    if (!r || e.target.tagName === "INPUT" || e.target.tagName === "BUTTON" || e.target.tagName === "A") return;
    if (e.key === "ArrowDown" || e.key === "j") { e.preventDefault(); move(r, 1); }
    else if (e.key === "ArrowUp" || e.key === "k") { e.preventDefault(); move(r, -1); }
    else if (e.key === "Enter" && mayWrite) { e.preventDefault(); startEdit(r); }
    else if (e.key === "h") { e.preventDefault(); r.querySelector(".history-btn").click(); }
    else if (e.key === "a" && mayWrite && form) { e.preventDefault(); targetWholeLine(r); }
  });

  /* Inline editing: Enter saves a new human version, Esc cancels. */
  function startEdit(r) {
    if (r.classList.contains("editing")) return;
    var text = r.querySelector(".text");
    var saved = text.innerHTML;
    var input = document.createElement("input");
    input.type = "text"; input.className = "line-input"; input.value = text.dataset.raw || "";
    input.setAttribute("aria-label", "Text of " + r.getAttribute("aria-label") + " (Enter saves, Esc cancels)");
    text.replaceChildren(input);
    r.classList.add("editing");
    var err = r.querySelector(".line-error"); err.hidden = true;
    input.focus(); input.setSelectionRange(input.value.length, input.value.length);
    function cancel() { text.innerHTML = saved; r.classList.remove("editing"); applyThreshold(r); r.focus(); }
    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); cancel(); }
      else if (e.key === "Enter") { e.preventDefault(); e.stopPropagation(); save(r, input, cancel); }
    });
  }
  function save(r, input, cancel) {
    if (input.disabled) return;
    input.disabled = true;
    var body = new URLSearchParams();
    body.set("text", input.value);
    body.set("layer", r.dataset.layer || root.dataset.layer);
    body.set("number", r.querySelector(".ln").textContent.trim());
    if (r.dataset.version) body.set("expected_version", r.dataset.version);
    fetch("/l/" + r.dataset.line + "/edit/", {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": P.csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
    }).then(function (resp) {
      return resp.text().then(function (t) { return { ok: resp.ok, status: resp.status, text: t }; });
    }).then(function (res) {
      if (!res.ok) {
        input.disabled = false; input.focus();
        var err = r.querySelector(".line-error"); err.textContent = P.errorText(res.status, res.text); err.hidden = false;
        return;
      }
      var tmp = document.createElement("template"); tmp.innerHTML = res.text.trim();
      var fresh = tmp.content.firstElementChild;
      r.replaceWith(fresh);
      if (window.htmx) window.htmx.process(fresh);
      applyThreshold(fresh);
      fresh.focus();
      var hist = document.getElementById("history-panel");
      if (hist && hist.dataset.line === fresh.dataset.line) fresh.querySelector(".history-btn").click();
    }).catch(function () {
      input.disabled = false;
      var err = r.querySelector(".line-error"); err.textContent = P.errorText(0, ""); err.hidden = false;
    });
  }
  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (e.target.id === "history-panel") {
      var h = e.target.querySelector("h2"); if (h) { h.setAttribute("tabindex", "-1"); }
      var m = (e.detail.pathInfo && e.detail.pathInfo.requestPath || "").match(/\/l\/(\d+)\//);
      if (m) e.target.dataset.line = m[1];
      /* the panel may sit below the fold (always on a phone): bring it into view, keep focus on the line */
      var box = e.target.getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) e.target.scrollIntoView({ block: "nearest" });
    }
  });
  /* A restore in the history panel changes the line: refresh its row. */
  document.body.addEventListener("line-changed", function (e) {
    var d = e.detail, r = rowOf(d.line); if (!r) return;
    fetch("/l/" + d.line + "/?layer=" + (r.dataset.layer || root.dataset.layer) + "&number=" + r.querySelector(".ln").textContent.trim(), { credentials: "same-origin" })
      .then(function (resp) { return resp.ok ? resp.text() : Promise.reject(resp.status); })
      .then(function (html) { var t = document.createElement("template"); t.innerHTML = html.trim(); var f = t.content.firstElementChild; r.replaceWith(f); if (window.htmx) window.htmx.process(f); applyThreshold(f); })
      .catch(function (s) { P.showError(P.errorText(typeof s === "number" ? s : 0, "")); });
  });

  /* ---- Annotation targets ---- */
  if (!form) return;
  var targetField = form.querySelector("input[name=target]");
  var desc = form.querySelector(".target-desc");
  var none = document.querySelector("#annotate-panel .target-none");
  var formError = form.querySelector(".form-error");
  var pending = null;
  function cp(s) { return Array.from(s).length; } /* code points, as the W3C selectors count */
  function setTarget(target, text, meta) {
    pending = meta || {};
    targetField.value = JSON.stringify(target);
    desc.textContent = text;
    form.hidden = false; none.hidden = true; formError.hidden = true;
    document.getElementById("ann-comment").focus({ preventScroll: false });
  }
  function clearTarget() {
    pending = null; targetField.value = ""; form.hidden = true; none.hidden = false;
    if (window.PalimpsestViewer) window.PalimpsestViewer.clearDrawing();
  }
  form.querySelector(".cancel-annotation").addEventListener("click", clearTarget);
  function targetWholeLine(r) {
    setTarget([{ source: "line:" + r.dataset.line }], "Target: the whole of " + r.getAttribute("aria-label").toLowerCase() + ".", { line: r.dataset.line });
  }
  function offsetIn(container, node, offset) {
    var range = document.createRange();
    range.selectNodeContents(container); range.setEnd(node, offset);
    return range.toString().length;
  }
  if (list) list.addEventListener("mouseup", function () {
    var sel = window.getSelection();
    if (!sel || sel.isCollapsed || !sel.rangeCount) return;
    var range = sel.getRangeAt(0);
    var a = range.startContainer.parentElement && range.startContainer.parentElement.closest(".text");
    var b = range.endContainer.parentElement && range.endContainer.parentElement.closest(".text");
    if (!a || a !== b || a.querySelector("input")) return;
    var r = a.closest("li.line");
    if (!r.dataset.inscription) { P.showError("This line has no text in this layer yet: correct it first, then annotate the corrected text."); return; }
    var full = a.textContent, s = offsetIn(a, range.startContainer, range.startOffset), e = offsetIn(a, range.endContainer, range.endOffset);
    var exact = full.slice(s, e);
    if (!exact.trim()) return;
    var start = cp(full.slice(0, s)), end = start + cp(exact);
    setTarget([{ source: "inscription:" + r.dataset.inscription, selector: [
      { type: "TextQuoteSelector", exact: exact },
      { type: "TextPositionSelector", start: start, end: end }] }],
      "Target: “" + exact + "” in " + r.getAttribute("aria-label").toLowerCase() + " (characters " + start + "–" + end + ").", { line: r.dataset.line });
  });
  if (viewer) viewer.addEventListener("region-selected", function (e) {
    if (root.dataset.layout === "1") return;  /* the layout editor draws lines and regions, not annotation targets */
    var d = e.detail, page = root.dataset.page;
    if (d.kind === "rect") {
      setTarget([{ source: "page:" + page, selector: [{ type: "FragmentSelector", conformsTo: "http://www.w3.org/TR/media-frags/",
        value: "xywh=" + [d.x, d.y, d.w, d.h].join(",") }] }], "Target: region x " + d.x + ", y " + d.y + ", " + d.w + " × " + d.h + " px of the scan.", { region: true });
    } else {
      var pts = d.points.map(function (p) { return p.join(","); }).join(" ");
      setTarget([{ source: "page:" + page, selector: [{ type: "SvgSelector",
        value: '<svg xmlns="http://www.w3.org/2000/svg"><polygon points="' + pts + '"/></svg>' }] }],
        "Target: a polygon of " + d.points.length + " points on the scan.", { region: true });
    }
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var btn = form.querySelector("button[type=submit]"); btn.disabled = true;
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin", headers: { "X-CSRFToken": P.csrfToken() } })
      .then(function (resp) { return resp.text().then(function (t) { return { ok: resp.ok, status: resp.status, text: t, ann: resp.headers.get("X-Annotation") }; }); })
      .then(function (res) {
        btn.disabled = false;
        if (!res.ok) { formError.textContent = P.errorText(res.status, res.text); formError.hidden = false; return; }
        var panel = document.getElementById("annotations-panel");
        var heading = panel.querySelector("h2");
        panel.replaceChildren(heading);
        var t = document.createElement("template"); t.innerHTML = res.text; panel.appendChild(t.content);
        if (window.htmx) window.htmx.process(panel);  /* the list's edit and delete forms */
        var count = panel.querySelectorAll("li.annotation").length;
        heading.querySelector(".small").textContent = "(" + count + ")";
        var meta = pending || {};
        if (meta.region && window.PalimpsestViewer) window.PalimpsestViewer.keepDrawing(res.ann);
        if (meta.line) document.body.dispatchEvent(new CustomEvent("line-changed", { detail: { line: meta.line } }));
        form.reset(); pending = null; targetField.value = ""; form.hidden = true; none.hidden = false;
        P.showNote("Annotation " + res.ann + " saved.");
        var item = document.getElementById("ann-" + res.ann); if (item) item.focus();
      })
      .catch(function () { btn.disabled = false; formError.textContent = P.errorText(0, ""); formError.hidden = false; });
  });
  /* An annotation edited or deleted in the list: its region leaves the scan, the count follows. */
  function recount() {
    var panel = document.getElementById("annotations-panel");
    var small = panel && panel.querySelector("h2 .small");
    if (small) small.textContent = "(" + panel.querySelectorAll("li.annotation").length + ")";
  }
  document.body.addEventListener("annotation-withdrawn", function (e) {
    document.querySelectorAll('.region-ann[data-ann="' + e.detail.id + '"]').forEach(function (el) { el.remove(); });
    document.querySelectorAll('mark.ann[data-ann="' + e.detail.id + '"]').forEach(function (el) { el.replaceWith(document.createTextNode(el.textContent)); });
    recount(); P.showNote("Annotation " + e.detail.id + " deleted (withdrawn; its history stays).");
  });
  document.body.addEventListener("annotation-edited", function (e) { recount(); P.showNote("Annotation " + e.detail.id + " saved as a new version."); });
})();
