/* gupgeo map caption: title, subtitle, sources, date and publication profile
 * (part of gupgeo, MIT). Needs map_core.js. */
(function () {
  'use strict';
  var G = window.gupgeo, el = G.el;

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

})();
