/* gupgeo canvas point layer: grid clusters by zoom and single dots, on one canvas, from the
 * compact payload (part of gupgeo, MIT). Needs map_core.js. */
(function () {
  'use strict';
  var G = window.gupgeo, el = G.el, decode = G.decode, fieldValue = G.fieldValue, toLatLng = G.toLatLng;

  function clusterLabel(c) {
    if (c >= 100000) return Math.round(c / 1000) + ' k';
    if (c >= 10000) return (Math.round(c / 100) / 10).toString().replace('.', ',') + ' k';
    return String(c);
  }

  /* Points drawn on one canvas: grid clusters below clusterMaxZoom, single dots above. */
  G.Points = L.Layer.extend({
    options: { pane: 'gupgeoPoints', radius: 5, cellPx: 64, clusterMaxZoom: 17, padding: 0.25 },

    initialize: function (spec, options) {
      L.setOptions(this, options);
      this._spec = spec;
      this._colorField = spec.fields[spec.colorField];
      this._cache = {};
      this._items = [];
      this._drawn = 0;
      if (spec.packed) { // drawn once the browser has inflated the columns
        this._pts = { n: 0, wx: [], wy: [], lat: [], lng: [] };
        var self = this;
        G.unpack(spec).then(function () {
          var t0 = performance.now();
          self._pts = decode(spec.payload);
          G.measure('gupgeo : décodage des coordonnées', t0);
          self._colorField = spec.fields[spec.colorField];
          self._cache = {};
          if (self._map) self._redraw();
        });
      } else {
        this._pts = decode(spec.payload);
      }
    },

    onAdd: function (map) {
      if (!map.getPane(this.options.pane)) G.prepare(map);
      this._canvas = L.DomUtil.create('canvas', 'gupgeo-points leaflet-zoom-hide');
      this._canvas.style.pointerEvents = 'none';
      this.getPane().appendChild(this._canvas);
      map.on('moveend resize', this._redraw, this);
      map.on('zoomstart', this._hide, this);
      // Capture phase on the container: points are drawn above the polygons, so they get
      // the click first; anything else (controls, popups, markers, empty canvas) passes on.
      var c = map.getContainer();
      this._listeners = { mousedown: L.bind(this._onDown, this), click: L.bind(this._onClick, this), mousemove: L.bind(this._onMove, this) };
      for (var type in this._listeners) c.addEventListener(type, this._listeners[type], true);
      this._redraw();
    },

    onRemove: function (map) {
      L.DomUtil.remove(this._canvas);
      map.off('moveend resize', this._redraw, this);
      map.off('zoomstart', this._hide, this);
      var c = map.getContainer();
      for (var type in this._listeners) c.removeEventListener(type, this._listeners[type], true);
      c.style.cursor = '';
      this._items = [];
      this._drawn = 0;
    },

    stats: function () { return { points: this._drawn, items: this._items.length, total: this._spec.payload.n }; },

    _hide: function () { if (this._canvas) this._canvas.style.visibility = 'hidden'; },

    /* The grid cells of a zoom level. Points come sorted by latitude (compact payload), so
     * the cells of the finest clustered level are found in one pass over typed arrays, a
     * band of rows at a time; each coarser level merges the 2 x 2 cells below it (the
     * 64-pixel grid of zoom z is exactly the 128-pixel grid of zoom z + 1). Every level is
     * ready after the first draw: a zoom step only draws. */
    _cells: function (zoom) {
      if (this._cache[zoom]) return this._cache[zoom];
      var finest = this.options.clusterMaxZoom - 1, p = this._pts;
      if (zoom !== Math.round(zoom) || zoom > finest || zoom < 0 || !G.order(p)) {
        this._cache[zoom] = G.cellsOf(p, this._map.options.crs.scale(zoom) / this.options.cellPx);
        return this._cache[zoom];
      }
      var t0 = performance.now();
      var level = G.cellsOf(p, this._map.options.crs.scale(finest) / this.options.cellPx);
      this._cache[finest] = level;
      for (var z = finest - 1; z >= 0; z--) this._cache[z] = level = G.mergeCells(level);
      G.measure('gupgeo : regroupement (' + (finest + 1) + ' niveaux)', t0);
      return this._cache[zoom];
    },

    _redraw: function () {
      var map = this._map;
      if (!map) return;
      var started = performance.now();
      var size = map.getSize(), pad = size.multiplyBy(this.options.padding).round();
      this._pad = pad;
      var w = size.x + 2 * pad.x, h = size.y + 2 * pad.y;
      var ratio = window.devicePixelRatio || 1, canvas = this._canvas;
      if (canvas.width !== w * ratio || canvas.height !== h * ratio) {
        canvas.width = w * ratio; canvas.height = h * ratio;
        canvas.style.width = w + 'px'; canvas.style.height = h + 'px';
      }
      L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([-pad.x, -pad.y]));
      var ctx = canvas.getContext('2d');
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, w, h);
      var zoom = map.getZoom(), scale = map.options.crs.scale(zoom);
      var origin = map.getPixelBounds().min, ox = origin.x - pad.x, oy = origin.y - pad.y;
      var items = (this._items = []), drawn = 0, r = this.options.radius, p = this._pts;
      var field = this._colorField, colors = this._spec.colors, missing = this._spec.missingColor;
      var byColor = {};
      function dot(i, x, y) {
        var k = field.v[i], col = k < 0 ? missing : colors[k];
        (byColor[col] = byColor[col] || []).push(x, y);
      }
      if (zoom >= this.options.clusterMaxZoom) {
        var span = G.rowsBetween(p, (oy - r) / scale, (oy + h + r) / scale);
        for (var i = span[0]; i < span[1]; i++) {
          var x = p.wx[i] * scale - ox, y = p.wy[i] * scale - oy;
          if (x < -r || y < -r || x > w + r || y > h + r) continue;
          dot(i, x, y); items.push([x, y, r + 2, 1, i, -1]); drawn++;
        }
      } else {
        var cells = this._cells(zoom), bubbles = [];
        for (var c = 0; c < cells.n; c++) {
          var n = cells.count[c], cx = (cells.sx[c] / n) * scale - ox, cy = (cells.sy[c] / n) * scale - oy;
          if (cx < -30 || cy < -30 || cx > w + 30 || cy > h + 30) continue;
          drawn += n;
          if (n === 1) { dot(cells.first[c], cx, cy); items.push([cx, cy, r + 2, 1, cells.first[c], c]); }
          else { bubbles.push([cx, cy, n]); items.push([cx, cy, n < 100 ? 15 : n < 1000 ? 18 : 21, n, cells.first[c], c]); }
        }
      }
      ctx.lineWidth = 1.5; ctx.strokeStyle = '#ffffff';
      Object.keys(byColor).forEach(function (col) {
        var xy = byColor[col];
        ctx.beginPath();
        for (var j = 0; j < xy.length; j += 2) { ctx.moveTo(xy[j] + r, xy[j + 1]); ctx.arc(xy[j], xy[j + 1], r, 0, 2 * Math.PI); }
        ctx.fillStyle = col; ctx.fill(); ctx.stroke();
      });
      if (bubbles) {
        ctx.font = 'bold 11px sans-serif'; ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
        for (var b = 0; b < bubbles.length; b++) {
          var bx = bubbles[b][0], by = bubbles[b][1], bn = bubbles[b][2];
          var br = bn < 100 ? 15 : bn < 1000 ? 18 : 21;
          var fill = bn < 10 ? '110,204,57' : bn < 100 ? '240,194,12' : bn < 1000 ? '241,128,23' : '215,48,31';
          ctx.beginPath(); ctx.arc(bx, by, br, 0, 2 * Math.PI); ctx.fillStyle = 'rgba(' + fill + ',0.45)'; ctx.fill();
          ctx.beginPath(); ctx.arc(bx, by, br - 4, 0, 2 * Math.PI); ctx.fillStyle = 'rgba(' + fill + ',0.9)'; ctx.fill();
          ctx.fillStyle = bn < 1000 ? '#1b1b1b' : '#ffffff'; ctx.fillText(clusterLabel(bn), bx, by);
        }
      }
      this._drawn = drawn;
      canvas.style.visibility = 'visible';
      if (p.n) G.measure('gupgeo : dessin au zoom ' + zoom, started);
    },

    /* The dot or cluster under the mouse. Items are in canvas pixels of the last redraw and
     * the canvas moves with the map pane until the next 'moveend' (drag, autopan, inertia,
     * keyboard pan): measure from where the canvas is now. Hidden canvas (zoom animation):
     * nothing to hit. */
    _hit: function (e) {
      var map = this._map, canvas = this._canvas;
      if (!map || canvas.style.visibility === 'hidden') return null;
      if (e.target.closest && e.target.closest('.leaflet-control-container, .leaflet-popup-pane, .leaflet-marker-pane')) return null;
      var pt = map.mouseEventToLayerPoint(e).subtract(L.DomUtil.getPosition(canvas)), best = null, bestD = Infinity;
      for (var i = this._items.length - 1; i >= 0; i--) {
        var it = this._items[i], dx = it[0] - pt.x, dy = it[1] - pt.y, d = dx * dx + dy * dy;
        if (d <= it[2] * it[2] && d < bestD) { best = it; bestD = d; }
      }
      return best;
    },

    _onDown: function (e) { this._down = [e.clientX, e.clientY]; },

    _onMove: function (e) { if (this._map) this._map.getContainer().style.cursor = this._hit(e) ? 'pointer' : ''; },

    _info: function (i) {
      var spec = this._spec;
      var rows = spec.fields.map(function (f) { return [f.label, fieldValue(f, i)]; });
      var title = spec.titleField === null ? spec.name : fieldValue(spec.fields[spec.titleField], i);
      return G.table(title, rows.filter(function (_, k) { return k !== spec.titleField; }));
    },

    _onClick: function (e) {
      var d = this._down;
      if (d && (Math.abs(d[0] - e.clientX) > 4 || Math.abs(d[1] - e.clientY) > 4)) return; // a drag
      var hit = this._hit(e);
      if (!hit) return;
      e.stopPropagation();
      this.open(hit);
    },

    /* Open a dot's popup, or zoom on a group (a group at one spot: the list of its points).
     * Called by a click, and by the map's data table (keyboard, screen readers). */
    open: function (hit) {
      var map = this._map, cells = this._cells(map.getZoom());
      if (hit[3] === 1) {
        L.popup({ maxWidth: 320 }).setLatLng(toLatLng(this._pts.wx[hit[4]], this._pts.wy[hit[4]]))
          .setContent(this._info(hit[4])).openOn(map);
        return;
      }
      var c = hit[5];
      var bounds = L.latLngBounds(toLatLng(cells.minx[c], cells.maxy[c]), toLatLng(cells.maxx[c], cells.miny[c]));
      if (map.getZoom() < map.getMaxZoom() && (cells.maxx[c] > cells.minx[c] || cells.maxy[c] > cells.miny[c])) {
        map.fitBounds(bounds.pad(0.2), { maxZoom: this.options.clusterMaxZoom });
        return;
      }
      var box = el('div', 'gupgeo-info');
      box.appendChild(el('div', 'gupgeo-info-title', hit[3] + ' ' + this._spec.unit + ' au même endroit'));
      var shownCount = 0;
      for (var i = 0; i < this._pts.n && shownCount < 10; i++) {
        if (this._pts.wx[i] === this._pts.wx[hit[4]] && this._pts.wy[i] === this._pts.wy[hit[4]]) {
          box.appendChild(this._info(i)); shownCount++;
        }
      }
      L.popup({ maxWidth: 340, maxHeight: 300 }).setLatLng(bounds.getCenter()).setContent(box).openOn(map);
    },

    /* What the data table lists: the groups and dots drawn in the visible part of the map. */
    rows: function () {
      var map = this._map, pad = this._pad, out = [], self = this, spec = this._spec;
      if (!map || !pad) return out;
      var size = map.getSize();
      this._items.forEach(function (it) {
        if (it[0] < pad.x || it[1] < pad.y || it[0] > pad.x + size.x || it[1] > pad.y + size.y) return;
        var n = it[3], i = it[4];
        var cells = spec.fields.map(function (f) { return n > 1 ? null : fieldValue(f, i); });
        out.push({
          title: n > 1 ? 'Groupe de ' + G.count(n) + ' ' + spec.unit : (spec.titleField === null ? spec.name : fieldValue(spec.fields[spec.titleField], i)),
          count: n,
          cells: cells,
          key: n > 1 ? 'c' + map.getZoom() + ':' + it[5] : 'p' + i,
          at: function () { return map.layerPointToLatLng(L.point(it[0], it[1]).add(L.DomUtil.getPosition(self._canvas))); },
          open: function () { self.open(it); }
        });
      });
      return out;
    }
  });

  G.points = function (group, spec, options) {
    var layer = new G.Points(spec, options).addTo(group);
    var entry = G.register(spec.name, 'points', layer, group, spec.payload.n);
    entry.columns = ['Nombre'].concat(spec.fields.map(function (f) { return f.label; }));
    entry.rows = function () {
      return layer.rows().map(function (r) { return { title: r.title, cells: [r.count].concat(r.cells), key: r.key, at: r.at, open: r.open }; });
    };
    return entry;
  };

})();
