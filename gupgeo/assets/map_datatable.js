/* gupgeo "Données de la carte": what the map shows, as tables a keyboard and a screen
 * reader can use (part of gupgeo, MIT). Needs map_core.js.
 *
 * A skip link first in the page and a button among the map's controls open a panel with
 * one table per layer shown: the features (or groups of points) in the current view, each
 * with a button that opens its popup — or zooms on a group — as a click would. Escape
 * closes the panel or a popup and gives the focus back. Every text goes through
 * textContent, never innerHTML.
 */
(function () {
  'use strict';
  var G = window.gupgeo, el = G.el;
  var MAX_ROWS = 200;

  function table(entry, rows) {
    var t = el('table', 'gupgeo-data-table');
    t.appendChild(el('caption', null, entry.name + ' — ' + G.count(rows.length) + (rows.length > 1 ? ' éléments dans la vue' : ' élément dans la vue')));
    var head = el('tr');
    head.appendChild(el('th', null, 'Élément')).setAttribute('scope', 'col');
    entry.columns.forEach(function (c) { head.appendChild(el('th', null, c)).setAttribute('scope', 'col'); });
    t.appendChild(el('thead')).appendChild(head);
    var body = t.appendChild(el('tbody'));
    rows.slice(0, MAX_ROWS).forEach(function (row, k) {
      var tr = body.appendChild(el('tr'));
      var th = tr.appendChild(el('th'));
      th.setAttribute('scope', 'row');
      var button = th.appendChild(el('button', 'gupgeo-data-open', G.shown(row.title)));
      button.type = 'button';
      button.setAttribute('data-key', entry.name + '|' + (row.key === undefined ? k : row.key));
      button.addEventListener('click', function () { G.dataPanel.show(row, button); });
      row.cells.forEach(function (v) { tr.appendChild(el('td', null, v === null || v === undefined ? '' : (typeof v === 'number' ? G.count(v) : String(v)))); });
    });
    return t;
  }

  G.DataPanel = L.Control.extend({
    options: { position: 'topleft' },

    onAdd: function (map) {
      var self = this;
      var box = el('div', 'leaflet-bar gupgeo-data-control');
      var button = (this._button = box.appendChild(el('button', 'gupgeo-data-button', 'Données de la carte')));
      button.type = 'button';
      button.setAttribute('aria-expanded', 'false');
      button.setAttribute('aria-controls', 'gupgeo-data');
      button.addEventListener('click', function () { self.toggle(); });
      var panel = (this._panel = el('section', 'gupgeo-data'));
      panel.id = 'gupgeo-data';
      panel.hidden = true;
      panel.setAttribute('aria-labelledby', 'gupgeo-data-title');
      map.getContainer().parentNode.appendChild(panel);
      panel.addEventListener('keydown', function (e) { if (e.key === 'Escape') { e.stopPropagation(); self.close(); } });
      var skip = el('a', 'gupgeo-skip', 'Aller aux données de la carte');
      skip.href = '#gupgeo-data';
      skip.addEventListener('click', function (e) { e.preventDefault(); self.open(); });
      document.body.insertBefore(skip, document.body.firstChild);
      map.on('moveend', function () { if (!panel.hidden) self._fill(); });
      // A layer switched on or off in the layer control (not a popup or a tooltip opening).
      map.on('layeradd layerremove', function (e) {
        if (!panel.hidden && G.layers.some(function (entry) { return entry.group === e.layer; })) self._fill();
      });
      map.on('popupopen', function (e) {
        var node = e.popup.getElement();
        var close = node && node.querySelector('.leaflet-popup-close-button');
        if (close) close.setAttribute('aria-label', 'Fermer la fiche');
        if (self.opener && node) {
          node.setAttribute('tabindex', '-1');
          node.addEventListener('keydown', function (k) { if (k.key === 'Escape') { k.stopPropagation(); map.closePopup(); } });
          node.focus();
        }
      });
      map.on('popupclose', function () {
        var opener = self.opener;
        self.opener = null;
        if (opener && document.body.contains(opener)) opener.focus();
      });
      L.DomEvent.disableClickPropagation(box);
      G.dataPanel = this;
      return box;
    },

    /* Centre the map on a row's feature (clear of the controls at the edges), then open it. */
    show: function (row, button) {
      var map = this._map, at = row.at && row.at();
      this.opener = button;
      if (at) map.setView(at, map.getZoom(), { animate: false });
      row.open();
    },

    toggle: function () { if (this._panel.hidden) this.open(); else this.close(); },

    open: function () {
      this._panel.hidden = false;
      this._button.setAttribute('aria-expanded', 'true');
      this._beside(this._panel.offsetWidth);
      this._fill();
      this._panel.querySelector('h2').focus();
    },

    close: function () {
      this._panel.hidden = true;
      this._button.setAttribute('aria-expanded', 'false');
      this._beside(0);
      this._button.focus();
    },

    /* The map moves beside the panel (never under it), so what a row opens stays in sight. */
    _beside: function (width) {
      var container = this._map.getContainer();
      container.style.marginLeft = width ? width + 'px' : '';
      container.style.width = width ? 'calc(100% - ' + width + 'px)' : '';
      this._map.invalidateSize({ pan: true, animate: false });
    },

    /* (Re)build the tables for the current view, keeping the focus on the same button. */
    _fill: function () {
      var panel = this._panel, map = this._map, self = this;
      var focused = document.activeElement && panel.contains(document.activeElement) ? document.activeElement.getAttribute('data-key') : null;
      panel.textContent = '';
      var title = panel.appendChild(el('h2', null, 'Données de la carte'));
      title.id = 'gupgeo-data-title';
      title.tabIndex = -1;
      var close = panel.appendChild(el('button', 'gupgeo-data-close', 'Fermer'));
      close.type = 'button';
      close.addEventListener('click', function () { self.close(); });
      panel.appendChild(el('p', 'gupgeo-data-note', 'Les éléments des couches affichées, dans la vue actuelle de la carte ; « Élément » ouvre sa fiche, ou rapproche la vue d’un groupe. Échap ferme ce panneau.'));
      var shownLayers = G.layers.filter(function (entry) { return map.hasLayer(entry.group); });
      shownLayers.forEach(function (entry) {
        panel.appendChild(el('h3', null, entry.name));
        if (!entry.rows) {
          panel.appendChild(el('p', 'gupgeo-data-note', G.count(entry.count) + ' points représentés en densité ; leur liste est dans la couche des signalements.'));
          return;
        }
        var rows = entry.rows();
        if (!rows.length) { panel.appendChild(el('p', 'gupgeo-data-note', 'Aucun élément dans la vue (ou pas à ce niveau de zoom).')); return; }
        panel.appendChild(table(entry, rows));
        if (rows.length > MAX_ROWS) panel.appendChild(el('p', 'gupgeo-data-note', 'Les ' + G.count(MAX_ROWS) + ' premiers sont listés : rapprochez la vue pour voir les autres.'));
      });
      if (!shownLayers.length) panel.appendChild(el('p', 'gupgeo-data-note', 'Aucune couche affichée.'));
      function byKey(key) { return key && panel.querySelector('[data-key="' + key.replace(/["\\]/g, '\\$&') + '"]'); }
      var again = byKey(focused);
      if (again) again.focus();
      if (this.opener && !document.body.contains(this.opener)) this.opener = byKey(this.opener.getAttribute('data-key')) || this._button;
    }
  });
})();
