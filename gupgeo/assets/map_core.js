/* gupgeo map runtime: the core shared by every gupgeo map element (part of gupgeo, MIT).
 *
 * Loaded once per page through folium's asset mechanism (each element lists it in its
 * default_js). Every user-supplied string reaches the page through textContent, never innerHTML.
 * window.gupgeo.layers lists the layers drawn (for tests and benchmarks).
 */
(function () {
  'use strict';
  var G = (window.gupgeo = window.gupgeo || {});
  G.layers = G.layers || [];
  var MISSING = 'non renseigné';
  var DAY_MS = 86400000;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  G.el = el;

  function shown(value) {
    return value === null || value === undefined || value === '' ? MISSING : String(value);
  }

  G.shown = shown;

  /* A count as a French reader writes it (narrow no-break space between thousands). */
  G.count = function (n) { return Number(n).toLocaleString('fr-FR'); };

  /* A small titled table of label/value rows. */
  G.table = function (title, rows) {
    var box = el('div', 'gupgeo-info');
    if (title !== null && title !== undefined) box.appendChild(el('div', 'gupgeo-info-title', shown(title)));
    if (rows.length) {
      var table = el('table');
      rows.forEach(function (row) {
        var tr = el('tr');
        tr.appendChild(el('th', null, row[0]));
        tr.appendChild(el('td', row[1] === null || row[1] === undefined ? 'gupgeo-missing' : null, shown(row[1])));
        table.appendChild(tr);
      });
      box.appendChild(table);
    }
    return box;
  };

  function featureInfo(spec, props) {
    var title = spec.title ? props[spec.title] : null;
    var rows = spec.fields.map(function (f) { return [f[1], props[f[0]]]; });
    return G.table(title, rows);
  }

  G.featureInfo = featureInfo;

  G.register = function (name, kind, layer, group, count) {
    var entry = { name: name, kind: kind, layer: layer, group: group, count: count };
    G.layers.push(entry);
    return entry;
  };

  /* SVG fill patterns (hatching) shared by the page: url(#id) works across inline SVGs. */
  G.hatch = function (id, color) {
    if (document.getElementById(id)) return 'url(#' + id + ')';
    var ns = 'http://www.w3.org/2000/svg';
    var holder = document.getElementById('gupgeo-patterns');
    if (!holder) {
      holder = document.createElementNS(ns, 'svg');
      holder.setAttribute('id', 'gupgeo-patterns');
      holder.setAttribute('width', '0');
      holder.setAttribute('height', '0');
      holder.style.position = 'absolute';
      holder.appendChild(document.createElementNS(ns, 'defs'));
      document.body.appendChild(holder);
    }
    var pattern = document.createElementNS(ns, 'pattern');
    pattern.setAttribute('id', id);
    pattern.setAttribute('patternUnits', 'userSpaceOnUse');
    pattern.setAttribute('width', '8');
    pattern.setAttribute('height', '8');
    pattern.setAttribute('patternTransform', 'rotate(45)');
    var line = document.createElementNS(ns, 'line');
    line.setAttribute('x1', '0'); line.setAttribute('y1', '0');
    line.setAttribute('x2', '0'); line.setAttribute('y2', '8');
    line.setAttribute('stroke', color);
    line.setAttribute('stroke-width', '2');
    pattern.appendChild(line);
    holder.firstChild.appendChild(pattern);
    return 'url(#' + id + ')';
  };

  /* Panes, created right after the map: area fills under the outlines, points above
   * them, labels above the markers. */
  G.prepare = function (map) {
    [['gupgeoFill', 350], ['gupgeoPoints', 450], ['gupgeoLabels', 640]].forEach(function (p) {
      var pane = map.createPane(p[0]);
      pane.style.zIndex = p[1];
      if (p[0] !== 'gupgeoFill') pane.style.pointerEvents = 'none';
    });
  };

  /* Run ``sync`` whenever ``group`` is on a map and its zoom changes. */
  G.onZoom = function (group, sync) {
    var map = null;
    function attach() { map = group._map; map.on('zoomend', sync); sync(); }
    group.on('add', attach);
    group.on('remove', function () { if (map) map.off('zoomend', sync); map = null; });
    if (group._map) attach();
  };

  /* ---------- compact point payloads ---------- */
  function decode(p) {
    var n = p.n, wx = new Float64Array(n), wy = new Float64Array(n), lat = new Float64Array(n), lng = new Float64Array(n);
    var y = p.y0, s = p.scale, la = NaN, my = 0;
    for (var i = 0; i < n; i++) {
      // Points come sorted by latitude on a 1e-5 degree grid: most share the latitude of
      // the point before, and its Mercator y (one sine and one logarithm) is reused.
      if (p.dy[i] !== 0 || i === 0) {
        y += p.dy[i];
        la = y / s;
        var sin = Math.sin(la * Math.PI / 180);
        my = 0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI);
      }
      var lo = (p.x0 + p.x[i]) / s;
      lat[i] = la; lng[i] = lo;
      wx[i] = 0.5 + lo / 360;
      wy[i] = my;
    }
    return { n: n, wx: wx, wy: wy, lat: lat, lng: lng };
  }
  G.decode = decode;

  /* Packed specs (gupgeo.maps._format.pack_point_spec): per-point integers as typed columns
   * in one deflated, base64 blob, inflated by the browser's own DecompressionStream (no
   * network). Resolves with the spec, its arrays in place; G.pending lists the unpacking
   * promises, and gupgeo.ready turns true once they are all done (map_controls.js). */
  var TYPES = { u8: Uint8Array, i8: Int8Array, u16: Uint16Array, i16: Int16Array, u32: Uint32Array, i32: Int32Array };
  G.pending = G.pending || [];
  function unpack(spec) {
    var pk = spec.packed;
    if (!pk) return Promise.resolve(spec);
    var t0 = performance.now(), bytes;
    if (Uint8Array.fromBase64) {
      bytes = Uint8Array.fromBase64(pk.data);
    } else {
      var bin = atob(pk.data);
      bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    }
    G.measure('gupgeo : base64', t0);
    var t1 = performance.now();
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
    var done = new Response(stream).arrayBuffer().then(function (buf) {
      G.measure('gupgeo : décompression', t1);
      pk.columns.forEach(function (c) {
        var holder = spec;
        for (var k = 0; k < c.at.length - 1; k++) holder = holder[c.at[k]];
        holder[c.at[c.at.length - 1]] = new TYPES[c.type](buf, c.offset, c.length);
      });
      delete spec.packed;
      return spec;
    });
    G.pending.push(done);
    return done;
  }
  G.unpack = unpack;

  /* A performance measure from ``start`` (performance.now()) to now, read by the benchmark
   * (benchmarks/maps.py) and the browser's profiler. */
  G.measure = function (name, start) {
    if (performance.measure) performance.measure(name, { start: start, end: performance.now() });
  };

  /* Grid cells of points at ``s`` cells per world unit, in one pass when the points come in
   * bands of rows (sorted by latitude, see G.order): a cell's slot is looked up in one
   * typed array indexed by column, cleared at each new row. Otherwise a Map of the keys.
   * Per cell: count, sum and bounds of the coordinates, first point, and its column/row. */
  function cellTable(cap) {
    var t = { n: 0, cap: 0 };
    growCells(t, cap);
    return t;
  }
  function growCells(t, cap) {
    ['count', 'first', 'gx', 'gy'].forEach(function (k) {
      var a = new Int32Array(cap); if (t[k]) a.set(t[k].subarray(0, t.n)); t[k] = a;
    });
    ['sx', 'sy', 'minx', 'maxx', 'miny', 'maxy'].forEach(function (k) {
      var a = new Float64Array(cap); if (t[k]) a.set(t[k].subarray(0, t.n)); t[k] = a;
    });
    t.cap = cap;
  }
  function addCell(t, gx, gy, first, x, y) {
    if (t.n === t.cap) growCells(t, t.cap * 2);
    var c = t.n++;
    t.gx[c] = gx; t.gy[c] = gy; t.first[c] = first; t.count[c] = 0; t.sx[c] = 0; t.sy[c] = 0;
    t.minx[c] = x; t.maxx[c] = x; t.miny[c] = y; t.maxy[c] = y;
    return c;
  }
  /* 1 when world y never decreases along the points, -1 when it never increases (sorted by
   * latitude: the compact payload's order), 0 otherwise; computed once per point set. */
  G.order = function (p) {
    if (p.order !== undefined) return p.order;
    var wy = p.wy, up = true, down = true;
    for (var i = 1; i < p.n && (up || down); i++) {
      if (wy[i] < wy[i - 1]) up = false; else if (wy[i] > wy[i - 1]) down = false;
    }
    p.order = down ? -1 : up ? 1 : 0;
    return p.order;
  };
  G.cellsOf = function (p, s) {
    var n = p.n, wx = p.wx, wy = p.wy, t = cellTable(1024), c, i;
    var banded = G.order(p) !== 0, lo = Infinity, hi = -Infinity;
    for (i = 0; i < n; i++) { if (wx[i] < lo) lo = wx[i]; if (wx[i] > hi) hi = wx[i]; }
    var x0 = Math.floor(lo * s), width = n ? Math.floor(hi * s) - x0 + 1 : 0;
    if (!banded || width > 4194304) {
      var index = new Map();
      for (i = 0; i < n; i++) {
        var kx = Math.floor(wx[i] * s), ky = Math.floor(wy[i] * s), key = kx * 16777216 + ky;
        c = index.get(key);
        if (c === undefined) { c = addCell(t, kx, ky, i, wx[i], wy[i]); index.set(key, c); }
        addTo(t, c, 1, wx[i], wy[i], wx[i], wx[i], wy[i], wy[i]);
      }
      return t;
    }
    var slot = new Int32Array(width).fill(-1), touched = new Int32Array(width), nt = 0, row = NaN;
    for (i = 0; i < n; i++) {
      var x = wx[i], y = wy[i], gy = Math.floor(y * s), gx = Math.floor(x * s) - x0;
      if (gy !== row) { while (nt) slot[touched[--nt]] = -1; row = gy; }
      c = slot[gx];
      if (c < 0) { c = addCell(t, gx + x0, gy, i, x, y); slot[gx] = c; touched[nt++] = gx; }
      t.count[c]++; t.sx[c] += x; t.sy[c] += y;
      if (x < t.minx[c]) t.minx[c] = x; else if (x > t.maxx[c]) t.maxx[c] = x;
      if (y < t.miny[c]) t.miny[c] = y; else if (y > t.maxy[c]) t.maxy[c] = y;
    }
    return t;
  };
  function addTo(t, c, count, sx, sy, minx, maxx, miny, maxy) {
    t.count[c] += count; t.sx[c] += sx; t.sy[c] += sy;
    if (minx < t.minx[c]) t.minx[c] = minx; if (maxx > t.maxx[c]) t.maxx[c] = maxx;
    if (miny < t.miny[c]) t.miny[c] = miny; if (maxy > t.maxy[c]) t.maxy[c] = maxy;
  }
  /* The cells of the zoom level above: each merges the 2 x 2 cells below it. The cells of
   * ``t`` come in bands of rows (G.cellsOf), so the merge is one pass too. */
  G.mergeCells = function (t) {
    var out = cellTable(Math.max(1024, t.n >> 1)), lo = Infinity, hi = -Infinity, c, k;
    for (k = 0; k < t.n; k++) { if (t.gx[k] < lo) lo = t.gx[k]; if (t.gx[k] > hi) hi = t.gx[k]; }
    var x0 = Math.floor(lo / 2), width = t.n ? Math.floor(hi / 2) - x0 + 1 : 0;
    var slot = new Int32Array(width).fill(-1), touched = new Int32Array(width), nt = 0, row = NaN;
    for (k = 0; k < t.n; k++) {
      var gy = Math.floor(t.gy[k] / 2), gx = Math.floor(t.gx[k] / 2) - x0;
      if (gy !== row) { while (nt) slot[touched[--nt]] = -1; row = gy; }
      c = slot[gx];
      if (c < 0) { c = addCell(out, gx + x0, gy, t.first[k], t.minx[k], t.miny[k]); slot[gx] = c; touched[nt++] = gx; }
      if (t.first[k] < out.first[c]) out.first[c] = t.first[k];
      addTo(out, c, t.count[k], t.sx[k], t.sy[k], t.minx[k], t.maxx[k], t.miny[k], t.maxy[k]);
    }
    return out;
  };
  /* The range [start, end) of points whose world y lies in [lo, hi], by bisection when the
   * points are sorted by latitude (world y decreasing); else every point. */
  G.rowsBetween = function (p, lo, hi) {
    var wy = p.wy, n = p.n;
    if (n < 2 || G.order(p) !== -1) return [0, n];
    function firstAtMost(v) { // first i with wy[i] <= v (wy decreasing)
      var a = 0, b = n;
      while (a < b) { var m = (a + b) >> 1; if (wy[m] <= v) b = m; else a = m + 1; }
      return a;
    }
    function firstBelow(v) { // first i with wy[i] < v
      var a = 0, b = n;
      while (a < b) { var m = (a + b) >> 1; if (wy[m] < v) b = m; else a = m + 1; }
      return a;
    }
    return [firstAtMost(hi), firstBelow(lo)];
  };

  function fieldValue(f, i) {
    var v = f.v[i];
    if (f.t === 'cat') return v < 0 ? null : f.labels[v];
    if (f.t === 'date') {
      if (v === null || v < 0) return null;
      var d = new Date((f.base + v) * DAY_MS);
      return ('0' + d.getUTCDate()).slice(-2) + '/' + ('0' + (d.getUTCMonth() + 1)).slice(-2) + '/' + d.getUTCFullYear();
    }
    return v;
  }

  function toLatLng(wx, wy) {
    var lat = (2 * Math.atan(Math.exp((0.5 - wy) * 2 * Math.PI)) - Math.PI / 2) * 180 / Math.PI;
    return L.latLng(lat, (wx - 0.5) * 360);
  }
  G.fieldValue = fieldValue;
  G.toLatLng = toLatLng;
})();
