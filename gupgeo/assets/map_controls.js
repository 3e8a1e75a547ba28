/* gupgeo map controls: French zoom buttons and a metric scale, and the "ready" flag set
 * once every element of the map exists (part of gupgeo, MIT). Needs map_core.js. */
(function () {
  'use strict';
  var G = window.gupgeo;

  G.frenchControls = function (map) {
    map.getContainer().classList.add('gupgeo-map');
    L.control.zoom({ position: 'topleft', zoomInTitle: 'Zoom avant', zoomOutTitle: 'Zoom arrière' }).addTo(map);
    L.control.scale({ position: 'bottomleft', imperial: false }).addTo(map);
    if (map.attributionControl) {
      map.attributionControl.setPrefix('<a href="https://leafletjs.com" title="Bibliothèque de cartes interactives">Leaflet</a>');
    }
  };

  G.ready = false;
  G.done = function (map) {
    G.map = map;
    // Packed point layers are drawn once the browser has inflated them (map_core.js).
    Promise.all(G.pending || []).then(function () { G.ready = true; }, function (e) {
      G.ready = true;
      console.error('gupgeo : données de points illisibles', e);
    });
  };
})();
