/* Memory lens: heatmaps of a machine line reading's LSTM memory, aligned to the line image.

   Reads the trace from the REST API (data-trace-url), draws the line crop from the page
   image, one heatmap row per signal for the chosen layer/direction, the per-character
   confidence and the curator's frame-range annotations. Hover (or ←/→) shows the
   alternatives the recognizer weighed nearest that point; a drag selects a frame range
   and saves a W3C annotation (FragmentSelector "frames=a,b") through the annotations API.
   Frames are the recognizer's CTC frames; see docs/memory-lens.md. */
(function () {
  "use strict";
  var root = document.getElementById("memory-lens");
  if (!root) return;
  var FRAMES = "urn:x-palimpsest:ctc-frames";
  var P = window.Palimpsest || {
    csrfToken: function () { return ""; },
    errorText: function (s) { return "The request failed (error " + s + ")."; },
    showError: function (m) { window.alert(m); }
  };
  var q = function (sel) { return root.querySelector(sel); };
  var status = q(".lens-status");
  var trace = null, image = null, current = 0, width = 600, hoverFrame = null;
  var drag = null, selection = null, spans = [];

  /* A perceptual dark→bright ramp (viridis stops). */
  var STOPS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  function ramp(t) {
    t = Math.max(0, Math.min(1, isFinite(t) ? t : 0)) * (STOPS.length - 1);
    var i = Math.min(STOPS.length - 2, Math.floor(t)), f = t - i, a = STOPS[i], b = STOPS[i + 1];
    return "rgb(" + [0, 1, 2].map(function (k) { return Math.round(a[k] + (b[k] - a[k]) * f); }).join(",") + ")";
  }

  function frameToX(frame) { return frame * trace.columns_per_frame * width / trace.image.model_width; }
  function xToFrame(x) {
    var f = Math.floor(x * trace.image.model_width / width / trace.columns_per_frame);
    return Math.max(0, Math.min(trace.frames - 1, f));
  }
  function series(name) { return trace.layers[current][name]; }

  function setup(canvas, height) {
    var ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    var ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    return ctx;
  }

  function drawImage() {
    var canvas = q(".lens-image"), im = trace.image;
    var height = Math.max(24, Math.min(160, Math.round(width * im.height / Math.max(1, im.width))));
    var ctx = setup(canvas, height);
    if (image) ctx.drawImage(image, im.x, im.y, im.width, im.height, 0, 0, width, height);
    drawMarks(ctx, height);
  }

  function drawHeat(canvas) {
    var name = canvas.dataset.signal, ctx = setup(canvas, 18);
    if (name === "confidence") {
      ctx.fillStyle = "#eee";
      ctx.fillRect(0, 0, width, 18);
      trace.alignment.forEach(function (a) {
        ctx.fillStyle = ramp(a.confidence);
        var x0 = frameToX(a.start), x1 = frameToX(Math.max(a.end, a.start + 1));
        ctx.fillRect(x0, 0, Math.max(1, x1 - x0), 18);
      });
    } else {
      var values = series(name), lo = Infinity, hi = -Infinity;
      values.forEach(function (v) { lo = Math.min(lo, v); hi = Math.max(hi, v); });
      if (name === "cell_norm") lo = 0;
      var span = hi - lo || 1, pool = trace.pool;
      values.forEach(function (v, p) {
        var x0 = frameToX(p * pool), x1 = frameToX(Math.min(trace.frames, (p + 1) * pool));
        ctx.fillStyle = ramp((v - lo) / span);
        ctx.fillRect(x0, 0, Math.max(1, x1 - x0 + 0.5), 18);
      });
    }
    drawMarks(ctx, 18);
  }

  function drawChars() {
    var ctx = setup(q(".lens-chars"), 18);
    ctx.font = "12px sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillStyle = "#222";
    trace.alignment.forEach(function (a) {
      ctx.fillText(a.char === " " ? "·" : a.char, (frameToX(a.start) + frameToX(a.end)) / 2, 9);
    });
    drawMarks(ctx, 18);
  }

  function drawSpans() {
    var ctx = setup(q(".lens-spans"), 12);
    ctx.fillStyle = "rgba(200, 80, 20, 0.7)";
    spans.forEach(function (s) { ctx.fillRect(frameToX(s[0]), 1, Math.max(2, frameToX(s[1]) - frameToX(s[0])), 10); });
    drawMarks(ctx, 12);
  }

  /* The pointer and the current selection, drawn over every row. */
  function drawMarks(ctx, height) {
    var sel = drag ? [Math.min(drag.a, drag.b), Math.max(drag.a, drag.b) + 1] : selection;
    if (sel) {
      ctx.fillStyle = "rgba(255, 255, 255, 0.35)";
      ctx.fillRect(frameToX(sel[0]), 0, frameToX(sel[1]) - frameToX(sel[0]), height);
      ctx.strokeStyle = "#c0392b";
      ctx.strokeRect(frameToX(sel[0]) + 0.5, 0.5, frameToX(sel[1]) - frameToX(sel[0]) - 1, height - 1);
    }
    if (hoverFrame !== null) {
      ctx.fillStyle = "rgba(220, 30, 30, 0.9)";
      ctx.fillRect(frameToX(hoverFrame + 0.5) - 0.75, 0, 1.5, height);
    }
  }

  function drawAll() {
    drawImage();
    drawChars();
    root.querySelectorAll(".lens-heat").forEach(drawHeat);
    drawSpans();
  }

  function nearestAlternative(frame) {
    var alts = trace.alternatives, lo = 0, hi = alts.length - 1;
    if (!alts.length) return null;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (alts[mid].frame < frame) lo = mid + 1; else hi = mid;
    }
    if (lo > 0 && Math.abs(alts[lo - 1].frame - frame) <= Math.abs(alts[lo].frame - frame)) lo -= 1;
    return alts[lo];
  }

  function showHover(frame) {
    hoverFrame = frame;
    var point = Math.min(series("forget").length - 1, Math.floor(frame / trace.pool));
    q(".lens-hover-empty").hidden = true;
    q(".lens-hover-body").hidden = false;
    var col = Math.round(trace.image.x + frame * trace.columns_per_frame * trace.image.scale_x);
    q(".lens-frame").textContent = frame + " of " + trace.frames + " (page x ≈ " + col + ")";
    var here = trace.alignment.filter(function (a) { return a.start <= frame && frame < Math.max(a.end, a.start + 1); })[0];
    q(".lens-char").textContent = here ? "“" + here.char + "” (confidence " + Math.round(here.confidence * 100) + "%)"
      : "none: the machine emitted no character here";
    q(".lens-values").textContent = ["forget", "input", "output", "cell_norm"].map(function (n) {
      return n.replace("_", " ") + " " + series(n)[point].toFixed(3);
    }).join(" · ");
    var list = q(".lens-alternatives"), alt = nearestAlternative(frame);
    list.replaceChildren();
    if (!alt) {
      var none = document.createElement("li");
      none.textContent = "The machine was certain this stretch is empty (no alternatives recorded).";
      list.appendChild(none);
    } else {
      alt.candidates.forEach(function (c) {
        var li = document.createElement("li");
        li.className = "lens-alt";
        li.textContent = (c.char === "" ? "(nothing — CTC blank)" : c.char === " " ? "(space)" : "“" + c.char + "”") +
          " " + (c.p * 100).toFixed(1) + "%";
        list.appendChild(li);
      });
      if (alt.frame !== frame) {
        var note = document.createElement("li");
        note.className = "muted small";
        note.textContent = "(at frame " + alt.frame + ", the nearest where the reading was uncertain)";
        list.appendChild(note);
      }
    }
    drawAll();
  }

  function bindPointer(area) {
    area.addEventListener("mousemove", function (ev) {
      var canvas = ev.target.closest("canvas");
      if (!canvas) return;
      var box = canvas.getBoundingClientRect();
      var f = xToFrame(ev.clientX - box.left);
      if (drag) drag.b = f;
      showHover(f);
    });
    area.addEventListener("mousedown", function (ev) {
      var canvas = ev.target.closest("canvas");
      if (!canvas || root.dataset.mayWrite !== "1") return;
      ev.preventDefault();
      var f = xToFrame(ev.clientX - canvas.getBoundingClientRect().left);
      drag = { a: f, b: f };
    });
    document.addEventListener("mouseup", function () {
      if (!drag) return;
      var a = Math.min(drag.a, drag.b), b = Math.max(drag.a, drag.b) + 1;
      drag = null;
      if (b - a >= 2) openForm(a, b); else drawAll();
    });
    area.addEventListener("keydown", function (ev) {
      if (ev.key !== "ArrowLeft" && ev.key !== "ArrowRight") return;
      ev.preventDefault();
      var f = hoverFrame === null ? 0 : hoverFrame + (ev.key === "ArrowRight" ? 1 : -1);
      showHover(Math.max(0, Math.min(trace.frames - 1, f)));
    });
  }

  function openForm(a, b) {
    selection = [a, b];
    var form = q(".lens-annotate");
    drawAll();
    if (!form) return;
    var chars = trace.alignment.filter(function (x) { return x.start < b && x.end > a; }).map(function (x) { return x.char; }).join("");
    form.hidden = false;
    q(".lens-range").textContent = "Annotate frames " + a + "–" + (b - 1) + (chars ? " (read as “" + chars + "”)" : "") + ".";
    form.querySelector("textarea").focus();
  }

  function closeForm() {
    var form = q(".lens-annotate");
    selection = null;
    if (form) { form.hidden = true; form.reset(); q(".lens-error").hidden = true; }
    drawAll();
  }

  function submitForm(ev) {
    ev.preventDefault();
    var form = ev.currentTarget, comment = form.querySelector("textarea").value.trim();
    if (!selection || !comment) return;
    var body = {
      motivation: form.querySelector("select").value,
      body: [{ type: "TextualBody", value: comment, purpose: form.querySelector("select").value }],
      target: [{ source: "inscription:" + root.dataset.inscription,
                 selector: [{ type: "FragmentSelector", conformsTo: FRAMES, value: "frames=" + selection[0] + "," + selection[1] }] }]
    };
    fetch("/api/v1/annotations/", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": P.csrfToken() },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.text().then(function (text) {
        if (!r.ok) {
          var err = q(".lens-error");
          err.textContent = P.errorText(r.status, text);
          err.hidden = false;
          return;
        }
        closeForm();
        loadAnnotations();
      });
    }, function () { P.showError(P.errorText(0, "")); });
  }

  function loadAnnotations() {
    fetch(root.dataset.annotationsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) {
        var rows = Array.isArray(data) ? data : (data.results || []), list = q(".lens-annotations");
        spans = [];
        list.replaceChildren();
        rows.forEach(function (ann) {
          (ann.target || []).forEach(function (t) {
            (t.selector || []).forEach(function (s) {
              var m = /^frames=(\d+),(\d+)$/.exec(s.value || "");
              if (s.type !== "FragmentSelector" || !m) return;
              spans.push([+m[1], +m[2]]);
              var li = document.createElement("li");
              li.className = "lens-annotation";
              var text = (ann.body || []).map(function (b) { return b.value || b.source || ""; }).join(" · ");
              li.textContent = "Frames " + m[1] + "–" + (+m[2] - 1) + " (" + ann.motivation + ", " + (ann.created_by || "?") + "): " + text;
              list.appendChild(li);
            });
          });
        });
        if (trace) drawSpans();
      });
  }

  function start(data) {
    trace = data;
    var select = q(".lens-layer");
    trace.layers.forEach(function (l, i) {
      var opt = document.createElement("option");
      opt.value = i;
      opt.textContent = "Layer " + (l.layer + 1) + ", " + l.direction;
      select.appendChild(opt);
    });
    current = trace.layers.length - 2 >= 0 ? trace.layers.length - 2 : 0;  // last layer, forward: nearest the output
    select.value = current;
    select.addEventListener("change", function () { current = +select.value; if (hoverFrame !== null) showHover(hoverFrame); else drawAll(); });
    var rows = q(".lens-rows");
    rows.tabIndex = 0;
    rows.setAttribute("aria-label", "Memory heatmaps: arrow keys move along the line");
    width = Math.max(320, Math.min(1100, (q(".lens-figure").parentElement.clientWidth || 900) - 190));
    bindPointer(rows);
    var form = q(".lens-annotate");
    if (form) {
      form.addEventListener("submit", submitForm);
      q(".lens-cancel").addEventListener("click", closeForm);
    }
    q(".lens-controls").hidden = false;
    q(".lens-figure").hidden = false;
    status.textContent = trace.frames + " frames, " + trace.alternatives.length + " with alternatives; trace of " +
      trace.bytes + " bytes" + (trace.image.matches_inscription === false ? ". Note: recomputing gave a different text than the stored reading (the line geometry or crop changed since)." : ".");
    image = new Image();
    image.onload = drawAll;
    image.onerror = function () { image = null; drawAll(); };
    image.src = root.dataset.imageUrl;
    drawAll();
    loadAnnotations();
  }

  fetch(root.dataset.traceUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) {
      return r.text().then(function (text) {
        if (!r.ok) { status.textContent = P.errorText(r.status, text); status.classList.add("error"); return; }
        start(JSON.parse(text));
      });
    }, function () { status.textContent = P.errorText(0, ""); });
})();
