/* gupgeo heat layer: leaflet.heat (folium.plugins.HeatMap's library) fed from the compact
 * point payload (part of gupgeo, MIT). Needs map_core.js. */
(function () {
  'use strict';
  var G = window.gupgeo;

  function latLngs(spec) {
    var p = G.decode(spec.payload), pts = new Array(p.n);
    for (var i = 0; i < p.n; i++) pts[i] = [p.lat[i], p.lng[i], spec.weights ? spec.weights[i] : 1];
    return pts;
  }

  G.heat = function (group, spec, options) {
    var layer;
    if (spec.packed) { // filled once the browser has inflated the columns
      layer = L.heatLayer([], options).addTo(group);
      G.unpack(spec).then(function () { layer.setLatLngs(latLngs(spec)); });
    } else {
      layer = L.heatLayer(latLngs(spec), options).addTo(group);
    }
    return G.register(spec.name, 'heatmap', layer, group, spec.payload.n);
  };

})();
