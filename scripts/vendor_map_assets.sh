#!/usr/bin/env bash
# Re-create maps/static/ from the npm registry: the maps must work with no internet, so Leaflet and
# the one plugin we use are shipped inside the package (dist files + licence, nothing else).
# Usage: scripts/vendor_map_assets.sh        (needs npm and network access to the npm registry)
set -euo pipefail

LEAFLET=1.9.4               # folium 0.20 is written against Leaflet 1.9.x
MARKERCLUSTER=1.5.3

root="$(cd "$(dirname "$0")/.." && pwd)"
static="$root/maps/static"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fetch() {  # fetch NAME VERSION -> unpacked package directory on stdout; tarball sha256 in $work/NAME.sha
    local dir="$work/$1"
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "$1@$2" >/dev/null && tar xzf ./*.tgz \
        && sha256sum ./*.tgz | cut -d' ' -f1 > "$work/$1.sha")
    echo "$dir/package"
}

pkg="$(fetch leaflet "$LEAFLET")"
rm -rf "$static/leaflet" && mkdir -p "$static/leaflet/images"
cp "$pkg/dist/leaflet.js" "$pkg/dist/leaflet.css" "$pkg/LICENSE" "$static/leaflet/"
cp "$pkg/dist/images/"*.png "$static/leaflet/images/"
echo "leaflet@$LEAFLET from the npm registry (BSD-2-Clause), tarball sha256 $(cat "$work/leaflet.sha")" > "$static/leaflet/VERSION.txt"

pkg="$(fetch leaflet.markercluster "$MARKERCLUSTER")"
rm -rf "$static/markercluster" && mkdir -p "$static/markercluster"
cp "$pkg/dist/leaflet.markercluster.js" "$pkg/dist/MarkerCluster.css" "$pkg/dist/MarkerCluster.Default.css" \
   "$pkg/MIT-LICENCE.txt" "$static/markercluster/"
echo "leaflet.markercluster@$MARKERCLUSTER from the npm registry (MIT), tarball sha256 $(cat "$work/leaflet.markercluster.sha")" > "$static/markercluster/VERSION.txt"

echo "vendored into $static:"
find "$static" -type f | sort
