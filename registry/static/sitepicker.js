// The filing form's location picker: district outlines (no tiles: works offline), click to put the
// system's location in the form as WGS-84. The inputs' change event then asks the server who handles it.
"use strict";
(function () {
  var box = document.getElementById("site-map");
  if (!box || !window.L) { return; }
  // The inputs it fills: the filing form's by default, others named by data-inputs="lon lat datum" (desk intake).
  var names = (box.dataset.inputs || "f-site_lon f-site_lat f-site_datum").split(" ");
  var lon = document.getElementById(names[0]), lat = document.getElementById(names[1]);
  var datum = document.getElementById(names[2]);
  var map = L.map(box, { attributionControl: false, zoomSnap: 0.5 }).setView([39.95, 116.40], 10);
  var marker = null;

  function show(latlng) {
    if (marker) { marker.setLatLng(latlng); }
    else { marker = L.circleMarker(latlng, { radius: 7, color: "#b00020", weight: 2, fillOpacity: 0.6 }).addTo(map); }
  }

  function fromInputs() {
    var x = parseFloat(lon.value), y = parseFloat(lat.value);
    // The map is WGS-84; a point typed in GCJ-02 or BD-09 is a few hundred metres off on it, so it is not drawn.
    if (datum.value === "wgs84" && isFinite(x) && isFinite(y)) { show([y, x]); return [y, x]; }
    return null;
  }

  fetch(box.dataset.outlines, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (geo) {
      var layer = L.geoJSON(geo, { style: { color: "#1c3f6e", weight: 1, fillColor: "#fff", fillOpacity: 0.7 },
        onEachFeature: function (f, l) { l.bindTooltip(f.properties.name, { sticky: true }); } }).addTo(map);
      var here = fromInputs();
      if (here) { map.setView(here, 13); } else { map.fitBounds(layer.getBounds()); }
      box.dataset.ready = "1";
    });

  map.on("click", function (event) {
    datum.value = "wgs84";
    lon.value = event.latlng.lng.toFixed(6);
    lat.value = event.latlng.lat.toFixed(6);
    show(event.latlng);
    lon.dispatchEvent(new Event("change", { bubbles: true }));
  });
  [lon, lat, datum].forEach(function (el) { el.addEventListener("change", fromInputs); });
})();
