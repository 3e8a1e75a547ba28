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
    var y = p.y0, s = p.scale;
    for (var i = 0; i < n; i++) {
      y += p.dy[i];
      var la = y / s, lo = (p.x0 + p.x[i]) / s;
      lat[i] = la; lng[i] = lo;
      wx[i] = 0.5 + lo / 360;
      var sin = Math.sin(la * Math.PI / 180);
      wy[i] = 0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI);
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
    var bin = atob(pk.data), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
    var done = new Response(stream).arrayBuffer().then(function (buf) {
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
