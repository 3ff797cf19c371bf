#!/usr/bin/env bash
# Re-create registry/static/swagger-ui/ from the npm registry: /docs must work on an intranet with no
# internet, so Swagger UI ships inside the package (distribution files + licence, nothing else).
# Usage: scripts/vendor_swagger_ui.sh        (needs npm and network access to the npm registry)
set -euo pipefail

SWAGGER_UI=5.35.0

root="$(cd "$(dirname "$0")/.." && pwd)"
target="$root/registry/static/swagger-ui"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "swagger-ui-dist@$SWAGGER_UI" >/dev/null && tar xzf ./*.tgz)
sha="$(sha256sum "$work"/*.tgz | cut -d' ' -f1)"
rm -rf "$target" && mkdir -p "$target"
pkg="$work/package"
cp "$pkg/swagger-ui-bundle.js" "$pkg/swagger-ui-bundle.js.LICENSE.txt" "$pkg/swagger-ui.css" \
   "$pkg/favicon-32x32.png" "$pkg/LICENSE" "$pkg/NOTICE" "$target/"
echo "swagger-ui-dist@$SWAGGER_UI from the npm registry (Apache-2.0), tarball sha256 $sha" > "$target/VERSION.txt"
echo "vendored into $target:"
find "$target" -type f | sort
