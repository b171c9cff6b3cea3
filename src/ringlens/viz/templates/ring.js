(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("rl-data").textContent);
  var info = data.info, types = data.types, actions = data.actions;
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var container = document.getElementById("rl-graph");
  var tip = document.getElementById("rl-tip");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);
  window.ringlensNetwork = network;
  window.ringlensDrawn = false;
  network.once("afterDrawing", function () {
    window.ringlensFirstDrawMs = performance.now();
    window.ringlensDrawn = true;
    document.documentElement.setAttribute("data-drawn", "1");
  });

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function fmtScore(s) { return (s === null || s === undefined) ? "—" : (Math.round(s * 10) / 10).toString(); }
  function row(dl, k, v) {
    dl.appendChild(el("dt", null, k));
    var dd = el("dd");
    if (v instanceof Node) { dd.appendChild(v); } else { dd.textContent = String(v); }
    dl.appendChild(dd);
  }

  var pinned = false;
  function place(pos) {
    var w = container.clientWidth, h = container.clientHeight;
    tip.hidden = false;
    var x = Math.min(Math.max(pos.x + 14, 4), Math.max(4, w - tip.offsetWidth - 4));
    var y = Math.min(Math.max(pos.y + 14, 4), Math.max(4, h - tip.offsetHeight - 4));
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }
  function closeButton() {
    var b = el("button", "close", "×");
    b.type = "button";
    b.setAttribute("aria-label", "close");
    b.addEventListener("click", function () { hideTip(true); network.unselectAll(); });
    return b;
  }
  function showNode(id, pin) {
    var m = info[id];
    if (!m) { return; }
    pinned = pinned || !!pin;
    tip.replaceChildren();
    tip.appendChild(closeButton());
    tip.appendChild(el("div", "tip-title", m[2]));
    var dl = el("dl");
    row(dl, "key", m[0]);
    row(dl, "type", types[data.nodes[id].t].name);
    row(dl, "id", m[1]);
    row(dl, "risk score", fmtScore(m[3]));
    row(dl, "in ring", m[5] ? "yes" : "no (context)");
    if (m[4].length) {
      var ul = el("ul");
      m[4].forEach(function (r) { ul.appendChild(el("li", null, r)); });
      row(dl, "reasons", ul);
    } else {
      row(dl, "reasons", "—");
    }
    data.extraNames.forEach(function (name, j) {
      var v = m[6][j];
      if (v !== "" && v !== null && v !== undefined) { row(dl, name, v); }
    });
    tip.appendChild(dl);
    place(network.canvasToDOM(network.getPosition(id)));
  }
  function showEdge(id, pin) {
    var e = data.edges[id], ei = data.edgeInfo[id];
    if (!e) { return; }
    pinned = pinned || !!pin;
    tip.replaceChildren();
    tip.appendChild(closeButton());
    tip.appendChild(el("div", "tip-title", info[e.from][0] + " → " + info[e.to][0]));
    var dl = el("dl");
    row(dl, "weight", ei[0]);
    row(dl, "actions", e.a.map(function (i) { return actions[i]; }).join(", ") || "—");
    if (ei[1]) { row(dl, "first", ei[1]); }
    if (ei[2]) { row(dl, "last", ei[2]); }
    tip.appendChild(dl);
    var a = network.getPosition(e.from), b = network.getPosition(e.to);
    place(network.canvasToDOM({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 }));
  }
  function hideTip(force) {
    if (force) { pinned = false; }
    if (!pinned) { tip.hidden = true; tip.replaceChildren(); }
  }
  network.on("click", function (p) {
    if (p.nodes.length) { pinned = false; showNode(p.nodes[0], true); }
    else if (p.edges.length) { pinned = false; showEdge(p.edges[0], true); }
    else { hideTip(true); }
  });
  network.on("hoverNode", function (p) { if (!pinned) { showNode(p.node, false); } });
  network.on("blurNode", function () { hideTip(false); });
  network.on("dragStart", function () { hideTip(true); });
  network.on("zoom", function () { hideTip(true); });

  // Filters: hide nodes of unchecked types, edges whose actions are all unchecked.
  var nodeHidden = new Array(data.nodes.length).fill(false);
  var edgeHidden = new Array(data.edges.length).fill(false);
  var visible = document.getElementById("rl-visible");
  function checkedSet(cls) {
    var on = [];
    document.querySelectorAll("input." + cls).forEach(function (cb) { on[Number(cb.dataset.index)] = cb.checked; });
    return on;
  }
  function applyFilters() {
    var typeOn = checkedSet("rl-type"), actOn = checkedSet("rl-action");
    var nu = [], eu = [], shownN = 0, shownE = 0;
    data.nodes.forEach(function (n, i) {
      var h = !typeOn[n.t];
      if (h !== nodeHidden[i]) { nodeHidden[i] = h; nu.push({ id: n.id, hidden: h }); }
      if (!h) { shownN++; }
    });
    data.edges.forEach(function (e, j) {
      var h = nodeHidden[e.from] || nodeHidden[e.to] ||
        (e.a.length > 0 && !e.a.some(function (i) { return actOn[i]; }));
      if (h !== edgeHidden[j]) { edgeHidden[j] = h; eu.push({ id: e.id, hidden: h }); }
      if (!h) { shownE++; }
    });
    if (nu.length) { nodes.update(nu); }
    if (eu.length) { edges.update(eu); }
    visible.textContent = (shownN === data.nodes.length && shownE === data.edges.length) ? "" :
      "showing " + shownN.toLocaleString("en") + " of " + data.nodes.length.toLocaleString("en") +
      " nodes, " + shownE.toLocaleString("en") + " of " + data.edges.length.toLocaleString("en") + " edges";
  }
  document.querySelectorAll("input.rl-type, input.rl-action").forEach(function (cb) {
    cb.addEventListener("change", function () { hideTip(true); applyFilters(); });
  });

  // Search by key, id or name: exact match first, then substring.
  var exact = new Map();
  info.forEach(function (m, i) {
    [m[0], m[1], m[2]].forEach(function (s) {
      var k = String(s).toLowerCase();
      if (!exact.has(k)) { exact.set(k, i); }
    });
  });
  function findNode(q) {
    q = q.trim().toLowerCase();
    if (!q) { return null; }
    if (exact.has(q)) { return exact.get(q); }
    for (var i = 0; i < info.length; i++) {
      var m = info[i];
      if (String(m[0]).toLowerCase().indexOf(q) >= 0 || String(m[2]).toLowerCase().indexOf(q) >= 0) { return i; }
    }
    return null;
  }
  var status = document.getElementById("rl-search-status");
  function focusNode(id) {
    if (nodeHidden[id]) {
      var cb = document.querySelector('input.rl-type[data-index="' + data.nodes[id].t + '"]');
      if (cb) { cb.checked = true; applyFilters(); }
    }
    network.selectNodes([id]);
    network.focus(id, { scale: Math.max(network.getScale(), 1.2), animation: false });
    pinned = false;
    showNode(id, true);
  }
  function search() {
    var q = document.getElementById("rl-search").value;
    var id = findNode(q);
    if (id === null) { status.textContent = q.trim() ? "no match" : ""; return; }
    status.textContent = "found " + info[id][0];
    focusNode(id);
  }
  document.getElementById("rl-search-go").addEventListener("click", search);
  document.getElementById("rl-search").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { ev.preventDefault(); search(); }
  });

  var physicsOn = !!(data.options.physics && data.options.physics.enabled);
  var pbtn = document.getElementById("rl-physics");
  function showPhysics() { pbtn.textContent = "Physics: " + (physicsOn ? "on" : "off"); pbtn.setAttribute("aria-pressed", String(physicsOn)); }
  pbtn.addEventListener("click", function () {
    physicsOn = !physicsOn;
    network.setOptions({ physics: { enabled: physicsOn } });
    showPhysics();
  });
  showPhysics();
  document.getElementById("rl-fit").addEventListener("click", function () { network.fit({ animation: false }); });

  // Evidence table, built with DOM APIs; cells equal to a node key focus that node.
  var ev = data.evidence;
  if (ev) {
    var table = document.getElementById("rl-evidence-table");
    var hr = document.createElement("tr");
    ev.columns.forEach(function (c) { hr.appendChild(el("th", null, c)); });
    table.tHead.appendChild(hr);
    var keyIndex = new Map();
    info.forEach(function (m, i) { keyIndex.set(m[0], i); });
    var frag = document.createDocumentFragment();
    ev.rows.forEach(function (r) {
      var tr = document.createElement("tr");
      r.forEach(function (v) {
        var td = el("td");
        if (keyIndex.has(v)) {
          var b = el("button", "linklike", v);
          b.type = "button";
          b.addEventListener("click", function () { focusNode(keyIndex.get(v)); container.scrollIntoView(); });
          td.appendChild(b);
        } else {
          td.textContent = v;
        }
        tr.appendChild(td);
      });
      frag.appendChild(tr);
    });
    table.tBodies[0].appendChild(frag);
    document.getElementById("rl-evidence-note").textContent = ev.total > ev.rows.length ?
      "first " + ev.rows.length.toLocaleString("en") + " of " + ev.total.toLocaleString("en") + " rows" :
      ev.total.toLocaleString("en") + (ev.total === 1 ? " row" : " rows");
  }
  if (data.center !== null) { network.selectNodes([data.center]); }
})();
