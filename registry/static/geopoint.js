// A point on a small offline map: district outlines (no tiles), the place marked. Used by camera and site pages.
"use strict";
(function () {
  document.querySelectorAll(".geo-map").forEach(function (box) {
    if (!window.L) { return; }
    var lon = parseFloat(box.dataset.lon), lat = parseFloat(box.dataset.lat);
    var map = L.map(box, { attributionControl: false, zoomSnap: 0.5 }).setView([lat, lon], 13);
    fetch(box.dataset.outlines, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        L.geoJSON(geo, { style: { color: "#1c3f6e", weight: 1, fillColor: "#fff", fillOpacity: 0.7 },
          onEachFeature: function (f, l) { l.bindTooltip(f.properties.name, { sticky: true }); } }).addTo(map);
        L.circleMarker([lat, lon], { radius: 7, color: "#b00020", weight: 2, fillOpacity: 0.7 })
          .bindTooltip(box.dataset.label || "").addTo(map);
        box.dataset.ready = "1";
      });
  });
})();
