/* tracker network view. Reads the JSON block #tracker-data and draws it with vis-network.
 * Data is hostile: every text goes in with textContent, never innerHTML; only http(s) URLs become
 * links (rel="noopener noreferrer"); nothing is ever fetched. */
(function () {
  "use strict";

  var DATA = JSON.parse(document.getElementById("tracker-data").textContent);
  var STYLE = DATA.style;
  var LABELS = STYLE.labels;
  var SVGNS = "http://www.w3.org/2000/svg";

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
  var VALUE = {};
  DATA.nodes.forEach(function (n) { VALUE[n.id] = n.value || 0; });
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

  /* ---- the network ---------------------------------------------------------------------- */
  var status = document.getElementById("status");
  var nodes = new vis.DataSet(DATA.nodes);
  var edges = new vis.DataSet(DATA.edges);
  var container = document.getElementById("network");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, DATA.options);
  var api = {
    network: network, nodes: nodes, edges: edges, data: DATA, rendered: false,
    fold: fold, skeleton: skeleton, search: search, inForce: inForce,
    selectNode: selectNode, selectEdge: selectEdge, applyFilters: applyFilters, setAsOf: setAsOf,
    setChecked: setChecked, visibleEdges: visibleEdges, visibleNodes: visibleNodes
  };
  window.trackerView = api;

  network.once("afterDrawing", function () {
    api.rendered = true;
    document.documentElement.setAttribute("data-rendered", "true");
    status.textContent = DATA.meta.counts.entities + " entities · " + DATA.meta.counts.relations + " relations";
    if (DATA.focus) selectNode(DATA.focus, false);
    else if (DATA.highlight.length) showPaths();
  });
  network.on("stabilizationProgress", function (p) {
    status.textContent = "Laying out… " + Math.round(100 * p.iterations / p.total) + "%";
  });
  network.once("stabilizationIterationsDone", function () {
    network.setOptions({ physics: { enabled: false } });
    network.fit({ animation: false });
  });
  network.on("click", function (params) {
    if (params.nodes && params.nodes.length) showNode(params.nodes[0]);
    else if (params.edges && params.edges.length) showEdge(params.edges[0]);
  });

  function selectNode(id, move) {
    if (!DATA.entities[id]) return false;
    var item = nodes.get(id);
    if (item && !item.hidden) {
      network.selectNodes([id]);
      if (move !== false) network.focus(id, { scale: Math.max(network.getScale(), 1.0), animation: false });
    }
    showNode(id);
    return true;
  }
  function selectEdge(id) {
    if (!DATA.relations[id]) return false;
    var item = edges.get(id);
    if (item && !item.hidden) network.selectEdges([id]);
    showEdge(id);
    return true;
  }

  /* ---- the side panel ------------------------------------------------------------------- */
  var panel = document.getElementById("panel-body");
  function panelStart(title) {
    clear(panel);
    var close = el("button", "close", "Close");
    close.type = "button";
    close.addEventListener("click", function () {
      network.unselectAll();
      clear(panel);
      panel.appendChild(el("p", "hint", "Click an entity or a line to read its attributes and every source."));
    });
    panel.appendChild(close);
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
  function evidenceBadge(ev) {
    var b = el("span", "badge " + (ev === "allegation" ? "allegation" : ""), LABELS.evidence[ev] || ev || "unknown evidence");
    b.title = LABELS.evidence_descriptions[ev] || "";
    return b;
  }
  function sourceBlock(sid) {
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
    meta.appendChild(document.createTextNode(shown([s.publisher, s.date, s.language].filter(present).join(" · "))));
    box.appendChild(meta);
    var rows = [];
    if (s.mirror && present(s.canonical_url)) rows.push(["Original", link(s.canonical_href || s.canonical_url, s.canonical_url)]);
    if (present(s.archived_url)) rows.push(["Archived", link(s.archived_href || s.archived_url, s.archived_url)]);
    if (!httpUrl(s.href || "") && present(s.url)) rows.push(["Reference", s.url]);
    rows.push(["Retrieved", s.retrieved], ["Licence", s.licence], ["Notes", s.notes], ["Source id", sid]);
    box.appendChild(attrs(rows));
    return box;
  }
  function sourcesSection(ids, heading) {
    var frag = document.createDocumentFragment();
    frag.appendChild(el("h3", null, heading + " (" + (ids ? ids.length : 0) + ")"));
    if (!ids || !ids.length) frag.appendChild(el("p", "hint", "No source given."));
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
    var b = el("button", "linkish", r ? relationSentence(r) : rid);
    b.type = "button";
    b.addEventListener("click", function () { selectEdge(rid); });
    return b;
  }
  function relationRows(r, rid) {
    var amount = present(r.amount) ? (Number(r.amount).toLocaleString("en-GB") + (r.currency ? " " + r.currency : "")) : "";
    var ev = el("span");
    ev.appendChild(evidenceBadge(r.evidence));
    ev.appendChild(document.createTextNode(LABELS.evidence_descriptions[r.evidence] || ""));
    return [
      ["Relation", r.label || r.kind], ["Role", r.role], ["From", entityName(r.source)], ["To", entityName(r.target)],
      ["Share", r.share_text], ["Direct", r.direct], ["Amount", amount], ["Rank", r.rank], ["Score", r.score],
      ["Start", r.start], ["End", r.end], ["Evidence", ev], ["Outcome", r.outcome], ["Note", r.note],
      ["Dataset", r.dataset], ["Record", r.record_id], ["Id", rid]
    ];
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
  var INCIDENT = {};
  Object.keys(DATA.relations).sort().forEach(function (rid) {
    var r = DATA.relations[rid];
    (INCIDENT[r.source] = INCIDENT[r.source] || []).push(rid);
    if (r.target !== r.source) (INCIDENT[r.target] = INCIDENT[r.target] || []).push(rid);
  });
  function showNode(id) {
    var e = DATA.entities[id];
    if (!e) return;
    panelStart(e.name || id);
    panel.setAttribute("data-showing", "entity:" + id);
    var offshore = e.offshore === true ? "yes" : e.offshore === false ? "no" : "";
    panel.appendChild(attrs([
      ["Kind", LABELS.kinds[e.kind] || e.kind], ["Sphere", LABELS.spheres[e.sphere] || e.sphere], ["Also known as", e.aliases],
      ["Country", e.country], ["Topics", e.topics], ["Offshore", offshore], ["Placeholder", e.placeholder ? "yes: stands for entities the sources do not name" : ""],
      ["Born", e.birth_date], ["Identifiers", e.identifiers], ["Notes", e.notes], ["Dataset", e.dataset], ["Record", e.record_id], ["Id", id]
    ]));
    panel.appendChild(sourcesSection(e.sources, "Sources for the entity"));
    var rels = INCIDENT[id] || [];
    panel.appendChild(el("h3", null, "Relations (" + rels.length + ")"));
    var ul = el("ul", "rels");
    rels.forEach(function (rid) {
      var li = el("li");
      li.appendChild(relButton(rid));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(evidenceBadge(DATA.relations[rid].evidence));
      ul.appendChild(li);
    });
    panel.appendChild(ul);
  }
  function showPaths() {
    panelStart("Highlighted paths");
    DATA.highlight.forEach(function (p) {
      var div = el("div", "answer");
      p.forEach(function (id, i) {
        if (i) div.appendChild(document.createTextNode(" → "));
        var b = el("button", "linkish", entityName(id));
        b.type = "button";
        b.addEventListener("click", function () { selectNode(id); });
        div.appendChild(b);
      });
      panel.appendChild(div);
    });
  }

  /* ---- filters and legend --------------------------------------------------------------- */
  var state = { sphere: {}, kind: {}, relation: {}, evidence: {}, asOf: "" };
  function shapeIcon(shape, colour, dashed) {
    var svg = document.createElementNS(SVGNS, "svg");
    svg.setAttribute("width", "16"); svg.setAttribute("height", "16"); svg.setAttribute("viewBox", "0 0 16 16");
    var pts = {
      square: "2,2 14,2 14,14 2,14", diamond: "8,1 15,8 8,15 1,8", triangle: "8,1 15,14 1,14",
      triangleDown: "1,2 15,2 8,15", hexagon: "4,1.5 12,1.5 15.5,8 12,14.5 4,14.5 0.5,8",
      star: "8,0.8 10,6 15.5,6 11,9.4 12.8,15 8,11.6 3.2,15 5,9.4 0.5,6 6,6"
    }[shape];
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
  function checkboxes(boxId, group, items, icon) {
    var box = document.getElementById(boxId);
    items.forEach(function (it) {
      state[group][it.name] = true;
      var label = el("label");
      label.title = it.description || "";
      var cb = el("input");
      cb.type = "checkbox"; cb.checked = true; cb.value = it.name;
      cb.setAttribute("data-group", group);
      cb.addEventListener("change", function () { state[group][it.name] = cb.checked; applyFilters(); });
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

  function setChecked(group, name, on) {
    state[group][name] = !!on;
    document.querySelectorAll("input[data-group]").forEach(function (cb) {
      if (cb.getAttribute("data-group") === group && cb.value === name) cb.checked = !!on;
    });
    applyFilters();
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
    applyFilters();
  }
  asOfInput.addEventListener("input", onAsOf);
  document.getElementById("reset").addEventListener("click", function () {
    ["sphere", "kind", "relation", "evidence"].forEach(function (g) { Object.keys(state[g]).forEach(function (k) { state[g][k] = true; }); });
    document.querySelectorAll("input[data-group]").forEach(function (cb) { cb.checked = true; });
    asOfInput.value = ""; asOfInput.classList.remove("invalid"); state.asOf = "";
    applyFilters();
  });

  var hiddenNode = {}, hiddenEdge = {};
  function applyFilters() {
    var nodeUpdates = [], edgeUpdates = [];
    Object.keys(DATA.entities).forEach(function (id) {
      var e = DATA.entities[id];
      var hide = state.sphere[e.sphere] === false || state.kind[e.kind] === false;
      if (!!hiddenNode[id] !== hide) { hiddenNode[id] = hide; nodeUpdates.push({ id: id, hidden: hide }); }
    });
    Object.keys(DATA.relations).forEach(function (rid) {
      var r = DATA.relations[rid];
      var hide = state.relation[r.kind] === false || state.evidence[r.evidence] === false ||
        hiddenNode[r.source] || hiddenNode[r.target] || (state.asOf && !inForce(r.start, r.end, state.asOf));
      hide = !!hide;
      if (!!hiddenEdge[rid] !== hide) { hiddenEdge[rid] = hide; edgeUpdates.push({ id: rid, hidden: hide }); }
    });
    if (nodeUpdates.length) nodes.update(nodeUpdates);
    if (edgeUpdates.length) edges.update(edgeUpdates);
    status.textContent = visibleNodes().length + " of " + DATA.meta.counts.entities + " entities · " +
      visibleEdges().length + " of " + DATA.meta.counts.relations + " relations shown";
  }
  function visibleEdges() { return Object.keys(DATA.relations).filter(function (r) { return !hiddenEdge[r]; }).sort(); }
  function visibleNodes() { return Object.keys(DATA.entities).filter(function (n) { return !hiddenNode[n]; }).sort(); }

  /* ---- search box ----------------------------------------------------------------------- */
  var input = document.getElementById("search-input");
  var results = document.getElementById("search-results");
  var active = -1;
  function renderResults() {
    clear(results);
    active = -1;
    var ids = input.value.trim() ? search(input.value, 12) : [];
    if (!input.value.trim()) { results.hidden = true; return; }
    if (!ids.length) {
      results.appendChild(el("li", "none", "No entity matches"));
    }
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
    selectNode(id);
  }
  input.addEventListener("input", renderResults);
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
})();
