/* gupgeo map runtime (part of gupgeo, MIT).
 *
 * Every user-supplied string reaches the page through textContent, never innerHTML:
 * tooltips, popups, legends, layer names and captions are built as DOM nodes.
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

  /* Vector features (GeoJSON): one style per class, looked up by properties._s. */
  G.vector = function (group, spec) {
    var styles = spec.styles.map(function (s) {
      var out = L.extend({}, s);
      if (out.hatch) { out.fillColor = G.hatch(out.hatch, out.color); out.fillOpacity = 1; delete out.hatch; }
      return out;
    });
    var layer = L.geoJSON(spec.data, {
      pane: spec.pane || 'overlayPane',
      style: function (f) { return styles[f.properties._s]; },
      pointToLayer: function (f, latlng) {
        if (spec.badges) {
          var st = styles[f.properties._s];
          var badge = el('div', 'gupgeo-badge', st.glyph);
          badge.style.background = st.fillColor;
          return L.marker(latlng, {
            icon: L.divIcon({ html: badge, className: 'gupgeo-badge-icon', iconSize: [22, 22] }),
            keyboard: false,
            title: ''
          });
        }
        return L.circleMarker(latlng, styles[f.properties._s]);
      },
      onEachFeature: function (f, lyr) {
        if (spec.tooltip) lyr.bindTooltip(function () { return featureInfo(spec.tooltip, f.properties); }, { sticky: !spec.badges });
        if (spec.popup) lyr.bindPopup(function () { return featureInfo(spec.popup, f.properties); }, { maxWidth: 320 });
      }
    });
    if (spec.zoomRange) G.zoomRange(group, layer, spec.zoomRange[0], spec.zoomRange[1]);
    else layer.addTo(group);
    if (spec.minPx) G.minimumSize(group, layer, spec, styles, spec.zoomRange);
    if (spec.label) {
      var labels = [];
      spec.data.features.forEach(function (f) {
        var at = f.properties._at;
        if (!at) return;
        var text = el('span', 'gupgeo-label-text', shown(f.properties[spec.label]));
        var marker = L.marker(at, {
          icon: L.divIcon({ html: text, className: 'gupgeo-label', iconSize: null }),
          interactive: false, keyboard: false, pane: 'gupgeoLabels'
        }).addTo(group);
        labels.push({ marker: marker, text: text, rank: f.properties._rank || 0 });
      });
      G.declutter(group, labels);
    }
    return G.register(spec.name, spec.kind, layer, group, spec.data.features.length);
  };

  /* Run ``sync`` whenever ``group`` is on a map and its zoom changes. */
  G.onZoom = function (group, sync) {
    var map = null;
    function attach() { map = group._map; map.on('zoomend', sync); sync(); }
    group.on('add', attach);
    group.on('remove', function () { if (map) map.off('zoomend', sync); map = null; });
    if (group._map) attach();
  };

  /* Show ``layer`` inside ``group`` only between two zoom levels (both included; null:
   * unbounded): the group stays under the user's control in the layer list, the zoom
   * decides which of its views is drawn (quartier totals far out, a grid close in). */
  G.zoomRange = function (group, layer, minZoom, maxZoom) {
    function sync() {
      var map = group._map;
      if (!map) return;
      var z = map.getZoom();
      var inside = (minZoom === null || z >= minZoom) && (maxZoom === null || z <= maxZoom);
      if (inside && !group.hasLayer(layer)) group.addLayer(layer);
      if (!inside && group.hasLayer(layer)) group.removeLayer(layer);
    }
    G.onZoom(group, sync);
  };

  /* Polygons smaller than ``spec.minPx`` pixels at the current zoom are drawn as a circle
   * at their label point, with the same style, tooltip and popup: a quartier never
   * vanishes into a one-pixel speck when a region is shown whole. */
  G.minimumSize = function (group, layer, spec, styles, range) {
    var stand = [];
    layer.eachLayer(function (lyr) {
      var f = lyr.feature;
      if (!f || !f.properties._at || !lyr.getBounds) return;
      var st = styles[f.properties._s] || {};
      var dot = L.circleMarker(f.properties._at, {
        radius: 5, color: st.color || '#1f3a93', weight: 2, fillColor: st.fillColor || st.color || '#1f3a93',
        fillOpacity: 0.6, pane: 'gupgeoPoints', className: 'gupgeo-min-size'
      });
      if (spec.tooltip) dot.bindTooltip(function () { return featureInfo(spec.tooltip, f.properties); });
      if (spec.popup) dot.bindPopup(function () { return featureInfo(spec.popup, f.properties); }, { maxWidth: 320 });
      stand.push([lyr.getBounds(), dot]);
    });
    function sync() {
      var map = group._map;
      if (!map) return;
      var z = map.getZoom();
      var inRange = !range || ((range[0] === null || z >= range[0]) && (range[1] === null || z <= range[1]));
      stand.forEach(function (pair) {
        var a = map.project(pair[0].getSouthWest(), z), b = map.project(pair[0].getNorthEast(), z);
        var small = inRange && Math.max(Math.abs(a.x - b.x), Math.abs(a.y - b.y)) < spec.minPx;
        if (small && !group.hasLayer(pair[1])) group.addLayer(pair[1]);
        if (!small && group.hasLayer(pair[1])) group.removeLayer(pair[1]);
      });
    }
    G.onZoom(group, sync);
  };

  /* Labels that would overlap are hidden, the higher ``_rank`` first kept (largest
   * quartiers): greedy placement on a grid of screen cells, redone at every zoom. The
   * hidden names stay readable in tooltips, popups and the map's data table. */
  G.declutter = function (group, labels) {
    var CELL = 64, PAD = 3;
    labels.sort(function (a, b) { return b.rank - a.rank; });
    function overlaps(r, q) { return r[0] < q[2] && q[0] < r[2] && r[1] < q[3] && q[1] < r[3]; }
    function sync() {
      var map = group._map;
      if (!map) return;
      var grid = {};
      labels.forEach(function (l) {
        l.text.style.visibility = 'hidden';
        var p = map.latLngToLayerPoint(l.marker.getLatLng());
        var w = (l.text.offsetWidth || 8 * l.text.textContent.length) / 2 + PAD;
        var h = (l.text.offsetHeight || 14) / 2 + PAD;
        var r = [p.x - w, p.y - h, p.x + w, p.y + h];
        var keys = [], free = true;
        for (var gx = Math.floor(r[0] / CELL); gx <= Math.floor(r[2] / CELL) && free; gx++) {
          for (var gy = Math.floor(r[1] / CELL); gy <= Math.floor(r[3] / CELL); gy++) {
            var key = gx + ':' + gy, cell = grid[key] || [];
            if (cell.some(function (q) { return overlaps(r, q); })) { free = false; break; }
            keys.push(key);
          }
        }
        if (!free) return;
        keys.forEach(function (key) { (grid[key] = grid[key] || []).push(r); });
        l.text.style.visibility = '';
      });
      group.declutterShown = labels.filter(function (l) { return l.text.style.visibility === ''; }).length;
    }
    G.onZoom(group, sync);
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
      this._pts = decode(spec.payload);
      this._colorField = spec.fields[spec.colorField];
      this._cache = {};
      this._items = [];
      this._drawn = 0;
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

    stats: function () { return { points: this._drawn, items: this._items.length, total: this._pts.n }; },

    _hide: function () { if (this._canvas) this._canvas.style.visibility = 'hidden'; },

    _cells: function (zoom) {
      if (this._cache[zoom]) return this._cache[zoom];
      var p = this._pts, scale = this._map.options.crs.scale(zoom) / this.options.cellPx;
      var index = new Map(), count = [], sx = [], sy = [], first = [];
      var minx = [], maxx = [], miny = [], maxy = [];
      for (var i = 0; i < p.n; i++) {
        var x = p.wx[i], y = p.wy[i];
        var key = Math.floor(x * scale) * 16777216 + Math.floor(y * scale);
        var c = index.get(key);
        if (c === undefined) {
          c = count.length; index.set(key, c);
          count.push(0); sx.push(0); sy.push(0); first.push(i);
          minx.push(x); maxx.push(x); miny.push(y); maxy.push(y);
        }
        count[c]++; sx[c] += x; sy[c] += y;
        if (x < minx[c]) minx[c] = x; if (x > maxx[c]) maxx[c] = x;
        if (y < miny[c]) miny[c] = y; if (y > maxy[c]) maxy[c] = y;
      }
      var cells = { count: count, sx: sx, sy: sy, first: first, minx: minx, maxx: maxx, miny: miny, maxy: maxy };
      this._cache[zoom] = cells;
      return cells;
    },

    _redraw: function () {
      var map = this._map;
      if (!map) return;
      var size = map.getSize(), pad = size.multiplyBy(this.options.padding).round();
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
        for (var i = 0; i < p.n; i++) {
          var x = p.wx[i] * scale - ox, y = p.wy[i] * scale - oy;
          if (x < -r || y < -r || x > w + r || y > h + r) continue;
          dot(i, x, y); items.push([x, y, r + 2, 1, i, -1]); drawn++;
        }
      } else {
        var cells = this._cells(zoom), bubbles = [];
        for (var c = 0; c < cells.count.length; c++) {
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
          ctx.fillStyle = '#1b1b1b'; ctx.fillText(clusterLabel(bn), bx, by);
        }
      }
      this._drawn = drawn;
      canvas.style.visibility = 'visible';
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
    }
  });

  G.points = function (group, spec, options) {
    var layer = new G.Points(spec, options).addTo(group);
    return G.register(spec.name, 'points', layer, group, spec.payload.n);
  };

  G.heat = function (group, spec, options) {
    var p = decode(spec.payload), pts = new Array(p.n);
    for (var i = 0; i < p.n; i++) pts[i] = [p.lat[i], p.lng[i], spec.weights ? spec.weights[i] : 1];
    var layer = L.heatLayer(pts, options).addTo(group);
    return G.register(spec.name, 'heatmap', layer, group, p.n);
  };

  /* ---------- controls: layers by theme, legend, caption ---------- */
  G.LayerControl = L.Control.extend({
    options: { position: 'topright' },
    initialize: function (bases, groups, options) { L.setOptions(this, options); this._bases = bases; this._groups = groups; },
    onAdd: function (map) {
      var box = el('div', 'leaflet-control-layers leaflet-control-layers-expanded gupgeo-layers');
      var details = el('details'); details.open = true;
      details.appendChild(el('summary', 'gupgeo-layers-title', 'Couches'));
      var inputs = (this._inputs = []);
      var self = this;
      function row(parent, type, name, layer, radioName) {
        var label = el('label', 'gupgeo-layer-row');
        var input = el('input'); input.type = type; if (radioName) input.name = radioName;
        input.checked = map.hasLayer(layer);
        L.DomEvent.on(input, 'change', function () {
          var on = input.checked;
          if (type === 'radio') self._bases.forEach(function (b) { if (b[1] !== layer) map.removeLayer(b[1]); });
          if (on) map.addLayer(layer); else map.removeLayer(layer);
        });
        label.appendChild(input); label.appendChild(el('span', null, ' ' + name));
        parent.appendChild(label); inputs.push([input, layer]);
      }
      if (this._bases.length > 1) {
        var base = el('div', 'gupgeo-layer-group');
        base.appendChild(el('div', 'gupgeo-layer-group-name', 'Fond de carte'));
        this._bases.forEach(function (b) { row(base, 'radio', b[0], b[1], 'gupgeo-base'); });
        details.appendChild(base);
      }
      this._groups.forEach(function (g) {
        var section = el('div', 'gupgeo-layer-group');
        section.appendChild(el('div', 'gupgeo-layer-group-name', g[0]));
        g[1].forEach(function (o) { row(section, 'checkbox', o[0], o[1]); });
        details.appendChild(section);
      });
      box.appendChild(details);
      L.DomEvent.disableClickPropagation(box); L.DomEvent.disableScrollPropagation(box);
      map.on('layeradd layerremove', this._sync, this);
      return box;
    },
    onRemove: function (map) { map.off('layeradd layerremove', this._sync, this); },
    _sync: function () { var map = this._map; this._inputs.forEach(function (p) { p[0].checked = map.hasLayer(p[1]); }); }
  });

  function swatch(entry) {
    var s = el('span', 'gupgeo-swatch gupgeo-swatch-' + entry.shape);
    if (entry.shape === 'gradient') {
      s.style.background = 'linear-gradient(to right, ' + entry.colors.join(', ') + ')';
    } else if (entry.shape === 'line') {
      s.style.borderTopColor = entry.color;
    } else if (entry.shape === 'hatch' || entry.shape === 'secret') {
      s.style.borderColor = entry.color;
      s.style.backgroundImage = 'repeating-linear-gradient(45deg, ' + entry.color + ' 0 2px, transparent 2px 6px)';
    } else if (entry.shape === 'outline') {
      s.style.borderColor = entry.color;
    } else {
      s.style.background = entry.color;
    }
    if (entry.glyph) s.textContent = entry.glyph;
    return s;
  }

  G.Legend = L.Control.extend({
    options: { position: 'bottomright' },
    initialize: function (sections, options) { L.setOptions(this, options); this._sections = sections; },
    onAdd: function (map) {
      var box = el('div', 'gupgeo-legend leaflet-control');
      var details = el('details'); details.open = true;
      details.appendChild(el('summary', 'gupgeo-legend-title', 'Légende'));
      this._nodes = this._sections.map(function (sec) {
        var node = el('div', 'gupgeo-legend-section');
        node.appendChild(el('div', 'gupgeo-legend-name', sec.title));
        sec.entries.forEach(function (e) {
          var row = el('div', 'gupgeo-legend-entry');
          row.appendChild(swatch(e));
          row.appendChild(el('span', 'gupgeo-legend-label', e.label));
          if (e.count !== null && e.count !== undefined) row.appendChild(el('span', 'gupgeo-legend-count', e.count));
          node.appendChild(row);
        });
        if (sec.note) node.appendChild(el('div', 'gupgeo-legend-note', sec.note));
        details.appendChild(node);
        return [node, sec.layer];
      });
      box.appendChild(details);
      L.DomEvent.disableClickPropagation(box); L.DomEvent.disableScrollPropagation(box);
      map.on('layeradd layerremove', this._sync, this);
      this._map = map; this._sync();
      return box;
    },
    onRemove: function (map) { map.off('layeradd layerremove', this._sync, this); },
    _sync: function () {
      var map = this._map;
      this._nodes.forEach(function (p) { p[0].style.display = map.hasLayer(p[1]) ? '' : 'none'; });
    }
  });

  G.Caption = L.Control.extend({
    options: { position: 'bottomleft' },
    initialize: function (caption, options) { L.setOptions(this, options); this._caption = caption; },
    onAdd: function () {
      var c = this._caption, box = el('div', 'gupgeo-caption leaflet-control');
      if (c.title) box.appendChild(el('div', 'gupgeo-caption-title', c.title));
      if (c.subtitle) box.appendChild(el('div', 'gupgeo-caption-subtitle', c.subtitle));
      (c.lines || []).forEach(function (line) { box.appendChild(el('div', 'gupgeo-caption-line', line)); });
      if (c.profile) box.appendChild(el('div', 'gupgeo-caption-profile gupgeo-profile-' + c.profileKey, c.profile));
      L.DomEvent.disableClickPropagation(box);
      return box;
    }
  });

  /* Finish the map: French controls, layer control, legend, caption. */
  G.finish = function (map, opts) {
    map.getContainer().classList.add('gupgeo-map');
    L.control.zoom({ position: 'topleft', zoomInTitle: 'Zoom avant', zoomOutTitle: 'Zoom arrière' }).addTo(map);
    if (L.control.fullscreen) {
      L.control.fullscreen({ position: 'topleft', title: 'Plein écran', titleCancel: 'Quitter le plein écran', forceSeparateButton: true }).addTo(map);
    }
    L.control.scale({ position: 'bottomleft', imperial: false }).addTo(map);
    new G.Caption(opts.caption).addTo(map);
    if (opts.legend.length) new G.Legend(opts.legend).addTo(map);
    new G.LayerControl(opts.bases, opts.groups).addTo(map);
    G.map = map;
    G.ready = true;
  };
})();
