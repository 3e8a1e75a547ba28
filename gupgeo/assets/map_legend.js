/* gupgeo map legend: one section per layer, shown while its layer is on the map
 * (part of gupgeo, MIT). Needs map_core.js. */
(function () {
  'use strict';
  var G = window.gupgeo, el = G.el;

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
    if (entry.textColor) s.style.color = entry.textColor;
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

})();
