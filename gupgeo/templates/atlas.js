/* gupgeo atlas: sortable tables (part of gupgeo, MIT). No dependency, no network.
 * Numbers sort on the raw value of data-value; text sorts the French way. */
(function () {
  'use strict';
  var collator = new Intl.Collator('fr', { sensitivity: 'base', numeric: true });

  function key(cell, numeric) {
    if (!cell) return numeric ? NaN : '';
    if (numeric) {
      var raw = cell.getAttribute('data-value');
      return raw === null || raw === '' ? NaN : parseFloat(raw);
    }
    var v = cell.getAttribute('data-value');
    return v !== null ? v : cell.textContent.trim();
  }

  function sortTable(table, index, numeric, descending) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var decorated = rows.map(function (row, i) { return [key(row.cells[index], numeric), i, row]; });
    decorated.sort(function (a, b) {
      var x = a[0], y = b[0], r;
      if (numeric) {
        var xm = isNaN(x), ym = isNaN(y);
        if (xm || ym) return xm === ym ? a[1] - b[1] : (xm ? 1 : -1);  /* missing last */
        r = x - y;
      } else {
        r = collator.compare(x, y);
      }
      if (descending) r = -r;
      return r !== 0 ? r : a[1] - b[1];
    });
    decorated.forEach(function (d) { body.appendChild(d[2]); });
  }

  function init(table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, index) {
      var button = th.querySelector('button');
      if (!button) return;
      button.addEventListener('click', function () {
        var descending = th.getAttribute('aria-sort') === 'ascending';
        Array.prototype.forEach.call(headers, function (h) { h.setAttribute('aria-sort', 'none'); });
        th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
        sortTable(table, index, th.getAttribute('data-sort') === 'number', descending);
      });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll('table.gg-sortable'), init);
  window.gupgeoAtlas = { ready: true, sortTable: sortTable };
})();
