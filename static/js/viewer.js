/* Scan viewer: zoom and pan (wheel, drag, keys, buttons) and drawing tools (rectangle, polygon).
   Coordinates given to listeners are in page pixels (the scan's own size). */
(function () {
  "use strict";
  var viewer = document.getElementById("viewer");
  if (!viewer) return;
  var root = document.getElementById("workspace");
  var stage = viewer.querySelector(".stage");
  var svg = viewer.querySelector("svg.overlay");
  var drawing = svg.querySelector("g.drawing");
  var W = +root.dataset.width, H = +root.dataset.height;
  var zoomLabel = document.querySelector(".zoom-level");
  var SVGNS = "http://www.w3.org/2000/svg";
  var state = { scale: 1, tx: 0, ty: 0, tool: "pan" };
  var MIN = 0.05, MAX = 8;

  function apply() {
    stage.style.transform = "translate(" + state.tx + "px," + state.ty + "px) scale(" + state.scale + ")";
    if (zoomLabel) zoomLabel.textContent = Math.round(state.scale * 100) + "%";
  }
  function fit() {
    var r = viewer.getBoundingClientRect();
    state.scale = Math.max(MIN, Math.min(r.width / W, r.height / H) * 0.98);
    state.tx = (r.width - W * state.scale) / 2;
    state.ty = Math.max(0, (r.height - H * state.scale) / 2);
    apply();
  }
  function zoomAt(factor, cx, cy) {
    var s = Math.min(MAX, Math.max(MIN, state.scale * factor));
    var k = s / state.scale;
    state.tx = cx - (cx - state.tx) * k;
    state.ty = cy - (cy - state.ty) * k;
    state.scale = s;
    apply();
  }
  function centre() { var r = viewer.getBoundingClientRect(); return [r.width / 2, r.height / 2]; }
  function toPage(ev) {
    var r = viewer.getBoundingClientRect();
    var x = (ev.clientX - r.left - state.tx) / state.scale, y = (ev.clientY - r.top - state.ty) / state.scale;
    return [Math.max(0, Math.min(W, x)), Math.max(0, Math.min(H, y))];
  }
  /* Bring a box (page pixels) into view without changing the zoom unless it is off-screen. */
  function ensureVisible(box) {
    var r = viewer.getBoundingClientRect();
    var x0 = box[0] * state.scale + state.tx, y0 = box[1] * state.scale + state.ty;
    var x1 = (box[0] + box[2]) * state.scale + state.tx, y1 = (box[1] + box[3]) * state.scale + state.ty;
    if (x0 < 0 || x1 > r.width) state.tx += (r.width / 2) - (x0 + x1) / 2;
    if (y0 < 0 || y1 > r.height) state.ty += (r.height / 2) - (y0 + y1) / 2;
    apply();
  }

  viewer.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var r = viewer.getBoundingClientRect();
    zoomAt(ev.deltaY < 0 ? 1.15 : 1 / 1.15, ev.clientX - r.left, ev.clientY - r.top);
  }, { passive: false });

  document.querySelectorAll("[data-zoom]").forEach(function (b) {
    b.addEventListener("click", function () {
      var c = centre();
      if (b.dataset.zoom === "in") zoomAt(1.25, c[0], c[1]);
      else if (b.dataset.zoom === "out") zoomAt(0.8, c[0], c[1]);
      else fit();
    });
  });

  function setTool(tool) {
    state.tool = tool;
    clearDrawing();
    viewer.dataset.tool = tool;
    document.querySelectorAll(".tool[data-tool]").forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.tool === tool)); });
  }
  document.querySelectorAll(".tool[data-tool]").forEach(function (b) {
    b.addEventListener("click", function () { setTool(b.dataset.tool); viewer.focus(); });
  });

  function clearDrawing() { poly = []; drawing.replaceChildren(); }
  function emit(detail) { viewer.dispatchEvent(new CustomEvent("region-selected", { bubbles: true, detail: detail })); }

  /* Pan and rectangle drag. */
  var drag = null, poly = [];
  viewer.addEventListener("pointerdown", function (ev) {
    if (ev.button !== 0 || tracing()) return;
    viewer.setPointerCapture(ev.pointerId);
    if (state.tool === "pan") {
      drag = { kind: "pan", x: ev.clientX, y: ev.clientY, tx: state.tx, ty: state.ty, moved: false };
    } else if (state.tool === "rect") {
      var p = toPage(ev);
      clearDrawing();
      var rect = document.createElementNS(SVGNS, "rect");
      rect.setAttribute("class", "draft");
      drawing.appendChild(rect);
      drag = { kind: "rect", p0: p, rect: rect };
    }
  });
  viewer.addEventListener("pointermove", function (ev) {
    if (!drag) return;
    if (drag.kind === "pan") {
      var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      state.tx = drag.tx + dx; state.ty = drag.ty + dy; apply();
    } else {
      var p = toPage(ev), x = Math.min(p[0], drag.p0[0]), y = Math.min(p[1], drag.p0[1]);
      drag.box = [x, y, Math.abs(p[0] - drag.p0[0]), Math.abs(p[1] - drag.p0[1])];
      drag.rect.setAttribute("x", x); drag.rect.setAttribute("y", y);
      drag.rect.setAttribute("width", drag.box[2]); drag.rect.setAttribute("height", drag.box[3]);
    }
  });
  viewer.addEventListener("pointerup", function (ev) {
    if (!drag) return;
    var d = drag; drag = null;
    if (d.kind === "pan" && !d.moved) {
      var hit = document.elementFromPoint(ev.clientX, ev.clientY);
      var polyEl = hit && hit.closest && hit.closest(".line-poly");
      if (polyEl) viewer.dispatchEvent(new CustomEvent("line-clicked", { bubbles: true, detail: { line: polyEl.dataset.line } }));
    }
    if (d.kind === "rect" && d.box && d.box[2] >= 3 && d.box[3] >= 3) {
      var b = d.box.map(Math.round);
      emit({ kind: "rect", x: b[0], y: b[1], w: b[2], h: b[3] });
    } else if (d.kind === "rect") { clearDrawing(); }
  });

  /* Polygon: click to add points, double-click or Enter to close, Esc to drop. */
  function drawPoly(closed) {
    drawing.replaceChildren();
    var el = document.createElementNS(SVGNS, closed ? "polygon" : "polyline");
    el.setAttribute("class", "draft");
    el.setAttribute("points", poly.map(function (p) { return p[0].toFixed(0) + "," + p[1].toFixed(0); }).join(" "));
    drawing.appendChild(el);
    poly.forEach(function (p) {
      var c = document.createElementNS(SVGNS, "circle");
      c.setAttribute("cx", p[0]); c.setAttribute("cy", p[1]); c.setAttribute("r", 4 / state.scale);
      c.setAttribute("class", "draft-pt");
      drawing.appendChild(c);
    });
  }
  /* Polyline (a baseline): the same clicks, at least 2 points, left open. */
  function tracing() { return state.tool === "polygon" || state.tool === "polyline"; }
  function closePoly() {
    var open = state.tool === "polyline";
    if (poly.length < (open ? 2 : 3)) return;
    drawPoly(!open);
    emit({ kind: state.tool, points: poly.map(function (p) { return [Math.round(p[0]), Math.round(p[1])]; }) });
  }
  viewer.addEventListener("click", function (ev) {
    if (!tracing() || ev.detail > 1) return;
    poly.push(toPage(ev)); drawPoly(false);
  });
  viewer.addEventListener("dblclick", function (ev) {
    if (!tracing()) return;
    ev.preventDefault(); closePoly();
  });

  viewer.addEventListener("keydown", function (ev) {
    var c = centre(), step = 60;
    if (ev.key === "+" || ev.key === "=") zoomAt(1.25, c[0], c[1]);
    else if (ev.key === "-") zoomAt(0.8, c[0], c[1]);
    else if (ev.key === "0") fit();
    else if (ev.key === "ArrowLeft") { state.tx += step; apply(); }
    else if (ev.key === "ArrowRight") { state.tx -= step; apply(); }
    else if (ev.key === "ArrowUp") { state.ty += step; apply(); }
    else if (ev.key === "ArrowDown") { state.ty -= step; apply(); }
    else if (ev.key === "Enter" && tracing()) closePoly();
    else if (ev.key === "Escape") clearDrawing();
    else return;
    ev.preventDefault();
  });

  var img = stage.querySelector("img");
  if (img.complete) fit(); else img.addEventListener("load", fit);
  window.addEventListener("resize", fit);
  fit();
  window.PalimpsestViewer = {
    ensureVisible: ensureVisible, clearDrawing: clearDrawing, fit: fit, setTool: setTool, toPage: toPage,
    scale: function () { return state.scale; },
    keepDrawing: function (annId) {
      Array.prototype.forEach.call(drawing.children, function (el) {
        if (el.tagName === "circle") return;
        var kept = el.cloneNode(); kept.setAttribute("class", "region-ann"); kept.dataset.ann = annId;
        svg.insertBefore(kept, drawing);
      });
      clearDrawing();
    },
  };
})();
