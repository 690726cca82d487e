/* tracker network view. Reads the JSON block #tracker-data and draws it with vis-network.
 * Data is hostile: every text goes in with textContent, never innerHTML; only http(s) URLs become
 * links (rel="noopener noreferrer"); nothing is ever fetched. Labels are drawn by this script on
 * vis's canvas (fixed size on screen, most central first, never on top of one another), so the
 * opening picture is readable whatever the zoom. The state of the page lives in the URL fragment. */
(function () {
  "use strict";

  var DATA = JSON.parse(document.getElementById("tracker-data").textContent);
  var STYLE = DATA.style;
  var LABELS = STYLE.labels;
  var META = DATA.meta;
  var SVGNS = "http://www.w3.org/2000/svg";
  var PATH_COLOUR = "#ff7f0e";
  var FONT = "\"DejaVu Sans\", \"Noto Sans\", Arial, sans-serif";

  /* ---- small DOM helpers (text only) ---------------------------------------------------- */
  /* Direction overrides in data could make "gpj.exe" read as "exe.jpg": show them as codes. */
  /* A text longer than SHOWN_MAX (a 100 KB name from a broken file or a hostile one) is cut,
     saying how much: laying it out whole freezes the page for seconds. The data keeps it all. */
  var SHOWN_MAX = 2000;
  function shown(text) {
    text = String(text);
    if (text.length > SHOWN_MAX) {
      text = text.slice(0, SHOWN_MAX) + "… [" + (text.length - SHOWN_MAX) + " more characters]";
    }
    return text.replace(/[\u202A-\u202E\u2066-\u2069]/g, function (c) {
      return "[U+" + c.charCodeAt(0).toString(16).toUpperCase() + "]";
    });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = shown(text);
    return e;
  }
  function button(cls, text, onClick) {
    var b = el("button", cls, text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  function httpUrl(url) {
    if (typeof url !== "string" || !url) return "";
    try {
      var u = new URL(url);
      return (u.protocol === "http:" || u.protocol === "https:") ? u.href : "";
    } catch (err) { return ""; }
  }
  function link(url, text) {
    var href = httpUrl(url);
    if (!href) return el("span", "url", text || url || "");
    var a = el("a", null, text || url);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.referrerPolicy = "no-referrer";
    return a;
  }
  function entityName(id) {
    var e = DATA.entities[id];
    return e ? (e.name || id) : id;
  }
  function present(v) {
    return !(v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0));
  }
  function humanise(key) {
    var t = String(key).replace(/_/g, " ");
    return t.charAt(0).toUpperCase() + t.slice(1);
  }

  /* ---- names: the same folding as tracker.views.js_skeleton ---------------------------- */
  var MAP = DATA.search.map, FOLDS = DATA.search.folds;
  function fold(text) {
    var s = String(text || "").normalize("NFC"), out = "";
    for (var ch of s) out += Object.prototype.hasOwnProperty.call(MAP, ch) ? MAP[ch] : ch;
    out = out.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
    return out.replace(/[^0-9a-z]+/g, " ").trim();
  }
  function skeleton(text) {
    var words = fold(text).split(" ").filter(Boolean);
    return words.map(function (w) {
      for (var i = 0; i < FOLDS.length; i++) w = w.split(FOLDS[i][0]).join(FOLDS[i][1]);
      return w.replace(/(.)\1+/g, "$1");
    }).join(" ");
  }
  function matchScore(key, q, qwords) {
    if (key === q) return 4;
    if (key.indexOf(q) === 0) return 3;
    var kw = key.split(" ");
    var all = qwords.every(function (w) { return kw.some(function (k) { return k.indexOf(w) === 0; }); });
    if (all) return 2;
    return key.indexOf(q) >= 0 ? 1 : 0;
  }
  var VALUE = {}, LABEL = {};
  DATA.nodes.forEach(function (n) { VALUE[n.id] = n.value || 0; LABEL[n.id] = n.label || n.id; });
  function search(query, limit) {
    var q = skeleton(query);
    if (!q) return [];
    var qwords = q.split(" ");
    var hits = [];
    Object.keys(DATA.entities).forEach(function (id) {
      var best = 0;
      (DATA.entities[id].keys || []).forEach(function (k) { best = Math.max(best, matchScore(k, q, qwords)); });
      if (best > 0) hits.push([best, VALUE[id] || 0, entityName(id), id]);
    });
    hits.sort(function (a, b) { return b[0] - a[0] || b[1] - a[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0); });
    return hits.slice(0, limit || 12).map(function (h) { return h[3]; });
  }

  /* ---- dates: same semantics as tracker.dates.in_force --------------------------------- */
  var PARTIAL = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function parsePartial(text) {
    var m = PARTIAL.exec(text);
    if (!m) return null;
    var y = +m[1];
    if (y < 1000) return null;
    if (m[2] === undefined) return [y + "-01-01", y + "-12-31"];
    var mo = +m[2];
    if (mo < 1 || mo > 12) return null;
    var last = new Date(Date.UTC(y, mo, 0)).getUTCDate();
    if (m[3] === undefined) return [y + "-" + pad(mo) + "-01", y + "-" + pad(mo) + "-" + pad(last)];
    var d = +m[3];
    if (d < 1 || d > last) return null;
    var day = y + "-" + pad(mo) + "-" + pad(d);
    return [day, day];
  }
  function inForce(start, end, asOf) {
    var span = parsePartial(asOf);
    if (!span) return true;
    var s = start ? parsePartial(start) : null, e = end ? parsePartial(end) : null;
    if (s && s[0] > span[1]) return false;
    if (e && e[1] < span[0]) return false;
    return true;
  }

  /* ---- the graph as adjacency ----------------------------------------------------------- */
  var INCIDENT = {};
  Object.keys(DATA.relations).sort().forEach(function (rid) {
    var r = DATA.relations[rid];
    (INCIDENT[r.source] = INCIDENT[r.source] || []).push(rid);
    if (r.target !== r.source) (INCIDENT[r.target] = INCIDENT[r.target] || []).push(rid);
  });
  function other(rid, id) { var r = DATA.relations[rid]; return r.source === id ? r.target : r.source; }

  /* ---- the network ---------------------------------------------------------------------- */
  var status = document.getElementById("status");
  var captionEl = document.getElementById("caption");
  var ORIG_EDGE_COLOUR = {};
  DATA.edges.forEach(function (e) { ORIG_EDGE_COLOUR[e.id] = e.color; });
  /* vis draws no label of its own: this script does (see drawLabels). */
  var nodes = new vis.DataSet(DATA.nodes.map(function (n) {
    var c = {};
    Object.keys(n).forEach(function (k) { if (k !== "label") c[k] = n[k]; });
    return c;
  }));
  var edges = new vis.DataSet(DATA.edges);
  var container = document.getElementById("network");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, DATA.options);
  var state = {
    sphere: {}, kind: {}, relation: {}, evidence: {}, asOf: "", layout: META.layout || "force",
    hood: [], hideOrphans: true, selected: null, edge: null, path: null
  };
  var api = {
    network: network, nodes: nodes, edges: edges, data: DATA, rendered: false, state: state,
    fold: fold, skeleton: skeleton, search: search, inForce: inForce,
    selectNode: selectNode, selectEdge: selectEdge, deselect: deselect, applyFilters: applyFilters, setAsOf: setAsOf,
    setChecked: setChecked, visibleEdges: visibleEdges, visibleNodes: visibleNodes, labelOf: function (id) { return LABEL[id]; },
    focusHere: focusHere, expand: expand, showAll: showAll, setLayout: setLayout, findPaths: findPaths, showPathsBetween: showPathsBetween,
    placedLabels: function () { return PLACED.slice(); }, dimmed: function () { return Object.keys(DIM).filter(function (k) { return DIM[k]; }).sort(); },
    fragment: fragment, readFragment: readFragment, pictureCanvas: pictureCanvas, pictureSVG: pictureSVG,
    setHideOrphans: setHideOrphans
  };
  window.trackerView = api;

  var forcePositions = DATA.positions.force;  /* filled after vis's physics settles when null */
  network.once("afterDrawing", function () {
    api.rendered = true;
    document.documentElement.setAttribute("data-rendered", "true");
    fitVisible();
    readFragment(false);
    if (!state.selected && !state.edge && !state.path) {
      /* A page made with --focus is that neighbourhood: show all of it, the entity selected. */
      if (DATA.focus) selectNode(DATA.focus, false);
      else if (DATA.highlight.length) showPaths(DATA.highlight, "Highlighted paths");
    }
    updateCaption();
    writeFragment();
    window.addEventListener("hashchange", function () { readFragment(true); });
  });
  network.on("stabilizationProgress", function (p) {
    status.textContent = "Laying out… " + Math.round(100 * p.iterations / p.total) + "%";
  });
  network.once("stabilizationIterationsDone", function () {
    network.setOptions({ physics: { enabled: false } });
    if (state.layout === "force" && !forcePositions) forcePositions = network.getPositions();
    fitVisible();
  });
  network.on("click", function (params) {
    if (params.nodes && params.nodes.length) selectNode(params.nodes[0], false);
    else if (params.edges && params.edges.length) selectEdge(params.edges[0]);
    else deselect();
  });
  var HOVER = null;
  network.on("hoverNode", function (p) { HOVER = p.node; network.redraw(); });
  network.on("blurNode", function () { HOVER = null; network.redraw(); });

  /* ---- labels: drawn on the canvas at a fixed size on screen ----------------------------- */
  var TOP = {};
  (DATA.top_labels || []).forEach(function (id, i) { TOP[id] = i + 1; });
  var BY_VALUE = Object.keys(DATA.entities).sort(function (a, b) {
    return (VALUE[b] || 0) - (VALUE[a] || 0) || (a < b ? -1 : a > b ? 1 : 0);
  });
  /* In the sphere layout every band gets its share of labels: each band's most central first,
     then each band's second, and so on (the offshore jurisdictions are named, not just the hubs). */
  var BY_BAND = (function () {
    var seen = {}, rank = {};
    BY_VALUE.forEach(function (id) {
      var s = DATA.entities[id].sphere;
      seen[s] = (seen[s] || 0) + 1;
      rank[id] = seen[s];
    });
    var at = {};
    BY_VALUE.forEach(function (id, i) { at[id] = i; });
    return BY_VALUE.slice().sort(function (a, b) { return rank[a] - rank[b] || at[a] - at[b]; });
  })();
  var PLACED = [];
  var LABEL_PX = 12, TOP_PX = 13;
  function overlaps(a, list) {
    for (var i = 0; i < list.length; i++) {
      var b = list[i];
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) return true;
    }
    return false;
  }
  function nodeRadius(id, scale) {
    var n = network.body && network.body.nodes[id];
    var r = n && n.shape ? (n.shape.radius || (n.shape.width || 16) / 2) : 8;
    return r * scale;
  }
  function drawLabels(ctx) {
    PLACED = [];
    var canvas = ctx.canvas;
    var ratio = canvas.width / (canvas.clientWidth || canvas.width);
    var W = canvas.clientWidth, H = canvas.clientHeight;
    var scale = network.getScale();
    var origin = network.canvasToDOM({ x: 0, y: 0 });
    var pos = network.getPositions();
    var dimming = Object.keys(DIM).length > 0;
    var order = [];
    var seen = {};
    function add(id, force) {
      if (!id || seen[id] || !pos[id] || hiddenNode[id]) return;
      if (dimming && DIM[id] && !force) return;
      seen[id] = true;
      order.push([id, !!force || !!TOP[id] && !dimming]);
    }
    add(state.selected, true);
    add(HOVER, true);
    if (state.path) state.path.nodes.forEach(function (id) { add(id, true); });
    if (dimming) BY_VALUE.forEach(function (id) { if (!DIM[id]) add(id, false); });
    (DATA.top_labels || []).forEach(function (id) { add(id, true); });
    var rest = state.layout === "spheres" ? BY_BAND : BY_VALUE;
    for (var i = 0; i < rest.length; i++) add(rest[i], false);
    /* At most one label per 11,000 px² of canvas beyond the forced ones: the picture stays a
       picture; zooming in brings fewer entities on screen, so each of them gets its label. */
    var budget = Math.max(30, Math.round(W * H / 11000)), free = 0;
    ctx.save();
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.textBaseline = "top";
    ctx.lineJoin = "round";
    order.forEach(function (item) {
      var id = item[0], force = item[1];
      var p = pos[id];
      var x = origin.x + p.x * scale, y = origin.y + p.y * scale;
      if (x < -200 || x > W + 200 || y < -50 || y > H + 50) return;
      if (!force && free >= budget) return;
      var big = !!TOP[id] || id === state.selected;
      var px = big ? TOP_PX : LABEL_PX;
      ctx.font = (big ? "bold " : "") + px + "px " + FONT;
      var text = LABEL[id];
      var w = ctx.measureText(text).width + 4, h = px + 3;
      var r = nodeRadius(id, scale) + 2;
      var spots = [
        { x: x - w / 2, y: y + r, w: w, h: h }, { x: x - w / 2, y: y - r - h, w: w, h: h },
        { x: x + r + 2, y: y - h / 2, w: w, h: h }, { x: x - r - 2 - w, y: y - h / 2, w: w, h: h }
      ];
      if (force) {
        /* A forced label may move further out rather than sit on another one. */
        spots.push({ x: x - w / 2, y: y + r + h, w: w, h: h }, { x: x - w / 2, y: y - r - 2 * h, w: w, h: h },
          { x: x + r + 2, y: y + h / 2, w: w, h: h }, { x: x - r - 2 - w, y: y - 1.5 * h, w: w, h: h },
          { x: x - w / 2, y: y + r + 2 * h, w: w, h: h }, { x: x - w / 2, y: y - r - 3 * h, w: w, h: h });
      }
      var spot = null;
      for (var s = 0; s < spots.length; s++) {
        var c = spots[s];
        if (c.x >= 0 && c.x + c.w <= W && c.y >= 0 && c.y + c.h <= H && !overlaps(c, PLACED)) { spot = c; break; }
      }
      if (!spot && !force) return;
      if (!force && free >= budget) return;
      if (!force) free++;
      if (!spot) spot = spots[0];
      PLACED.push({ id: id, x: spot.x, y: spot.y, w: spot.w, h: spot.h, px: px, bold: big, text: text });
      ctx.lineWidth = 3.5;
      ctx.strokeStyle = "rgba(255,255,255,0.92)";
      ctx.fillStyle = DIM[id] ? "#9aa1ad" : "#1d2430";
      ctx.strokeText(text, spot.x + 2, spot.y + 1.5);
      ctx.fillText(text, spot.x + 2, spot.y + 1.5);
    });
    ctx.restore();
  }
  function drawBands(ctx, titles) {
    if (state.layout !== "spheres") return;
    (META.bands || []).forEach(function (b, i) {
      var colour = (STYLE.spheres.filter(function (s) { return s.name === b.name; })[0] || {}).colour || "#8d99ae";
      if (!titles) {
        ctx.save();
        ctx.fillStyle = colour;
        ctx.globalAlpha = i % 2 ? 0.07 : 0.1;
        ctx.fillRect(b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0);
        ctx.restore();
        return;
      }
      var canvas = ctx.canvas, ratio = canvas.width / (canvas.clientWidth || canvas.width);
      var p = network.canvasToDOM({ x: b.x0, y: b.y0 }), q = network.canvasToDOM({ x: b.x1, y: b.y1 });
      ctx.save();
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.textBaseline = "top";
      ctx.lineWidth = 4; ctx.strokeStyle = "#ffffff"; ctx.fillStyle = "#1d2430";
      bandTitle(ctx, b.label.toUpperCase(), q.x - p.x - 10).forEach(function (line, k) {
        ctx.strokeText(line[0], p.x + 6, p.y + 6 + k * (line[1] + 2));
        ctx.fillText(line[0], p.x + 6, p.y + 6 + k * (line[1] + 2));
      });
      ctx.restore();
    });
  }
  /* A band's title fits its band: smaller type, then one word a line (never over the next band). */
  function bandTitle(ctx, text, width) {
    for (var px = 14; px >= 10; px--) {
      ctx.font = "bold " + px + "px " + FONT;
      if (ctx.measureText(text).width <= width) return [[text, px]];
    }
    ctx.font = "bold 10px " + FONT;
    return text.split(" ").map(function (w) { return [w, 10]; });
  }
  network.on("beforeDrawing", function (ctx) { drawBands(ctx, false); });
  network.on("afterDrawing", function (ctx) { drawLabels(ctx); drawBands(ctx, true); });

  /* ---- selection: what is not linked is dimmed ------------------------------------------ */
  var DIM = {}, EDGE_DIM = {}, PATH_EDGE = {};
  function edgeColour(rid) {
    var c = ORIG_EDGE_COLOUR[rid] || {};
    var out = { color: c.color, highlight: c.highlight, hover: c.hover, inherit: false, opacity: 1 };
    if (PATH_EDGE[rid]) out.color = PATH_COLOUR;
    if (EDGE_DIM[rid]) out.opacity = 0.12;
    return out;
  }
  function dimExcept(keepNodes, keepEdges) {
    var nu = [], eu = [];
    Object.keys(DATA.entities).forEach(function (id) {
      var d = !keepNodes[id];
      if (!!DIM[id] !== d) nu.push({ id: id, opacity: d ? 0.15 : 1 });
      if (d) DIM[id] = true; else delete DIM[id];
    });
    Object.keys(DATA.relations).forEach(function (rid) {
      var d = !keepEdges[rid];
      if (!!EDGE_DIM[rid] !== d) { if (d) EDGE_DIM[rid] = true; else delete EDGE_DIM[rid]; eu.push({ id: rid, color: edgeColour(rid) }); }
    });
    if (nu.length) nodes.update(nu);
    if (eu.length) edges.update(eu);
  }
  function undim() {
    var nu = Object.keys(DIM).map(function (id) { return { id: id, opacity: 1 }; });
    DIM = {};
    var ids = Object.keys(EDGE_DIM).concat(Object.keys(PATH_EDGE));
    EDGE_DIM = {}; PATH_EDGE = {};
    var eu = ids.map(function (rid) { return { id: rid, color: edgeColour(rid) }; });
    if (nu.length) nodes.update(nu);
    if (eu.length) edges.update(eu);
  }
  function dimAround(id) {
    var keepN = {}, keepE = {};
    keepN[id] = true;
    (INCIDENT[id] || []).forEach(function (rid) {
      if (hiddenEdge[rid]) return;
      keepE[rid] = true;
      keepN[other(rid, id)] = true;
    });
    dimExcept(keepN, keepE);
  }
  function selectNode(id, move) {
    if (!DATA.entities[id]) return false;
    state.edge = null;
    if (state.path) clearPath();
    state.selected = id;
    var item = nodes.get(id);
    if (item && !item.hidden) {
      network.selectNodes([id]);
      dimAround(id);
      if (move !== false) centreOn(id);
    }
    showNode(id);
    changed();
    return true;
  }
  /* Centre an entity, zoomed so that the entities it is linked to are on screen too. */
  function centreOn(id) {
    var pos = network.getPositions(), c = pos[id];
    if (!c) return;
    var dx = 80, dy = 60;
    (INCIDENT[id] || []).forEach(function (rid) {
      var o = pos[other(rid, id)];
      if (!o || hiddenEdge[rid]) return;
      dx = Math.max(dx, Math.abs(o.x - c.x)); dy = Math.max(dy, Math.abs(o.y - c.y));
    });
    var W = container.clientWidth || 800, H = container.clientHeight || 600;
    var scale = Math.max(0.25, Math.min((W / 2 - 90) / dx, (H / 2 - 40) / dy, 1.3));
    network.moveTo({ position: { x: c.x, y: c.y }, scale: scale, animation: false });
  }
  function selectEdge(id) {
    if (!DATA.relations[id]) return false;
    var r = DATA.relations[id];
    if (state.path) clearPath();
    state.selected = null;
    state.edge = id;
    var item = edges.get(id);
    if (item && !item.hidden) {
      network.selectEdges([id]);
      var keepN = {}, keepE = {};
      keepN[r.source] = keepN[r.target] = keepE[id] = true;
      (r.referred_by || []).concat(r.refers_to || []).forEach(function (x) {
        var a = DATA.relations[x];
        if (a) { keepE[x] = keepN[a.source] = keepN[a.target] = true; }
      });
      dimExcept(keepN, keepE);
    }
    showEdge(id);
    changed();
    return true;
  }
  function deselect() {
    state.selected = null; state.edge = null;
    if (state.path) clearPath();
    network.unselectAll();
    undim();
    startPanel();
    changed();
  }
  /* The panel before anything is chosen: where to start, the most central entities first. */
  function startPanel() {
    clear(panel);
    panel.removeAttribute("data-showing");
    panel.appendChild(el("p", "hint", "Click an entity or a line to read its attributes and every source. Pick two entities under " +
      "“Path between” to see how they are linked. The URL always holds what you see: copy it to share this view."));
    var top = (DATA.top_labels || []).filter(function (id) { return DATA.entities[id]; });
    if (!top.length) return;
    panel.appendChild(el("h3", null, "Most central (by " + META.size_by + ")"));
    var ol = el("ol", "start");
    top.forEach(function (id) {
      var li = el("li");
      li.appendChild(button("linkish", entityName(id), function () { selectNode(id); }));
      li.appendChild(el("span", "hint", " " + (LABELS.spheres[DATA.entities[id].sphere] || "") + (hiddenNode[id] ? " (hidden by filters)" : "")));
      ol.appendChild(li);
    });
    panel.appendChild(ol);
  }

  /* ---- the side panel ------------------------------------------------------------------- */
  var panel = document.getElementById("panel-body");
  function panelStart(title) {
    clear(panel);
    panel.appendChild(button("close", "Close", deselect));
    panel.appendChild(el("h2", "title", title));
  }
  function attrs(rows) {
    var dl = el("dl");
    rows.forEach(function (r) {
      if (!present(r[1])) return;
      dl.appendChild(el("dt", null, r[0]));
      var dd = el("dd");
      if (r[1] instanceof Node) dd.appendChild(r[1]);
      else dd.textContent = shown(Array.isArray(r[1]) ? r[1].join("; ") : r[1]);
      dl.appendChild(dd);
    });
    return dl;
  }
  /* Fields this page does not know by name (added to the data later) are still shown. */
  function extraRows(record, known) {
    var rows = [];
    Object.keys(record).sort().forEach(function (k) {
      if (known.indexOf(k) >= 0 || k === "keys") return;
      var v = record[k];
      if (v === true) v = "yes";
      if (v === false || !present(v) || typeof v === "object" && !Array.isArray(v)) return;
      rows.push([humanise(k), v]);
    });
    return rows;
  }
  function evidenceBadge(ev) {
    var b = el("span", "badge " + (ev === "allegation" ? "allegation" : ""), LABELS.evidence[ev] || ev || "unknown evidence");
    b.title = LABELS.evidence_descriptions[ev] || "";
    return b;
  }
  /* How exact a source's date is (sources.date_precision): only the vague ones are worth a word. */
  var PRECISION = { exact: "", month: "", year: "", approximate: "approximate", not_shown: "date not shown on the page" };
  var SOURCE_KNOWN = ["id", "url", "href", "title", "publisher", "date", "evidence", "mirror", "language", "canonical_url",
    "canonical_href", "archived_url", "archived_href", "retrieved", "licence", "notes", "dataset"];
  function sourceBlock(sid, compact) {
    var s = DATA.sources[sid];
    var box = el("div", "source");
    if (!s) { box.appendChild(el("span", null, sid + " (source not in this view)")); return box; }
    box.classList.add("ev-" + String(s.evidence || "").replace(/[^a-z_]/g, ""));
    box.setAttribute("data-source", sid);
    var head = el("div");
    head.appendChild(link(s.href || s.url, s.title || s.url || sid));
    box.appendChild(head);
    var meta = el("div", "meta");
    meta.appendChild(evidenceBadge(s.evidence));
    if (s.mirror) meta.appendChild(el("span", "badge mirror", "mirror"));
    var precision = PRECISION[s.date_precision] !== undefined ? PRECISION[s.date_precision] : (s.date_precision || "");
    meta.appendChild(document.createTextNode(shown([s.publisher, s.date ? s.date + (precision ? " (" + precision + ")" : "") : (precision ? "date: " + precision : ""), s.language].filter(present).join(" · "))));
    box.appendChild(meta);
    if (compact) return box;
    var rows = [];
    if (present(s.canonical_url)) rows.push([s.mirror ? "Original" : "Canonical", link(s.canonical_href || s.canonical_url, s.canonical_url)]);
    if (present(s.archived_url)) rows.push(["Archived", link(s.archived_href || s.archived_url, s.archived_url)]);
    if (!httpUrl(s.href || "") && present(s.url)) rows.push(["Reference", s.url]);
    rows.push(["Retrieved", s.retrieved], ["Licence", s.licence], ["Notes", s.notes]);
    rows = rows.concat(extraRows(s, SOURCE_KNOWN.concat(["date_precision"])));
    rows.push(["Source id", sid]);
    box.appendChild(attrs(rows));
    return box;
  }
  function sourcesSection(ids, heading, empty) {
    var frag = document.createDocumentFragment();
    frag.appendChild(el("h3", null, heading + " (" + (ids ? ids.length : 0) + ")"));
    if (!ids || !ids.length) frag.appendChild(el("p", "hint", empty || "No source given."));
    (ids || []).forEach(function (sid) { frag.appendChild(sourceBlock(sid)); });
    return frag;
  }
  function relationSentence(r) {
    var role = r.role ? " (" + r.role + ")" : "";
    var arrow = r.directed === false ? " — " : " ";
    return entityName(r.source) + arrow + (r.label || r.kind) + role + arrow + entityName(r.target);
  }
  function relButton(rid) {
    var r = DATA.relations[rid];
    return button("linkish", r ? relationSentence(r) : rid, function () { selectEdge(rid); });
  }
  var RELATION_KNOWN = ["source", "target", "kind", "label", "role", "share", "share_min", "share_max", "share_text", "direct",
    "amount", "currency", "rank", "score", "start", "end", "evidence", "outcome", "note", "dataset", "record_id", "sources",
    "refers_to", "referred_by", "directed", "ownership", "id"];
  function relationRows(r, rid) {
    var amount = present(r.amount) ? (Number(r.amount).toLocaleString("en-GB") + (r.currency ? " " + r.currency : "")) : "";
    var ev = el("span");
    ev.appendChild(evidenceBadge(r.evidence));
    ev.appendChild(document.createTextNode(LABELS.evidence_descriptions[r.evidence] || ""));
    return [
      ["Relation", r.label || r.kind], ["Role", r.role], ["From", entityName(r.source)], ["To", entityName(r.target)],
      ["Share", r.share_text], ["Direct", r.direct], ["Amount", amount], ["Rank", r.rank], ["Score", r.score],
      ["Start", r.start], ["End", r.end], ["Evidence", ev], ["Outcome", r.outcome], ["Note", r.note]
    ].concat(extraRows(r, RELATION_KNOWN)).concat([["Dataset", r.dataset], ["Record", r.record_id], ["Id", rid]]);
  }
  function answerBlock(rid) {
    var box = el("div", "answer");
    var r = DATA.relations[rid];
    if (!r) { box.appendChild(el("span", null, rid + " (not in this view)")); return box; }
    box.setAttribute("data-relation", rid);
    box.appendChild(relButton(rid));
    box.appendChild(attrs([["Evidence", evidenceBadge(r.evidence)], ["Outcome", r.outcome], ["Note", r.note], ["Dates", [r.start, r.end].filter(present).join(" – ")]]));
    (r.sources || []).forEach(function (sid) { box.appendChild(sourceBlock(sid)); });
    return box;
  }
  function showEdge(rid) {
    var r = DATA.relations[rid];
    if (!r) return;
    panelStart(relationSentence(r));
    panel.setAttribute("data-showing", "relation:" + rid);
    panel.appendChild(attrs(relationRows(r, rid)));
    panel.appendChild(sourcesSection(r.sources, "Sources"));
    if (r.referred_by && r.referred_by.length) {
      panel.appendChild(el("h3", null, "Answered or updated by (" + r.referred_by.length + ")"));
      r.referred_by.forEach(function (x) { panel.appendChild(answerBlock(x)); });
    }
    if (r.refers_to && r.refers_to.length) {
      panel.appendChild(el("h3", null, "Answers (" + r.refers_to.length + ")"));
      r.refers_to.forEach(function (x) { panel.appendChild(answerBlock(x)); });
    }
  }
  var ENTITY_KNOWN = ["name", "kind", "sphere", "aliases", "country", "topics", "offshore", "placeholder", "birth_date",
    "identifiers", "notes", "dataset", "record_id", "sources", "label", "id"];
  function showNode(id) {
    var e = DATA.entities[id];
    if (!e) return;
    panelStart(e.name || id);
    panel.setAttribute("data-showing", "entity:" + id);
    var tools = el("div", "tools");
    tools.appendChild(button("tool", "Focus here", function () { focusHere(id); }));
    tools.appendChild(button("tool", "Expand neighbours", function () { expand(id); }));
    tools.appendChild(button("tool", "Path from here", function () { pathEnd("a", id); }));
    tools.appendChild(button("tool", "Path to here", function () { pathEnd("b", id); }));
    panel.appendChild(tools);
    var offshore = e.offshore === true ? "yes" : e.offshore === false ? "no" : "";
    /* A jurisdiction's constitutional tie (Crown Dependency, Overseas Territory) stands with its attributes. */
    var ties = [], tied = [];
    (INCIDENT[id] || []).forEach(function (rid) {
      var r = DATA.relations[rid];
      if (r.kind !== "constitutional_tie") return;
      if (r.source === id) ties.push((r.role || r.label || "tied") + " of " + entityName(r.target));
      else tied.push(entityName(r.source) + (r.role ? " (" + r.role + ")" : ""));
    });
    panel.appendChild(attrs([
      ["Kind", LABELS.kinds[e.kind] || e.kind], ["Sphere", LABELS.spheres[e.sphere] || e.sphere], ["Also known as", e.aliases],
      ["Country", e.country], ["Constitutional tie", ties], ["Tied to it", tied], ["Topics", e.topics], ["Offshore", offshore], ["Placeholder", e.placeholder ? "yes: stands for entities the sources do not name" : ""],
      ["Born", e.birth_date], ["Identifiers", e.identifiers], ["Notes", e.notes]
    ].concat(extraRows(e, ENTITY_KNOWN)).concat([["Dataset", e.dataset], ["Record", e.record_id], ["Id", id]])));
    var rels = INCIDENT[id] || [];
    var own = e.sources || [];
    panel.appendChild(sourcesSection(own, "Sources for the entity", rels.length ? "None of its own: its relations' sources follow." : "No source given."));
    /* Sources cited through its relations: an entity is never shown as unsourced when its links are. */
    var through = {}, order = [];
    rels.forEach(function (rid) {
      (DATA.relations[rid].sources || []).forEach(function (sid) {
        if (own.indexOf(sid) >= 0) return;
        if (!through[sid]) { through[sid] = []; order.push(sid); }
        through[sid].push(rid);
      });
    });
    order.sort(function (a, b) { return through[b].length - through[a].length || (a < b ? -1 : 1); });
    var sec = el("section", "through");
    sec.appendChild(el("h3", null, "Cited through its relations (" + order.length + ")"));
    order.forEach(function (sid) {
      var box = sourceBlock(sid, true);
      var cites = el("div", "cites", "Cited for " + through[sid].length + " relation" + (through[sid].length === 1 ? "" : "s") + ":");
      var list = el("ul");
      through[sid].slice(0, 3).forEach(function (rid) { var li = el("li"); li.appendChild(relButton(rid)); list.appendChild(li); });
      if (through[sid].length > 3) list.appendChild(el("li", null, "and " + (through[sid].length - 3) + " more"));
      cites.appendChild(list);
      box.appendChild(cites);
      sec.appendChild(box);
    });
    panel.appendChild(sec);
    panel.appendChild(el("h3", null, "Relations (" + rels.length + ")"));
    var ul = el("ul", "rels");
    rels.forEach(function (rid) {
      var li = el("li");
      li.appendChild(relButton(rid));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(evidenceBadge(DATA.relations[rid].evidence));
      if (hiddenEdge[rid]) li.appendChild(el("span", "hint", " (hidden by filters)"));
      ul.appendChild(li);
    });
    panel.appendChild(ul);
  }

  /* ---- paths: the shortest paths between two entities, over the relations shown -------- */
  function findPaths(a, b, limit) {
    limit = limit || 20;
    if (!DATA.entities[a] || !DATA.entities[b] || a === b) return [];
    var dist = {}, preds = {}, queue = [a], head = 0;
    dist[a] = 0; preds[a] = [];
    while (head < queue.length) {
      var u = queue[head++];
      if (u === b) break;
      (INCIDENT[u] || []).forEach(function (rid) {
        if (hiddenEdge[rid]) return;
        var v = other(rid, u);
        if (v === u) return;
        if (v !== b && !walkable(v)) return;
        if (dist[v] === undefined) { dist[v] = dist[u] + 1; preds[v] = [u]; queue.push(v); }
        else if (dist[v] === dist[u] + 1 && preds[v].indexOf(u) < 0) preds[v].push(u);
      });
    }
    if (dist[b] === undefined) return [];
    var out = [];
    (function walk(node, tail) {
      if (out.length >= limit * 4) return;
      if (node === a) { out.push([a].concat(tail)); return; }
      preds[node].slice().sort().forEach(function (p) { walk(p, [node].concat(tail)); });
    })(b, []);
    out.sort(function (x, y) { var s = x.join("\u0000"), t = y.join("\u0000"); return s < t ? -1 : s > t ? 1 : 0; });
    return out.slice(0, limit);
  }
  /* As tracker path: no path passes through a jurisdiction or a hub (tracker.graph.walkable). */
  var HUB_RELATIONS = 1000;
  function walkable(id) {
    var e = DATA.entities[id];
    return !(e && e.kind === "jurisdiction") && (INCIDENT[id] || []).length <= HUB_RELATIONS;
  }
  function hopRelations(u, v) {
    return (INCIDENT[u] || []).filter(function (rid) { return !hiddenEdge[rid] && other(rid, u) === v; });
  }
  function clearPath() {
    state.path = null;
    PATH_EDGE = {};
    undim();
  }
  function showPathsBetween(a, b) {
    var paths = findPaths(a, b);
    state.path = { a: a, b: b, nodes: [] };
    if (!paths.length) {
      undim();
      panelStart("No path shown between " + entityName(a) + " and " + entityName(b));
      panel.setAttribute("data-showing", "paths:" + a + ":" + b);
      panel.appendChild(el("p", "hint", "No chain of the relations shown links them. Widen the filters, or check with tracker path."));
      state.path = { a: a, b: b, nodes: [a, b] };
      changed();
      return [];
    }
    showPaths(paths, "Shortest paths: " + entityName(a) + " → " + entityName(b), a, b);
    return paths;
  }
  function showPaths(paths, title, a, b) {
    state.selected = null; state.edge = null;
    network.unselectAll();
    var keepN = {}, keepE = {};
    PATH_EDGE = {};
    paths.forEach(function (p) {
      p.forEach(function (id) { keepN[id] = true; });
      for (var i = 1; i < p.length; i++) hopRelations(p[i - 1], p[i]).forEach(function (rid) { keepE[rid] = PATH_EDGE[rid] = true; });
    });
    state.path = { a: a || paths[0][0], b: b || paths[0][paths[0].length - 1], nodes: Object.keys(keepN).sort() };
    EDGE_DIM = {};
    dimExcept(keepN, keepE);
    edges.update(Object.keys(PATH_EDGE).map(function (rid) { return { id: rid, color: edgeColour(rid), width: 5 }; }));
    var ids = Object.keys(keepN).filter(function (id) { return !hiddenNode[id]; });
    if (ids.length) { network.fit({ nodes: ids, animation: false }); if (network.getScale() > 1.4) network.moveTo({ scale: 1.4 }); }
    panelStart(title);
    panel.setAttribute("data-showing", "paths:" + state.path.a + ":" + state.path.b);
    var hops = paths[0].length - 1;
    panel.appendChild(el("p", "hint", paths.length + " shortest path" + (paths.length === 1 ? "" : "s") + " of " + hops + " hop" +
      (hops === 1 ? "" : "s") + " over the relations shown (the same as tracker path without filters). Each hop lists every relation between its two entities, with its sources."));
    paths.forEach(function (p, n) {
      var box = el("div", "pathbox");
      box.setAttribute("data-path", p.join(">"));
      var head = el("div", "route");
      head.appendChild(el("b", null, (n + 1) + ". "));
      p.forEach(function (id, i) {
        if (i) head.appendChild(document.createTextNode(" → "));
        head.appendChild(button("linkish", entityName(id), function () { selectNode(id); }));
      });
      box.appendChild(head);
      for (var i = 1; i < p.length; i++) {
        var hop = el("div", "hop");
        hop.appendChild(el("div", "hophead", entityName(p[i - 1]) + " → " + entityName(p[i])));
        hopRelations(p[i - 1], p[i]).forEach(function (rid) {
          var r = DATA.relations[rid];
          var line = el("div", "hoprel");
          line.setAttribute("data-relation", rid);
          line.appendChild(relButton(rid));
          line.appendChild(document.createTextNode(" "));
          line.appendChild(evidenceBadge(r.evidence));
          if (r.outcome) line.appendChild(el("span", "hint", " Outcome: " + r.outcome));
          hop.appendChild(line);
          (r.sources || []).forEach(function (sid) { hop.appendChild(sourceBlock(sid, true)); });
        });
        box.appendChild(hop);
      }
      panel.appendChild(box);
    });
    changed();
  }

  /* ---- focus here and expand: a neighbourhood inside the page --------------------------- */
  function hoodSet() {
    if (!state.hood.length) return null;
    var set = {};
    state.hood.forEach(function (c) {
      set[c] = true;
      (INCIDENT[c] || []).forEach(function (rid) { set[other(rid, c)] = true; });
    });
    return set;
  }
  function focusHere(id) {
    if (!DATA.entities[id]) return false;
    state.hood = [id];
    applyFilters(true);
    selectNode(id, false);
    fitVisible();
    return true;
  }
  function expand(id) {
    if (!DATA.entities[id]) return false;
    if (!state.hood.length) state.hood = [id];
    else if (state.hood.indexOf(id) < 0) state.hood = state.hood.concat([id]).sort();
    applyFilters(true);
    selectNode(id, false);
    fitVisible();
    return true;
  }
  function showAll() {
    state.hood = [];
    applyFilters(true);
  }

  /* ---- layouts ------------------------------------------------------------------------- */
  function setLayout(name) {
    if (name !== "force" && name !== "spheres") return false;
    var radio = document.querySelector("input[name='layout'][value='" + name + "']");
    if (radio) radio.checked = true;
    if (name === state.layout) return true;
    if (state.layout === "force" && !DATA.positions.force) forcePositions = network.getPositions();
    state.layout = name;
    var target = name === "spheres" ? DATA.positions.spheres : forcePositions;
    if (target) {
      network.setOptions({ physics: { enabled: false } });
      nodes.update(Object.keys(target).map(function (id) {
        var p = target[id];
        return { id: id, x: Array.isArray(p) ? p[0] : p.x, y: Array.isArray(p) ? p[1] : p.y };
      }));
      fitVisible();
    } else {
      network.setOptions({ physics: { enabled: true } });
      network.stabilize(300);
      network.once("stabilized", function () {
        network.setOptions({ physics: { enabled: false } });
        forcePositions = network.getPositions();
        fitVisible();
      });
    }
    changed();
    return true;
  }
  document.querySelectorAll("input[name='layout']").forEach(function (r) {
    if (r.value === state.layout) r.checked = true;
    r.addEventListener("change", function () { if (r.checked) setLayout(r.value); });
  });

  /* ---- filters and legend --------------------------------------------------------------- */
  /* vis's node shapes as polygons in a 16×16 box (the legend and the saved SVG draw them). */
  var SHAPE_POINTS = {
    square: "2,2 14,2 14,14 2,14", diamond: "8,1 15,8 8,15 1,8", triangle: "8,1 15,14 1,14",
    triangleDown: "1,2 15,2 8,15", hexagon: "4,1.5 12,1.5 15.5,8 12,14.5 4,14.5 0.5,8",
    star: "8,0.8 10,6 15.5,6 11,9.4 12.8,15 8,11.6 3.2,15 5,9.4 0.5,6 6,6"
  };
  function shapeIcon(shape, colour, dashed) {
    var svg = document.createElementNS(SVGNS, "svg");
    svg.setAttribute("width", "16"); svg.setAttribute("height", "16"); svg.setAttribute("viewBox", "0 0 16 16");
    var pts = SHAPE_POINTS[shape];
    var s = pts ? document.createElementNS(SVGNS, "polygon") : document.createElementNS(SVGNS, "circle");
    if (pts) s.setAttribute("points", pts); else { s.setAttribute("cx", "8"); s.setAttribute("cy", "8"); s.setAttribute("r", "6.5"); }
    s.setAttribute("fill", colour); s.setAttribute("stroke", "#333"); s.setAttribute("stroke-width", dashed ? "1.6" : "1");
    if (dashed) s.setAttribute("stroke-dasharray", "3 2");
    svg.appendChild(s);
    return svg;
  }
  function lineIcon(colour, width, dashes, arrow) {
    var svg = document.createElementNS(SVGNS, "svg");
    svg.setAttribute("width", "28"); svg.setAttribute("height", "12"); svg.setAttribute("viewBox", "0 0 28 12");
    var l = document.createElementNS(SVGNS, "line");
    l.setAttribute("x1", "1"); l.setAttribute("y1", "6"); l.setAttribute("x2", arrow ? "21" : "27"); l.setAttribute("y2", "6");
    l.setAttribute("stroke", colour); l.setAttribute("stroke-width", String(Math.min(width, 4)));
    if (Array.isArray(dashes)) l.setAttribute("stroke-dasharray", dashes.map(function (d) { return d / 2; }).join(" "));
    svg.appendChild(l);
    if (arrow) {
      var a = document.createElementNS(SVGNS, "polygon");
      a.setAttribute("points", "20,2 27,6 20,10"); a.setAttribute("fill", colour);
      svg.appendChild(a);
    }
    return svg;
  }
  var COUNTS = { sphere: {}, kind: {}, relation: {}, evidence: {} };
  Object.keys(DATA.entities).forEach(function (id) {
    var e = DATA.entities[id];
    COUNTS.sphere[e.sphere] = (COUNTS.sphere[e.sphere] || 0) + 1;
    COUNTS.kind[e.kind] = (COUNTS.kind[e.kind] || 0) + 1;
  });
  Object.keys(DATA.relations).forEach(function (rid) {
    var r = DATA.relations[rid];
    COUNTS.relation[r.kind] = (COUNTS.relation[r.kind] || 0) + 1;
    COUNTS.evidence[r.evidence] = (COUNTS.evidence[r.evidence] || 0) + 1;
  });
  var GROUP_LABEL = {};
  function checkboxes(boxId, group, items, icon) {
    var box = document.getElementById(boxId);
    GROUP_LABEL[group] = {};
    items.forEach(function (it) {
      state[group][it.name] = true;
      GROUP_LABEL[group][it.name] = it.label;
      var label = el("label");
      label.title = it.description || "";
      var cb = el("input");
      cb.type = "checkbox"; cb.checked = true; cb.value = it.name;
      cb.setAttribute("data-group", group);
      cb.addEventListener("change", function () { state[group][it.name] = cb.checked; applyFilters(true); });
      label.appendChild(cb);
      label.appendChild(icon(it));
      label.appendChild(el("span", null, it.label));
      label.appendChild(el("span", "count", COUNTS[group][it.name] || 0));
      box.appendChild(label);
    });
  }
  checkboxes("filter-sphere", "sphere", STYLE.spheres, function (it) { return shapeIcon("dot", it.colour, false); });
  checkboxes("filter-kind", "kind", STYLE.kinds, function (it) { return shapeIcon(it.shape, "#c9ced8", it.dashed); });
  checkboxes("filter-relation", "relation", STYLE.relation_kinds, function (it) { return lineIcon(it.colour, 2.5, false, it.directed); });
  checkboxes("filter-evidence", "evidence", STYLE.evidence, function (it) { return lineIcon(it.colour, it.width, it.dashes, false); });

  function syncChecks() {
    document.querySelectorAll("input[data-group]").forEach(function (cb) {
      cb.checked = state[cb.getAttribute("data-group")][cb.value] !== false;
    });
  }
  function setChecked(group, name, on) {
    state[group][name] = !!on;
    syncChecks();
    applyFilters(true);
  }
  var asOfInput = document.getElementById("as-of");
  function setAsOf(text) {
    asOfInput.value = text || "";
    onAsOf();
  }
  function onAsOf() {
    var v = asOfInput.value.trim();
    if (v && !parsePartial(v)) { asOfInput.classList.add("invalid"); return; }
    asOfInput.classList.remove("invalid");
    state.asOf = v;
    applyFilters(true);
  }
  asOfInput.addEventListener("input", onAsOf);
  var orphansBox = document.getElementById("hide-orphans");
  function setHideOrphans(on) {
    state.hideOrphans = !!on;
    orphansBox.checked = state.hideOrphans;
    applyFilters(true);
  }
  orphansBox.addEventListener("change", function () { setHideOrphans(orphansBox.checked); });
  function resetAll() {
    ["sphere", "kind", "relation", "evidence"].forEach(function (g) { Object.keys(state[g]).forEach(function (k) { state[g][k] = true; }); });
    syncChecks();
    asOfInput.value = ""; asOfInput.classList.remove("invalid"); state.asOf = "";
    state.hood = [];
    applyFilters(true);
  }
  document.getElementById("reset").addEventListener("click", resetAll);

  var hiddenNode = {}, hiddenEdge = {};
  /* Entities first (sphere, kind, neighbourhood), then relations (kind, evidence, date, both
     ends shown), then the entities a filter left without any shown relation, if asked. */
  function applyFilters(refit) {
    var nodeHide = {}, edgeHide = {};
    var hood = hoodSet();
    Object.keys(DATA.entities).forEach(function (id) {
      var e = DATA.entities[id];
      nodeHide[id] = state.sphere[e.sphere] === false || state.kind[e.kind] === false || (hood !== null && !hood[id]);
    });
    var filtering = false;
    Object.keys(DATA.relations).forEach(function (rid) {
      var r = DATA.relations[rid];
      var own = state.relation[r.kind] === false || state.evidence[r.evidence] === false || (state.asOf && !inForce(r.start, r.end, state.asOf));
      edgeHide[rid] = !!(own || nodeHide[r.source] || nodeHide[r.target]);
      if (edgeHide[rid]) filtering = true;
    });
    if (state.hideOrphans && filtering) {
      Object.keys(DATA.entities).forEach(function (id) {
        if (nodeHide[id] || !(INCIDENT[id] || []).length) return;
        nodeHide[id] = !(INCIDENT[id]).some(function (rid) { return !edgeHide[rid]; });
      });
    }
    var nodeUpdates = [], edgeUpdates = [];
    Object.keys(nodeHide).forEach(function (id) {
      if (!!hiddenNode[id] !== nodeHide[id]) { hiddenNode[id] = nodeHide[id]; nodeUpdates.push({ id: id, hidden: nodeHide[id] }); }
    });
    Object.keys(edgeHide).forEach(function (rid) {
      if (!!hiddenEdge[rid] !== edgeHide[rid]) { hiddenEdge[rid] = edgeHide[rid]; edgeUpdates.push({ id: rid, hidden: edgeHide[rid] }); }
    });
    if (nodeUpdates.length) nodes.update(nodeUpdates);
    if (edgeUpdates.length) edges.update(edgeUpdates);
    if (state.selected && !hiddenNode[state.selected]) dimAround(state.selected);
    else if (state.selected) { undim(); }
    status.textContent = visibleNodes().length + " of " + META.counts.entities + " entities · " +
      visibleEdges().length + " of " + META.counts.relations + " relations shown";
    if (refit && api.rendered) fitVisible();
    if (!panel.hasAttribute("data-showing")) startPanel();
    changed();
  }
  /* Fit what is shown, with room for the labels and the band titles around it. */
  function fitVisible() {
    var ids = visibleNodes();
    if (!ids.length) return;
    var pos = network.getPositions(ids);
    var x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    ids.forEach(function (id) {
      var p = pos[id];
      if (!p) return;
      x0 = Math.min(x0, p.x); x1 = Math.max(x1, p.x); y0 = Math.min(y0, p.y); y1 = Math.max(y1, p.y);
    });
    if (state.layout === "spheres" && !state.hood.length) {
      (META.bands || []).forEach(function (b) { x0 = Math.min(x0, b.x0); x1 = Math.max(x1, b.x1); y0 = Math.min(y0, b.y0); y1 = Math.max(y1, b.y1); });
    }
    if (!isFinite(x0)) return;
    var W = container.clientWidth || 800, H = container.clientHeight || 600;
    var scale = Math.min((W - 150) / Math.max(x1 - x0, 1), (H - 50) / Math.max(y1 - y0, 1), 1.5);
    network.moveTo({ position: { x: (x0 + x1) / 2, y: (y0 + y1) / 2 + 6 / scale }, scale: scale, animation: false });
  }
  function visibleEdges() { return Object.keys(DATA.relations).filter(function (r) { return !hiddenEdge[r]; }).sort(); }
  function visibleNodes() { return Object.keys(DATA.entities).filter(function (n) { return !hiddenNode[n]; }).sort(); }

  /* ---- the caption: what this picture shows --------------------------------------------- */
  function captionText() {
    var bits = [];
    if (META.caption) bits.push(META.caption);
    bits.push("layout: " + (state.layout === "spheres" ? "spheres (elite → companies → City → offshore)" : "force"));
    ["sphere", "kind", "relation", "evidence"].forEach(function (g) {
      var off = Object.keys(state[g]).filter(function (k) { return state[g][k] === false; }).sort();
      if (off.length) bits.push("hidden " + { sphere: "spheres", kind: "kinds", relation: "relations", evidence: "evidence" }[g] + ": " +
        off.map(function (k) { return GROUP_LABEL[g][k] || k; }).join(", "));
    });
    if (state.asOf) bits.push("in force on " + state.asOf);
    if (state.hood.length) bits.push("neighbours of " + state.hood.map(entityName).join(", "));
    if (state.path) bits.push("paths " + entityName(state.path.a) + " → " + entityName(state.path.b));
    else if (state.selected) bits.push("selected: " + entityName(state.selected));
    else if (state.edge) bits.push("selected: " + relationSentence(DATA.relations[state.edge]));
    bits.push("size: " + META.size_by);
    return bits.join(" · ");
  }
  function updateCaption() { captionEl.textContent = shown(captionText()); }

  /* ---- the URL fragment: the state of the page, to share and to cite ------------------- */
  var FRAG_GROUPS = { sphere: "hide-sphere", kind: "hide-kind", relation: "hide-rel", evidence: "hide-ev" };
  function enc(list) { return list.map(encodeURIComponent).join(","); }
  function fragment() {
    var parts = [];
    if (state.path) parts.push("path=" + enc([state.path.a, state.path.b]));
    else if (state.selected) parts.push("focus=" + encodeURIComponent(state.selected));
    else if (state.edge) parts.push("edge=" + encodeURIComponent(state.edge));
    if (state.layout !== (META.layout || "force")) parts.push("layout=" + state.layout);
    if (state.asOf) parts.push("asof=" + encodeURIComponent(state.asOf));
    Object.keys(FRAG_GROUPS).forEach(function (g) {
      var off = Object.keys(state[g]).filter(function (k) { return state[g][k] === false; }).sort();
      if (off.length) parts.push(FRAG_GROUPS[g] + "=" + enc(off));
    });
    if (state.hood.length) parts.push("hood=" + enc(state.hood));
    if (!state.hideOrphans) parts.push("orphans=show");
    return parts.join("&");
  }
  var writing = false;
  function writeFragment() {
    if (!api.rendered || writing) return;
    var f = fragment();
    var url = location.href.split("#")[0] + (f ? "#" + f : "");
    if (url !== location.href) { try { history.replaceState(null, "", url); } catch (err) { /* a sandboxed frame */ } }
  }
  function changed() { if (api.rendered) { updateCaption(); writeFragment(); } }
  function readFragment(refit) {
    var raw = location.hash.replace(/^#/, "");
    var params = {};
    raw.split("&").forEach(function (kv) {
      if (!kv) return;
      var i = kv.indexOf("=");
      var k = i < 0 ? kv : kv.slice(0, i), v = i < 0 ? "" : kv.slice(i + 1);
      params[k] = v;
    });
    function list(v) {
      return (v || "").split(",").filter(Boolean).map(function (x) { try { return decodeURIComponent(x); } catch (err) { return x; } });
    }
    function one(v) { try { return decodeURIComponent(v || ""); } catch (err) { return ""; } }
    writing = true;
    try {
      Object.keys(FRAG_GROUPS).forEach(function (g) {
        var off = list(params[FRAG_GROUPS[g]]);
        Object.keys(state[g]).forEach(function (k) { state[g][k] = off.indexOf(k) < 0; });
      });
      syncChecks();
      var asOf = one(params.asof);
      asOfInput.value = parsePartial(asOf) ? asOf : "";
      asOfInput.classList.remove("invalid");
      state.asOf = asOfInput.value;
      state.hood = list(params.hood).filter(function (id) { return DATA.entities[id]; }).sort();
      state.hideOrphans = params.orphans !== "show";
      orphansBox.checked = state.hideOrphans;
      applyFilters(false);
      if (params.layout === "force" || params.layout === "spheres") setLayout(params.layout);
      else if (raw) setLayout(META.layout || "force");
      if (raw || refit) fitVisible();
      var path = list(params.path);
      var focus = one(params.focus), edge = one(params.edge);
      if (path.length === 2 && DATA.entities[path[0]] && DATA.entities[path[1]]) {
        pathInputs.a.value = entityName(path[0]); pathInputs.b.value = entityName(path[1]);
        PATH_ENDS.a = path[0]; PATH_ENDS.b = path[1];
        showPathsBetween(path[0], path[1]);
      } else if (focus && DATA.entities[focus]) selectNode(focus, true);
      else if (edge && DATA.relations[edge]) selectEdge(edge);
      else if (raw && (state.selected || state.edge || state.path)) deselect();
    } finally {
      writing = false;
    }
    updateCaption();
    writeFragment();
  }

  /* ---- search box ----------------------------------------------------------------------- */
  function typeahead(input, results, onChoose) {
    var active = -1;
    function render() {
      clear(results);
      active = -1;
      var ids = input.value.trim() ? search(input.value, 12) : [];
      if (!input.value.trim()) { results.hidden = true; return; }
      if (!ids.length) results.appendChild(el("li", "none", "No entity matches"));
      ids.forEach(function (id) {
        var e = DATA.entities[id];
        var li = el("li");
        li.setAttribute("data-id", id);
        li.appendChild(el("span", null, e.name || id));
        var sub = [LABELS.kinds[e.kind] || e.kind].concat((e.aliases || []).slice(0, 3)).join(" · ");
        li.appendChild(el("span", "sub", sub + (hiddenNode[id] ? " (hidden by filters)" : "")));
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(id); });
        results.appendChild(li);
      });
      results.hidden = false;
    }
    function choose(id) {
      results.hidden = true;
      input.value = entityName(id);
      onChoose(id);
    }
    input.addEventListener("input", render);
    input.addEventListener("keydown", function (ev) {
      var items = results.querySelectorAll("li[data-id]");
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        if (!items.length) return;
        active = (active + (ev.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
        items.forEach(function (li, i) { li.classList.toggle("active", i === active); });
        ev.preventDefault();
      } else if (ev.key === "Enter") {
        var pick = items[active >= 0 ? active : 0];
        if (pick) choose(pick.getAttribute("data-id"));
        ev.preventDefault();
      } else if (ev.key === "Escape") {
        results.hidden = true;
      }
    });
    input.addEventListener("blur", function () { results.hidden = true; });
  }
  typeahead(document.getElementById("search-input"), document.getElementById("search-results"), function (id) {
    if (hiddenNode[id] && state.hood.length) expand(id);
    selectNode(id);
  });
  var PATH_ENDS = { a: null, b: null };
  var pathInputs = { a: document.getElementById("path-a"), b: document.getElementById("path-b") };
  function pathEnd(which, id) {
    PATH_ENDS[which] = id;
    pathInputs[which].value = entityName(id);
    if (PATH_ENDS.a && PATH_ENDS.b && PATH_ENDS.a !== PATH_ENDS.b) showPathsBetween(PATH_ENDS.a, PATH_ENDS.b);
  }
  typeahead(pathInputs.a, document.getElementById("path-a-results"), function (id) { pathEnd("a", id); });
  typeahead(pathInputs.b, document.getElementById("path-b-results"), function (id) { pathEnd("b", id); });
  document.getElementById("show-all").addEventListener("click", showAll);

  /* ---- the picture: PNG and SVG with the caption and the disclaimer inside -------------- */
  var DISCLAIMER = META.disclaimer || document.getElementById("disclaimer-text").textContent;
  function wrap(ctx, text, width) {
    var words = String(text).split(/\s+/), lines = [], line = "";
    words.forEach(function (w) {
      var t = line ? line + " " + w : w;
      if (ctx.measureText(t).width > width && line) { lines.push(line); line = w; } else line = t;
    });
    if (line) lines.push(line);
    return lines;
  }
  function pictureTexts() {
    var title = document.getElementById("title").textContent;
    var stamp = [META.dataset, META.content_hash ? "content hash " + META.content_hash.slice(0, 16) : "", "data as of " + (META.data_date || "unknown")]
      .filter(present).join(" · ");
    return { title: shown(title), caption: shown(captionText()), stamp: stamp, disclaimer: DISCLAIMER };
  }
  function pictureCanvas() {
    var src = container.querySelector("canvas");
    var ratio = src.width / (src.clientWidth || src.width);
    var W = src.clientWidth, pad = 16;
    var t = pictureTexts();
    var probe = document.createElement("canvas").getContext("2d");
    probe.font = "13px " + FONT;
    var capLines = wrap(probe, t.caption, W - 2 * pad);
    probe.font = "bold 12px " + FONT;
    var disLines = wrap(probe, t.disclaimer, W - 2 * pad);
    var top = pad + 22 + capLines.length * 17 + 8;
    var H = top + src.clientHeight + 10 + disLines.length * 16 + 20 + pad;
    var out = document.createElement("canvas");
    out.width = Math.round(W * ratio); out.height = Math.round(H * ratio);
    var ctx = out.getContext("2d");
    ctx.scale(ratio, ratio);
    ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, W, H);
    ctx.fillStyle = "#1d2430"; ctx.textBaseline = "top";
    ctx.font = "bold 17px " + FONT; ctx.fillText(t.title, pad, pad);
    ctx.font = "13px " + FONT;
    capLines.forEach(function (l, i) { ctx.fillText(l, pad, pad + 24 + i * 17); });
    ctx.drawImage(src, 0, top, W, src.clientHeight);
    ctx.strokeStyle = "#dde1e8"; ctx.strokeRect(0.5, top + 0.5, W - 1, src.clientHeight - 1);
    var y = top + src.clientHeight + 10;
    ctx.font = "bold 12px " + FONT;
    disLines.forEach(function (l, i) { ctx.fillText(l, pad, y + i * 16); });
    ctx.font = "11px " + FONT; ctx.fillStyle = "#5b6475";
    ctx.fillText(t.stamp, pad, y + disLines.length * 16 + 4);
    return out;
  }
  function svgEl(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function pictureSVG() {
    var src = container.querySelector("canvas");
    var W = src.clientWidth, Hc = src.clientHeight, pad = 16;
    var t = pictureTexts();
    var probe = document.createElement("canvas").getContext("2d");
    probe.font = "13px " + FONT;
    var capLines = wrap(probe, t.caption, W - 2 * pad);
    probe.font = "bold 12px " + FONT;
    var disLines = wrap(probe, t.disclaimer, W - 2 * pad);
    var top = pad + 22 + capLines.length * 17 + 8;
    var H = top + Hc + 10 + disLines.length * 16 + 20 + pad;
    var svg = svgEl("svg", { xmlns: SVGNS, width: W, height: H, viewBox: "0 0 " + W + " " + H, "font-family": FONT });
    svg.appendChild(svgEl("rect", { x: 0, y: 0, width: W, height: H, fill: "#ffffff" }));
    svg.appendChild(svgEl("text", { x: pad, y: pad + 15, "font-size": 17, "font-weight": "bold", fill: "#1d2430" }, t.title));
    capLines.forEach(function (l, i) { svg.appendChild(svgEl("text", { x: pad, y: pad + 37 + i * 17, "font-size": 13, fill: "#1d2430" }, l)); });
    var g = svgEl("g", { transform: "translate(0," + top + ")" });
    svg.appendChild(svgEl("rect", { x: 0.5, y: top + 0.5, width: W - 1, height: Hc - 1, fill: "none", stroke: "#dde1e8" }));
    var pos = network.getPositions(), scale = network.getScale(), origin = network.canvasToDOM({ x: 0, y: 0 });
    function dom(p) { return [origin.x + p.x * scale, origin.y + p.y * scale]; }
    if (state.layout === "spheres") {
      (META.bands || []).forEach(function (b) {
        var a = dom({ x: b.x0, y: b.y0 }), c = dom({ x: b.x1, y: b.y1 });
        var colour = (STYLE.spheres.filter(function (s) { return s.name === b.name; })[0] || {}).colour || "#8d99ae";
        g.appendChild(svgEl("rect", { x: a[0], y: a[1], width: c[0] - a[0], height: c[1] - a[1], fill: colour, "fill-opacity": 0.08 }));
        bandTitle(probe, b.label.toUpperCase(), c[0] - a[0] - 10).forEach(function (line, k) {
          g.appendChild(svgEl("text", { x: a[0] + 6, y: a[1] + 6 + line[1] + k * (line[1] + 2), "font-size": line[1], "font-weight": "bold", fill: "#1d2430" }, line[0]));
        });
      });
    }
    visibleEdges().forEach(function (rid) {
      var r = DATA.relations[rid], a = pos[r.source], b = pos[r.target];
      if (!a || !b) return;
      var c = edgeColour(rid), e = edges.get(rid) || {};
      var p = dom(a), q = dom(b);
      var line = svgEl("line", { x1: p[0].toFixed(1), y1: p[1].toFixed(1), x2: q[0].toFixed(1), y2: q[1].toFixed(1),
        stroke: c.color || "#555", "stroke-width": Math.max(0.8, (e.width || 1.5) * Math.min(scale, 1.2)), "stroke-opacity": c.opacity });
      if (Array.isArray(e.dashes)) line.setAttribute("stroke-dasharray", e.dashes.join(" "));
      g.appendChild(line);
    });
    visibleNodes().forEach(function (id) {
      var p = pos[id];
      if (!p) return;
      var n = nodes.get(id) || {}, d = dom(p);
      var r = Math.max(2, nodeRadius(id, scale));
      /* The same shape as on screen (kind), in the sphere's colour, dashed where the page dashes it. */
      var style = { fill: (n.color && n.color.background) || "#bbbbbb", stroke: (n.color && n.color.border) || "#333",
        "fill-opacity": DIM[id] ? 0.15 : 1, "stroke-opacity": DIM[id] ? 0.15 : 1, "data-id": id };
      if (n.shapeProperties && n.shapeProperties.borderDashes) style["stroke-dasharray"] = "3 2";
      var pts = SHAPE_POINTS[n.shape];
      var shape;
      if (pts) {
        style.points = pts.split(" ").map(function (xy) {
          var c = xy.split(",");
          return (d[0] + (+c[0] - 8) / 8 * r).toFixed(1) + "," + (d[1] + (+c[1] - 8) / 8 * r).toFixed(1);
        }).join(" ");
        shape = svgEl("polygon", style);
      } else {
        style.cx = d[0].toFixed(1); style.cy = d[1].toFixed(1); style.r = r.toFixed(1);
        shape = svgEl("circle", style);
      }
      g.appendChild(shape);
    });
    PLACED.forEach(function (l) {
      g.appendChild(svgEl("text", { x: (l.x + 2).toFixed(1), y: (l.y + 1.5 + l.px * 0.85).toFixed(1), "font-size": l.px,
        "font-weight": l.bold ? "bold" : "normal", fill: DIM[l.id] ? "#9aa1ad" : "#1d2430", stroke: "#ffffff", "stroke-width": 3,
        "paint-order": "stroke" }, l.text));
    });
    svg.appendChild(g);
    var y = top + Hc + 10;
    disLines.forEach(function (l, i) { svg.appendChild(svgEl("text", { x: pad, y: y + 12 + i * 16, "font-size": 12, "font-weight": "bold", fill: "#1d2430" }, l)); });
    svg.appendChild(svgEl("text", { x: pad, y: y + disLines.length * 16 + 16, "font-size": 11, fill: "#5b6475" }, t.stamp));
    return new XMLSerializer().serializeToString(svg);
  }
  function fileStem() {
    var bits = ["tracker", META.dataset || "network"];
    if (state.selected) bits.push(state.selected);
    if (state.layout === "spheres") bits.push("spheres");
    return bits.join("-").replace(/[^A-Za-z0-9._-]+/g, "-").slice(0, 100);
  }
  function download(blob, name) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }
  document.getElementById("save-png").addEventListener("click", function () {
    pictureCanvas().toBlob(function (blob) { download(blob, fileStem() + ".png"); }, "image/png");
  });
  document.getElementById("save-svg").addEventListener("click", function () {
    download(new Blob([pictureSVG()], { type: "image/svg+xml" }), fileStem() + ".svg");
  });

  startPanel();
  applyFilters(false);
})();
