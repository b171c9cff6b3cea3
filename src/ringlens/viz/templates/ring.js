(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("rl-data").textContent);
  var info = data.info, types = data.types, actions = data.actions;
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var container = document.getElementById("rl-graph");
  var tip = document.getElementById("rl-tip");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);
  var ringLinks = new Map(data.ringLinks || []);
  window.ringlensNetwork = network;
  window.ringlensDrawn = false;
  network.once("afterDrawing", function () {
    window.ringlensFirstDrawMs = performance.now();
    window.ringlensDrawn = true;
    relabel();
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

  // Labels stay readable at the default zoom: when the view is zoomed out, label sizes
  // grow by 1 / scale (at most 4x), main nodes (members, key targets, centre) first;
  // context labels are left out while more than 300 nodes are drawn at a small zoom.
  var labelTimer = null;
  function relabel() {
    var scale = network.getScale();
    var grow = scale < 1 ? Math.min(1 / Math.max(scale, 0.05), 4) : 1;
    var crowd = data.nodes.length > 300 && scale < 0.6;
    var up = [];
    data.nodes.forEach(function (n) {
      var base = n.m ? 16 : 12;
      var size = Math.round(base * grow);
      if (!n.m && crowd) { size = 0; }
      if (!n.font || n.font.size !== size) {
        n.font = { size: size, color: n.m ? "#111827" : "#374151" };
        up.push({ id: n.id, font: n.font });
      }
    });
    if (up.length) { nodes.update(up); }
  }
  network.on("zoom", function () {
    if (labelTimer) { clearTimeout(labelTimer); }
    labelTimer = setTimeout(relabel, 120);
  });

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
  function ringCell(rid) {
    if (!ringLinks.has(rid)) { return rid; }
    var a = el("a", "ring-link", rid);
    a.href = ringLinks.get(rid);
    return a;
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
    if (m[7]) { row(dl, "ring", ringCell(m[7])); }
    if (m[8]) { row(dl, "key target", "yes (the ring works on it)"); }
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
    if (data.expand) {
      var b = el("button", "expand", "Expand neighbours");
      b.type = "button";
      b.id = "rl-expand";
      b.addEventListener("click", function () { expand(id, b); });
      tip.appendChild(b);
    }
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
      var h = typeOn[n.t] === false;
      if (h !== nodeHidden[i]) { nodeHidden[i] = h; nu.push({ id: n.id, hidden: h }); }
      if (!h) { shownN++; }
    });
    data.edges.forEach(function (e, j) {
      var h = nodeHidden[e.from] || nodeHidden[e.to] ||
        (e.a.length > 0 && !e.a.some(function (i) { return actOn[i] !== false; }));
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
  var keyIndex = new Map();
  function indexNode(m, i) {
    keyIndex.set(m[0], i);
    [m[0], m[1], m[2]].forEach(function (s) {
      var k = String(s).toLowerCase();
      if (!exact.has(k)) { exact.set(k, i); }
    });
  }
  info.forEach(indexNode);
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

  // Tables (members, evidence), built with DOM APIs; cells equal to a node key focus it.
  function fillTable(tableId, noteId, t) {
    if (!t) { return; }
    var table = document.getElementById(tableId);
    var hr = document.createElement("tr");
    t.columns.forEach(function (c) { hr.appendChild(el("th", null, c)); });
    table.tHead.appendChild(hr);
    var frag = document.createDocumentFragment();
    t.rows.forEach(function (r) {
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
    document.getElementById(noteId).textContent = t.total > t.rows.length ?
      "first " + t.rows.length.toLocaleString("en") + " of " + t.total.toLocaleString("en") + " rows" :
      t.total.toLocaleString("en") + (t.total === 1 ? " row" : " rows");
  }
  fillTable("rl-members-table", "rl-members-note", data.members);
  fillTable("rl-evidence-table", "rl-evidence-note", data.evidence);
  if (data.center !== null) { network.selectNodes([data.center]); }

  // Served pages only (data.expand): fetch a node's neighbours from the events and add
  // them next to it, with the same caps and notes as `ringlens explore`.
  var expandNote = document.getElementById("rl-expand-note");
  function expand(id, button) {
    var q = new URLSearchParams(data.expand.params);
    q.set("key", info[id][0]);
    button.disabled = true;
    button.textContent = "expanding…";
    fetch(data.expand.url + "?" + q.toString(), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
      .then(function (res) {
        if (!res[0]) { throw new Error(res[1].error || "expand failed"); }
        merge(id, res[1]);
        button.textContent = "expanded";
      })
      .catch(function (err) {
        button.disabled = false;
        button.textContent = "Expand neighbours";
        if (expandNote) { expandNote.textContent = String(err.message || err); }
      });
  }
  function merge(fromId, got) {
    var origin = network.getPosition(fromId);
    var addN = [], addE = [], k = 0;
    got.nodes.forEach(function (n) {
      if (keyIndex.has(n.key)) { return; }
      var i = info.length;
      var t = types.findIndex(function (x) { return x.name === n.type; });
      if (t < 0) { types.push({ name: n.type, color: "#9ca3af" }); t = types.length - 1; }
      var angle = (2 * Math.PI * k) / Math.max(got.nodes.length, 1), r = 120 + 8 * (k % 5);
      k++;
      var member = !!n.in_ring;
      var node = {
        id: i, label: n.label.length > 40 ? n.label.slice(0, 39) + "…" : n.label,
        x: origin.x + r * Math.cos(angle), y: origin.y + r * Math.sin(angle),
        size: n.risk === null ? 7 : 8 + Math.min(Math.max(n.risk, 0), 100) * 0.17,
        color: { background: types[t].color, border: member ? "#1f2937" : "#9ca3af" },
        borderWidth: member ? 3 : 1, t: t, m: member ? 1 : 0,
        font: { size: member ? 16 : 12, color: member ? "#111827" : "#374151" }
      };
      data.nodes.push(node);
      nodeHidden.push(false);
      info.push([n.key, n.id, n.label, n.risk, n.reasons, member ? 1 : 0, [], n.ring_id, 0]);
      indexNode(info[i], i);
      if (n.ring_id && n.ring_href) { ringLinks.set(n.ring_id, n.ring_href); }
      addN.push(node);
    });
    got.edges.forEach(function (e) {
      if (!keyIndex.has(e.src) || !keyIndex.has(e.dst)) { return; }
      var j = data.edges.length;
      var a = e.actions.map(function (x) {
        var ai = actions.indexOf(x);
        if (ai < 0) { actions.push(x); ai = actions.length - 1; }
        return ai;
      });
      var edge = { id: j, from: keyIndex.get(e.src), to: keyIndex.get(e.dst), width: 1.5,
        color: { color: "#cbd5e1", opacity: 0.85 }, a: a };
      if (edges.get({ filter: function (x) { return x.from === edge.from && x.to === edge.to; } }).length) { return; }
      data.edges.push(edge);
      edgeHidden.push(false);
      data.edgeInfo.push([e.weight, e.first_ts || "", e.last_ts || ""]);
      addE.push(edge);
    });
    if (addN.length) { nodes.add(addN); }
    if (addE.length) { edges.add(addE); }
    relabel();
    if (expandNote) {
      expandNote.textContent = "expanded " + info[fromId][0] + ": " + addN.length + " new nodes, " +
        addE.length + " new edges" + (got.note ? " (" + got.note + ")" : "");
    }
  }
  window.ringlensExpand = function (key) {
    if (!keyIndex.has(key)) { return false; }
    var b = el("button");
    expand(keyIndex.get(key), b);
    return true;
  };
})();
