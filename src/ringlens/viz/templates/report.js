(function () {
  "use strict";
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var body = table.tBodies[0];
    Array.prototype.forEach.call(body.rows, function (tr, i) { tr.dataset.pos = String(i); });
    heads.forEach(function (th, col) {
      th.querySelector("button").addEventListener("click", function () {
        var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir);
        var numeric = th.dataset.type === "num", sign = dir === "ascending" ? 1 : -1;
        var rows = Array.prototype.slice.call(body.rows);
        function key(tr) {
          var td = tr.cells[col];
          var v = td.hasAttribute("data-sort") ? td.getAttribute("data-sort") : td.textContent;
          if (!numeric) { return v.toLowerCase(); }
          var f = parseFloat(v);
          return isNaN(f) ? null : f;
        }
        rows.sort(function (a, b) {
          var x = key(a), y = key(b), c;
          if (x === null || y === null) { c = (x === null) - (y === null); return c || (a.dataset.pos - b.dataset.pos); }
          c = x < y ? -1 : (x > y ? 1 : 0);
          return sign * c || (a.dataset.pos - b.dataset.pos);
        });
        var frag = document.createDocumentFragment();
        rows.forEach(function (r) { frag.appendChild(r); });
        body.appendChild(frag);
      });
    });
  });
})();
