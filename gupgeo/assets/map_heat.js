/* gupgeo heat layer: leaflet.heat (folium.plugins.HeatMap's library) fed from the compact
 * point payload (part of gupgeo, MIT). Needs map_core.js. */
(function () {
  'use strict';
  var G = window.gupgeo;

  G.heat = function (group, spec, options) {
    var p = G.decode(spec.payload), pts = new Array(p.n);
    for (var i = 0; i < p.n; i++) pts[i] = [p.lat[i], p.lng[i], spec.weights ? spec.weights[i] : 1];
    var layer = L.heatLayer(pts, options).addTo(group);
    return G.register(spec.name, 'heatmap', layer, group, p.n);
  };

})();
