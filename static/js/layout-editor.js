/* Layout editor of the workspace: select, split, merge, add and delete lines; drag polygon vertices and
   baseline points; draw, retype and delete regions; reorder lines by keyboard (Alt+↑/↓) and by mouse
   (drag rows of the line list). Every change goes through the REST API (/api/v1/lines/, /api/v1/regions/),
   where it is checked and recorded as a geometry revision; a refused change shows the server's reason. */
(function () {
  "use strict";
  var root = document.getElementById("workspace");
  var toggle = document.getElementById("layout-toggle");
  var bar = document.getElementById("layout-bar");
  var dataEl = document.getElementById("layout-data");
  if (!root || !toggle || !bar || !dataEl) return;
  var P = window.Palimpsest;
  var viewer = document.getElementById("viewer");
  var svg = viewer.querySelector("svg.overlay");
  var list = document.getElementById("lines");
  var status = document.getElementById("layout-status");
  var kindSelect = document.getElementById("region-kind");
  var data = JSON.parse(dataEl.textContent);
  var SVGNS = "http://www.w3.org/2000/svg";
  var byId = {};
  data.lines.forEach(function (l) { byId[l.id] = l; });
  var regions = {};
  data.regions.forEach(function (r) { regions[r.id] = r; });
  var st = { on: false, tool: "select", line: null, region: null, drag: null, down: null };
  var extras = document.createElementNS(SVGNS, "g");
  extras.setAttribute("class", "layout-extras");
  svg.insertBefore(extras, svg.querySelector("g.drawing"));

  function V() { return window.PalimpsestViewer; }
  function say(message, isError) {
    status.textContent = message;
    status.classList.toggle("error", !!isError);
  }
  function api(method, url, body) {
    return fetch("/api/v1/" + url, {
      method: method, credentials: "same-origin",
      headers: { "X-CSRFToken": P.csrfToken(), "Content-Type": "application/json", "Accept": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (resp) {
      return resp.text().then(function (text) {
        if (!resp.ok) throw new Error(P.errorText(resp.status, text));
        return text ? JSON.parse(text) : null;
      });
    }, function () { throw new Error(P.errorText(0, "")); });
  }
  /* Structural changes (new or retired lines, new order) reload the workspace in layout mode. */
  function reload(select) {
    var url = new URL(window.location.href);
    url.searchParams.set("layout", "1");
    if (select) url.searchParams.set("sel", select); else url.searchParams.delete("sel");
    window.location.assign(url.toString());
  }
  function ordered() { return data.lines.slice().sort(function (a, b) { return a.order - b.order || a.id - b.id; }); }
  function pts(points) { return points.map(function (p) { return p[0] + "," + p[1]; }).join(" "); }
  function el(name, attrs, parent) {
    var e = document.createElementNS(SVGNS, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    (parent || extras).appendChild(e);
    return e;
  }

  /* What layout mode draws over the scan: baselines, reading-order numbers, handles of the selection. */
  function draw() {
    extras.replaceChildren();
    if (!st.on) return;
    var r = 5 / V().scale();
    ordered().forEach(function (l, i) {
      if (l.baseline.length) {
        el("polyline", { "class": "baseline" + (l.id === st.line ? " selected" : ""), "data-line": l.id, points: pts(l.baseline) });
        var t = el("text", { "class": "order-no", x: l.baseline[0][0] - 4 * r, y: l.baseline[0][1], "font-size": 2.6 * r });
        t.textContent = String(i + 1);
      }
    });
    var line = byId[st.line];
    if (line) {
      line.polygon.forEach(function (p, i) {
        el("circle", { "class": "handle vertex", cx: p[0], cy: p[1], r: r * 0.7, "data-kind": "polygon", "data-i": i });
      });
      line.baseline.forEach(function (p, i) {
        el("circle", { "class": "handle base-pt", cx: p[0], cy: p[1], r: r * 1.2, "data-kind": "baseline", "data-i": i });
      });
    }
    var region = regions[st.region];
    if (region) {
      region.polygon.forEach(function (p, i) {
        el("circle", { "class": "handle vertex region-vertex", cx: p[0], cy: p[1], r: r, "data-kind": "region", "data-i": i });
      });
    }
  }
  function select(lineId, regionId) {
    st.line = lineId ? +lineId : null;
    st.region = regionId ? +regionId : null;
    document.querySelectorAll(".line-poly.selected, li.line.selected, .region-poly.selected").forEach(function (e) { e.classList.remove("selected"); });
    if (st.line) {
      var poly = document.querySelector('.line-poly[data-line="' + st.line + '"]');
      var row = document.getElementById("line-" + st.line);
      if (poly) poly.classList.add("selected");
      if (row) row.classList.add("selected");
      say("Line " + (ordered().map(function (l) { return l.id; }).indexOf(st.line) + 1) + " selected: drag its points, or split, merge, move or delete it.");
    } else if (st.region) {
      var rp = document.querySelector('.region-poly[data-region="' + st.region + '"]');
      if (rp) rp.classList.add("selected");
      kindSelect.value = regions[st.region].kind;
      say("Region " + regions[st.region].kind + " selected: drag its corners, retype or delete it.");
    }
    draw();
  }
  function setTool(tool) {
    st.tool = tool;
    bar.querySelectorAll(".ltool").forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.ltool === tool)); });
    V().setTool(tool === "add-line" || tool === "region" ? "polygon" : tool === "add-baseline" ? "polyline" : "pan");
    viewer.dataset.ltool = tool;
    var hints = { select: "Click a line or region to select it.", split: "Click a line where it should be cut in two.",
                  "add-line": "Click the corners of the missing line; double-click or Enter to finish.",
                  "add-baseline": "Click along the missing line's baseline, left to right; double-click or Enter to finish. Its polygon is fitted on the scan.",
                  region: "Click the corners of the region; double-click or Enter to finish." };
    say(hints[tool]);
  }
  function setOn(on) {
    st.on = on;
    root.dataset.layout = on ? "1" : "0";
    toggle.setAttribute("aria-pressed", String(on));
    bar.hidden = !on;
    if (list) list.querySelectorAll("li.line").forEach(function (row) { row.draggable = on; });
    if (on) setTool("select"); else { V().setTool("pan"); select(null, null); }
    draw();
  }
  toggle.addEventListener("click", function () { setOn(!st.on); });
  bar.querySelectorAll(".ltool").forEach(function (b) { b.addEventListener("click", function () { setTool(b.dataset.ltool); }); });

  /* Clicks on the scan: select, or split at the clicked column. A drag (pan) is not a click. */
  viewer.addEventListener("pointerdown", function (ev) { st.down = [ev.clientX, ev.clientY]; }, true);
  viewer.addEventListener("click", function (ev) {
    if (!st.on || (st.tool !== "select" && st.tool !== "split")) return;
    if (st.down && Math.abs(ev.clientX - st.down[0]) + Math.abs(ev.clientY - st.down[1]) > 4) return;
    var hits = document.elementsFromPoint(ev.clientX, ev.clientY);
    var lineEl = hits.find(function (h) { return h.classList && h.classList.contains("line-poly"); });
    var regionEl = hits.find(function (h) { return h.classList && h.classList.contains("region-poly"); });
    if (st.tool === "split") {
      if (!lineEl) { say("Click inside a line to split it.", true); return; }
      var x = Math.round(V().toPage(ev)[0]);
      say("Splitting…");
      api("POST", "lines/" + lineEl.dataset.line + "/split/", { x: x })
        .then(function (res) { reload(res.right); }, function (err) { say("Not split: " + err.message, true); });
    } else if (lineEl) select(lineEl.dataset.line, null);
    else if (regionEl) select(null, regionEl.dataset.region);
  });
  if (list) list.addEventListener("click", function (ev) {
    var row = ev.target.closest("li.line");
    if (st.on && row && !ev.target.closest("button, a, input")) select(row.dataset.line, null);
  });
  if (list) list.addEventListener("focusin", function (ev) {
    var row = ev.target.closest("li.line");
    if (st.on && row) select(row.dataset.line, null);
  });

  /* Drawing a missing line or a region (the viewer's polygon tool emits the closed polygon). */
  viewer.addEventListener("region-selected", function (ev) {
    if (st.on && ev.detail.kind === "polyline" && st.tool === "add-baseline") {
      say("Adding the line and fitting its polygon…");
      api("POST", "lines/", { page: data.page, baseline: ev.detail.points }).then(function (line) { reload(line.id); },
        function (err) { V().clearDrawing(); say("Line not added: " + err.message, true); });
      return;
    }
    if (!st.on || ev.detail.kind !== "polygon") return;
    var body = { page: data.page, polygon: ev.detail.points };
    if (st.tool === "add-line") {
      say("Adding the line…");
      api("POST", "lines/", body).then(function (line) { reload(line.id); },
        function (err) { V().clearDrawing(); say("Line not added: " + err.message, true); });
    } else if (st.tool === "region") {
      body.kind = kindSelect.value;
      say("Adding the region…");
      api("POST", "regions/", body).then(function () { reload(null); },
        function (err) { V().clearDrawing(); say("Region not added: " + err.message, true); });
    }
  });

  /* Dragging polygon vertices and baseline points; saved when the pointer is released. */
  extras.addEventListener("pointerdown", function (ev) {
    var h = ev.target.closest(".handle");
    if (!h || ev.button !== 0) return;
    ev.stopPropagation(); ev.preventDefault();
    var kind = h.dataset.kind, obj = kind === "region" ? regions[st.region] : byId[st.line];
    var field = kind === "region" ? "polygon" : kind;
    st.drag = { kind: kind, field: field, obj: obj, i: +h.dataset.i, handle: h, before: JSON.parse(JSON.stringify(obj[field])) };
    h.setPointerCapture(ev.pointerId);
  });
  extras.addEventListener("pointermove", function (ev) {
    var d = st.drag;
    if (!d) return;
    var p = V().toPage(ev).map(Math.round);
    d.obj[d.field][d.i] = p;
    d.handle.setAttribute("cx", p[0]); d.handle.setAttribute("cy", p[1]);
    d.moved = true;
    paintShape(d);
  });
  function paintShape(d) {
    if (d.kind === "region") {
      var rp = document.querySelector('.region-poly[data-region="' + d.obj.id + '"]');
      if (rp) rp.setAttribute("points", pts(d.obj.polygon));
    } else if (d.kind === "polygon") {
      var lp = document.querySelector('.line-poly[data-line="' + d.obj.id + '"]');
      if (lp) lp.setAttribute("points", pts(d.obj.polygon));
    } else {
      var bl = extras.querySelector('.baseline[data-line="' + d.obj.id + '"]');
      if (bl) bl.setAttribute("points", pts(d.obj.baseline));
    }
  }
  extras.addEventListener("pointerup", function () {
    var d = st.drag;
    st.drag = null;
    if (!d || !d.moved) return;
    var body = {};
    body[d.field] = d.obj[d.field];
    var url = (d.kind === "region" ? "regions/" : "lines/") + d.obj.id + "/";
    say("Saving…");
    api("PATCH", url, body).then(function (saved) {
      d.obj.version = saved.version;
      say("Saved: " + (d.kind === "region" ? "region" : "line") + " version " + saved.version + " (the earlier shape is in its history).");
      var row = document.getElementById("line-" + d.obj.id);
      var hist = document.getElementById("history-panel");
      if (row && d.kind !== "region" && hist && hist.dataset.line === String(d.obj.id)) row.querySelector(".history-btn").click();
    }, function (err) {
      d.obj[d.field] = d.before;
      paintShape(d); draw();
      say("Not saved: " + err.message, true);
    });
  });

  /* Actions on the selection. */
  function act(name) {
    var line = byId[st.line];
    if (name === "retype" || (name === "delete" && st.region)) {
      if (!st.region) { say("Select a region first.", true); return; }
      if (name === "retype") {
        api("PATCH", "regions/" + st.region + "/", { kind: kindSelect.value }).then(function (r) {
          regions[r.id].kind = r.kind;
          var rp = document.querySelector('.region-poly[data-region="' + r.id + '"]');
          if (rp) { rp.dataset.kind = r.kind; rp.querySelector("title").textContent = r.kind; }
          say("Region retyped as " + r.kind + " (version " + r.version + ").");
        }, function (err) { say("Not retyped: " + err.message, true); });
      } else {
        api("DELETE", "regions/" + st.region + "/").then(function () { reload(null); }, function (err) { say("Not deleted: " + err.message, true); });
      }
      return;
    }
    if (!line) { say("Select a line first.", true); return; }
    var seq = ordered(), i = seq.indexOf(line);
    if (name === "merge") {
      var next = seq[i + 1];
      if (!next) { say("The last line has no next line to merge with.", true); return; }
      api("POST", "lines/" + line.id + "/merge/", { other: next.id }).then(function (kept) { reload(kept.id); },
        function (err) { say("Not merged: " + err.message, true); });
    } else if (name === "fit") {
      say("Fitting the polygon…");
      api("POST", "lines/" + line.id + "/fit/", {}).then(function (l) { reload(l.id); },
        function (err) { say("Not fitted: " + err.message, true); });
    } else if (name === "delete") {
      api("DELETE", "lines/" + line.id + "/").then(function () { reload(null); }, function (err) { say("Not deleted: " + err.message, true); });
    } else if (name === "up" || name === "down") {
      var to = i + (name === "up" ? -1 : 1);
      if (to < 0 || to >= seq.length) return;
      api("PATCH", "lines/" + line.id + "/", { order: to }).then(function () { reload(line.id); },
        function (err) { say("Not moved: " + err.message, true); });
    }
  }
  bar.querySelectorAll("[data-lact]").forEach(function (b) { b.addEventListener("click", function () { act(b.dataset.lact); }); });

  /* Keyboard: L toggles layout mode; in it Alt+↑/↓ move the selected line, M merges, F fits its polygon, Delete deletes,
     S/A/B/R pick the split, add-line, add-baseline and region tools, Esc goes back to selecting. */
  document.addEventListener("keydown", function (ev) {
    var typing = ev.target.closest && ev.target.closest("input, textarea, select");
    if (typing) return;
    if (ev.key === "l" && !ev.altKey && !ev.ctrlKey && !ev.metaKey) { ev.preventDefault(); setOn(!st.on); return; }
    if (!st.on) return;
    var handled = true;
    if (ev.altKey && ev.key === "ArrowUp") act("up");
    else if (ev.altKey && ev.key === "ArrowDown") act("down");
    else if (ev.key === "Delete") act("delete");
    else if (ev.key === "m") act("merge");
    else if (ev.key === "f") act("fit");
    else if (ev.key === "s") setTool("split");
    else if (ev.key === "a") setTool("add-line");
    else if (ev.key === "b") setTool("add-baseline");
    else if (ev.key === "r") setTool("region");
    else if (ev.key === "Escape") setTool("select");
    else handled = false;
    if (handled) { ev.preventDefault(); ev.stopPropagation(); }
  }, true);

  /* Mouse reordering: drag a row of the line list before or after another. */
  var dragged = null;
  if (list) {
    list.addEventListener("dragstart", function (ev) {
      var row = ev.target.closest("li.line");
      if (!st.on || !row) return;
      dragged = row;
      ev.dataTransfer.effectAllowed = "move";
      ev.dataTransfer.setData("text/plain", row.dataset.line);
      row.classList.add("dragging");
    });
    list.addEventListener("dragover", function (ev) {
      if (!dragged) return;
      ev.preventDefault();
      var row = ev.target.closest("li.line");
      list.querySelectorAll(".drop-before, .drop-after").forEach(function (r) { r.classList.remove("drop-before", "drop-after"); });
      if (row && row !== dragged) {
        var box = row.getBoundingClientRect();
        row.classList.add(ev.clientY < box.top + box.height / 2 ? "drop-before" : "drop-after");
      }
    });
    list.addEventListener("drop", function (ev) {
      if (!dragged) return;
      ev.preventDefault();
      var row = ev.target.closest("li.line");
      var moving = dragged;
      dragged = null;
      moving.classList.remove("dragging");
      if (!row || row === moving) return;
      var box = row.getBoundingClientRect();
      if (ev.clientY < box.top + box.height / 2) row.before(moving); else row.after(moving);
      var ids = Array.prototype.map.call(list.querySelectorAll("li.line"), function (r) { return +r.dataset.line; });
      say("Saving the reading order…");
      api("POST", "lines/reorder/", { page: data.page, lines: ids }).then(function () { reload(+moving.dataset.line); },
        function (err) { say("Order not saved: " + err.message, true); });
    });
    list.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("dragging");
      dragged = null;
      list.querySelectorAll(".drop-before, .drop-after").forEach(function (r) { r.classList.remove("drop-before", "drop-after"); });
    });
  }

  /* Back in layout mode after a reload, with the same selection. */
  var params = new URLSearchParams(window.location.search);
  if (params.get("layout") === "1") {
    setOn(true);
    var sel = params.get("sel");
    if (sel && byId[sel]) {
      select(sel, null);
      var row = document.getElementById("line-" + sel);
      if (row) { row.focus(); row.scrollIntoView({ block: "nearest" }); }
    }
  }
})();
