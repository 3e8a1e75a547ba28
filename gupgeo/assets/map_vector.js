/* gupgeo vector layers (GeoJSON, one style per class), with zoom ranges, minimum visible
 * size and label decluttering (part of gupgeo, MIT). Needs map_core.js. */
(function () {
  'use strict';
  var G = window.gupgeo, el = G.el, shown = G.shown, featureInfo = G.featureInfo;

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
          if (st.textColor) badge.style.color = st.textColor;
          return L.marker(latlng, {
            icon: L.divIcon({ html: badge, className: 'gupgeo-badge-icon', iconSize: [22, 22] }),
            keyboard: false,
            title: ''
          });
        }
        return L.circleMarker(latlng, styles[f.properties._s]);
      },
      onEachFeature: function (f, lyr) {
        // Features are reached with the keyboard through the map's data table, not one
        // Tab stop per shape between the page and the map's controls.
        lyr.on('add', function () { var node = lyr.getElement && lyr.getElement(); if (node) node.setAttribute('tabindex', '-1'); });
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
    var entry = G.register(spec.name, spec.kind, layer, group, spec.data.features.length);
    var info = spec.popup || spec.tooltip;
    var titleKey = (info && info.title) || spec.label;
    entry.columns = info ? info.fields.filter(function (f) { return f[0] !== titleKey; }).map(function (f) { return f[1]; }) : [];
    /* What the data table lists: the features in view (all of them in the fitted view). */
    entry.rows = function () {
      var map = group._map, out = [];
      if (!map || !group.hasLayer(layer)) return out;
      var view = map.getBounds();
      layer.eachLayer(function (lyr) {
        var inView = lyr.getBounds ? view.intersects(lyr.getBounds()) : view.contains(lyr.getLatLng());
        if (!inView) return;
        var p = lyr.feature.properties;
        out.push({
          title: titleKey ? shown(p[titleKey]) : spec.name,
          cells: info ? info.fields.filter(function (f) { return f[0] !== titleKey; }).map(function (f) { return p[f[0]]; }) : [],
          key: L.stamp(lyr),
          at: function () { return lyr.getBounds ? lyr.getBounds().getCenter() : lyr.getLatLng(); },
          open: function () { if (lyr.getPopup()) lyr.openPopup(); else if (lyr.getTooltip()) lyr.openTooltip(); }
        });
      });
      return out;
    };
    return entry;
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
      dot.on('add', function () { var node = dot.getElement(); if (node) node.setAttribute('tabindex', '-1'); });
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

})();
