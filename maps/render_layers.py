"""Custom Leaflet elements for the folium maps: labels, legend, title, aggregated camera layer, ready flag.

Each element carries its data as one compact JSON literal and draws it with a short JS loop, so a map
with thousands of items is one folium element rather than thousands (folium emits ~1 KB of script per
Marker, which is what makes naive maps of many cameras slow and huge).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from branca.element import MacroElement
from folium.template import Template


def js_json(data: Any) -> str:
    """JSON for embedding in a <script>: compact, UTF-8, and unable to close the script tag."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


_BASE_CSS = """
{% macro header(this, kwargs) %}
<style>
.leaflet-container { background: #eef1f4; font-family: "Microsoft YaHei", "PingFang SC", sans-serif; }
.camreg-label { color: #222; font-size: 12px; line-height: 1.2; text-align: center; white-space: nowrap;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff; pointer-events: none; }
.camreg-label b { font-size: 13px; }
.camreg-box { background: rgba(255,255,255,.92); padding: 6px 10px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); font-size: 13px; line-height: 1.4; }
.camreg-box i { display: inline-block; width: 14px; height: 12px; margin-right: 6px; vertical-align: -1px; }
.camreg-cell div { width: 100%; height: 100%; border-radius: 50%; display: flex; align-items: center;
  justify-content: center; font-size: 11px; font-weight: bold; color: #123; }
.camreg-cell-s div { background: rgba(110,204,57,.75); }
.camreg-cell-m div { background: rgba(240,194,12,.8); }
.camreg-cell-l div { background: rgba(241,128,23,.85); }
.camreg-site div { width: 12px; height: 12px; background: #c00; border: 2px solid #fff; border-radius: 2px; }
</style>
{% endmacro %}
"""


class BaseStyle(MacroElement):
    """The page's shared CSS (labels, boxes, aggregated-camera bubbles)."""

    _template = Template(_BASE_CSS)


class Labels(MacroElement):
    """Text labels at given points, drawn as non-interactive DivIcons in one loop.

    A label with an extent (its area's bounds) is shown only while that area is at least
    `min_px` pixels wide on screen, so small central districts do not pile labels on each other.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function (map) {
  var items = {{ this.data }}, minPx = {{ this.min_px }}, markers = [];
  for (var i = 0; i < items.length; i++) {
    markers.push(L.marker([items[i][0], items[i][1]], {interactive: false, keyboard: false,
      icon: L.divIcon({className: "camreg-label", html: items[i][2], iconSize: [120, 32], iconAnchor: [60, 16]})
    }));
  }
  function fit() {
    for (var i = 0; i < items.length; i++) {
      var e = items[i][3], wide = !e ||
        map.latLngToLayerPoint([e[0], e[3]]).x - map.latLngToLayerPoint([e[0], e[1]]).x >= minPx;
      if (wide && !map.hasLayer(markers[i])) markers[i].addTo(map);
      if (!wide && map.hasLayer(markers[i])) markers[i].remove();
    }
  }
  map.on("zoomend", fit);
  fit();
})({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self, items: Sequence[tuple[float, float, str]],
                 extents: Sequence[Sequence[float]] | None = None, min_px: int = 70) -> None:
        super().__init__()
        self._name = "Labels"
        boxes = extents if extents is not None else [None] * len(items)
        self.min_px = int(min_px)
        # Extent as [south, west, north, east], the order latLngToLayerPoint is fed above.
        self.data = js_json([[round(lat, 5), round(lon, 5), html,
                              None if b is None else [round(b[1], 5), round(b[0], 5), round(b[3], 5), round(b[2], 5)]]
                             for (lat, lon, html), b in zip(items, boxes, strict=True)])


class InfoBox(MacroElement):
    """A fixed HTML box (title, legend, notes) as a Leaflet control at `position`."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function (map) {
  var box = L.control({position: {{ this.position_json }}});
  box.onAdd = function () {
    var div = L.DomUtil.create("div", "camreg-box {{ this.css_class }}");
    div.innerHTML = {{ this.html_json }};
    return div;
  };
  box.addTo(map);
})({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self, html: str, position: str = "bottomright", css_class: str = "") -> None:
        super().__init__()
        self._name = "InfoBox"
        self.html_json = js_json(html)
        self.position_json = js_json(position)
        self.css_class = css_class


class FitView(MacroElement):
    """Fit the map to bounds at once: folium's fit_bounds animates, so layers would redraw after 'ready'."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.fitBounds({{ this.bounds }}, {animate: false, padding: [8, 8]});
{% endmacro %}
"""
    )

    def __init__(self, south_west: tuple[float, float], north_east: tuple[float, float]) -> None:
        super().__init__()
        self._name = "FitView"
        self.bounds = js_json([list(south_west), list(north_east)])


class ReadyFlag(MacroElement):
    """Sets window.camregReady (ms since navigation) once every layer is added and painted."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
requestAnimationFrame(function () { requestAnimationFrame(function () {
  window.camregReady = performance.now();
}); });
{% endmacro %}
"""
    )


_CAMERA_JS = """
{% macro script(this, kwargs) %}
(function (map) {
  var D = {{ this.data }};
  var state = window.camreg = window.camreg || {};
  var renderer = L.canvas({padding: 0.3});
  var cells = L.layerGroup(), detail = L.layerGroup();
  var n = D.lat.length, S = D.scale, la0 = D.origin[0], lo0 = D.origin[1];
  var lat = new Float64Array(n), lon = new Float64Array(n);
  for (var i = 0; i < n; i++) { lat[i] = la0 + D.lat[i] / S; lon[i] = lo0 + D.lon[i] / S; }
  function fmt(v) { return v >= 10000 ? (v / 1000).toFixed(0) + "k" : String(v); }
  D.cells.forEach(function (c) {
    var cls = c[2] < D.breaks[0] ? "s" : c[2] < D.breaks[1] ? "m" : "l";
    var size = cls === "s" ? 22 : cls === "m" ? 28 : 34;
    L.marker([c[0], c[1]], {keyboard: false, icon: L.divIcon({className: "camreg-cell camreg-cell-" + cls,
      html: "<div>" + fmt(c[2]) + "</div>", iconSize: [size, size]})})
      .bindTooltip(c[2] + " 台摄像机 (点击放大)")
      .on("click", function () { map.setView([c[0], c[1]], D.detailZoom); })
      .addTo(cells);
  });
  // Field of view on the local tangent plane: at camera ranges (< 1 km) this matches the UTM-built
  // sectors of maps.coverage to well under a metre.
  function sector(i) {
    var pts = [], full = D.full[i] === 1, w = full ? 360 : D.fov[i];
    var steps = Math.max(1, Math.ceil(w / 5)), k0 = full ? 0 : D.az[i] - w / 2;
    var mLat = 111320, mLon = 111320 * Math.cos(lat[i] * Math.PI / 180);
    if (!full) pts.push([lat[i], lon[i]]);
    for (var k = 0; k <= steps - (full ? 1 : 0); k++) {
      var t = (k0 + k * w / steps) * Math.PI / 180;
      pts.push([lat[i] + D.rng[i] * Math.cos(t) / mLat, lon[i] + D.rng[i] * Math.sin(t) / mLon]);
    }
    return pts;
  }
  function tip(i) { return (D.code ? D.code[i] : "") + (D.name ? " " + D.name[i] : ""); }
  var note = L.control({position: "bottomleft"});
  note.onAdd = function () { return L.DomUtil.create("div", "camreg-box camreg-note"); };
  note.addTo(map);
  function tell(text) {
    note.getContainer().style.display = text ? "" : "none";
    note.getContainer().innerHTML = text;
  }
  function refresh() {
    var z = map.getZoom();
    if (z < D.detailZoom) {
      detail.remove(); cells.addTo(map); tell("");
      state.mode = "cells"; state.shown = 0; state.sectors = 0; state.hidden = 0;
      return;
    }
    cells.remove(); detail.clearLayers();
    var b = map.getBounds().pad(0.05), s = b.getSouth(), nn = b.getNorth(), w = b.getWest(), e = b.getEast();
    var shown = 0, sectors = 0, hidden = 0, withSectors = D.az && z >= D.sectorZoom;
    for (var i = 0; i < n; i++) {
      if (lat[i] < s || lat[i] > nn || lon[i] < w || lon[i] > e) continue;
      if (shown >= D.maxDetail) { hidden++; continue; }
      if (withSectors) {
        L.polygon(sector(i), {renderer: renderer, weight: 1, color: "#d9480f", fillOpacity: 0.15,
          interactive: false}).addTo(detail);
        sectors++;
      }
      L.circleMarker([lat[i], lon[i]], {renderer: renderer, radius: 4, weight: 1, color: "#fff",
        fillColor: "#1864ab", fillOpacity: 0.9}).bindTooltip(tip(i)).addTo(detail);
      shown++;
    }
    detail.addTo(map);
    tell(hidden ? "显示 " + shown + " / " + (shown + hidden) + " 台，放大查看全部" : "");
    state.mode = "detail"; state.shown = shown; state.sectors = sectors; state.hidden = hidden;
  }
  state.cells = D.cells.length; state.cameras = n; state.sector = sector;
  map.on("zoomend moveend", refresh);
  refresh();
})({{ this._parent.get_name() }});
{% endmacro %}
"""


class CameraLayer(MacroElement):
    """Cameras as server-side aggregated bubbles, switching to points (and sectors) when zoomed in.

    Below `detail_zoom` only the pre-counted grid cells are drawn (a few hundred DivIcons). From
    `detail_zoom` the cameras inside the view are drawn on one canvas, at most `max_detail` of them;
    from `sector_zoom` each gets its field of view. window.camreg reports what is shown (for tests).
    """

    _template = Template(_CAMERA_JS)

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()
        self._name = "CameraLayer"
        self.data = js_json(payload)
