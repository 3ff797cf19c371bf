#!/usr/bin/env bash
# Re-create registry/static/htmx/ from the npm registry: the pages must work with no internet, so htmx
# ships inside the package (the minified dist file + licence, nothing else), like Leaflet in maps/static.
# Usage: scripts/vendor_page_assets.sh        (needs npm and network access to the npm registry)
set -euo pipefail

# The 2.x line: its configuration and attributes are what registry/templates use (4.x changed attribute
# inheritance and the request engine).
HTMX=2.0.11

root="$(cd "$(dirname "$0")/.." && pwd)"
static="$root/registry/static"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "htmx.org@$HTMX" >/dev/null && tar xzf ./*.tgz)
sha="$(sha256sum "$work"/*.tgz | cut -d' ' -f1)"
rm -rf "$static/htmx" && mkdir -p "$static/htmx"
cp "$work/package/dist/htmx.min.js" "$work/package/LICENSE" "$static/htmx/"
echo "htmx.org@$HTMX from the npm registry (0BSD), tarball sha256 $sha" > "$static/htmx/VERSION.txt"

echo "vendored into $static/htmx:"
find "$static/htmx" -type f | sort
