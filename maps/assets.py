"""Offline assets: point folium's CDN links at the vendored files in `maps/static/`, then inline or link them.

folium keeps its CDN URLs in class-level `default_js`/`default_css` lists (and `add_js_link` mutates
them in place). We never touch those class lists: every element of a map gets its own instance lists,
naming local files through the `camreg-asset:` placeholder, which `finish_html` finally replaces with
the file contents (a self-contained page) or with a URL prefix (served by the app, or files beside).
"""

from __future__ import annotations

import base64
import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from branca.element import Element

STATIC_DIR = Path(__file__).parent / "static"
PLACEHOLDER = "camreg-asset:"

#: folium resource name -> vendored file (relative to STATIC_DIR). See scripts/vendor_map_assets.sh.
LOCAL_ASSETS = {
    "leaflet": "leaflet/leaflet.js",
    "leaflet_css": "leaflet/leaflet.css",
    "markerclusterjs": "markercluster/leaflet.markercluster.js",
    "markerclustercss": "markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "markercluster/MarkerCluster.Default.css",
}
#: folium resources our maps never use (awesome-markers icons, Bootstrap, jQuery): left out entirely.
DROPPED_ASSETS = frozenset(
    {
        "jquery",
        "bootstrap",
        "awesome_markers",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers_font_css",
        "awesome_markers_css",
        "awesome_rotate_css",
    }
)

#: URLs inside the vendored Leaflet that are not requests: the SVG namespace and the attribution link.
KNOWN_NON_REQUESTS = ("http://www.w3.org/2000/svg", "https://leafletjs.com")

_URL = re.compile(r"""https?://[^\s"'<>)\\]+""")
_SCRIPT = re.compile(r'<script src="' + PLACEHOLDER + r'([^"]+)"></script>')
_CSS = re.compile(r'<link rel="stylesheet" href="' + PLACEHOLDER + r'([^"]+)"/>')
_CSS_URL = re.compile(r"url\((?!['\"]?(?:data:|#))['\"]?([^'\")]+)['\"]?\)")


class OfflineError(RuntimeError):
    """A map would load something from outside: an unknown folium resource or a remaining URL."""


def walk(element: Element) -> Iterator[Element]:
    """The element and all its descendants."""
    yield element
    for child in list(element._children.values()):
        yield from walk(child)


def _local(pairs: Iterable[tuple[str, str]], owner: str) -> list[tuple[str, str]]:
    """Map folium's (name, CDN URL) pairs to vendored placeholders, failing on unknown names."""
    out = []
    for name, url in pairs:
        if name in DROPPED_ASSETS:
            continue
        if name not in LOCAL_ASSETS:
            raise OfflineError(
                f"{owner} needs {name} from {url}, which is not vendored in maps/static "
                "(add it to scripts/vendor_map_assets.sh and LOCAL_ASSETS)"
            )
        out.append((name, PLACEHOLDER + LOCAL_ASSETS[name]))
    return out


def localise(root: Element) -> None:
    """Give every element in `root`'s tree instance-level asset lists pointing at vendored files."""
    for el in walk(root):
        if hasattr(el, "default_js"):
            # Read the (possibly class-level) lists, assign new per-instance lists; never mutate.
            el.default_js = _local(el.default_js, type(el).__name__)
        if hasattr(el, "default_css"):
            el.default_css = _local(el.default_css, type(el).__name__)


def external_urls(html: str, allowed: Iterable[str] = ()) -> list[str]:
    """Every http(s) URL in `html` that is not one of `allowed` (prefix match)."""
    allow = tuple(a for a in allowed if a)
    return [u for u in _URL.findall(html) if not u.startswith(allow)]


def used_assets(html: str) -> list[str]:
    """Vendored files (relative to STATIC_DIR) referenced by placeholders in `html`, in order."""
    return list(dict.fromkeys(re.findall(re.escape(PLACEHOLDER) + r'([^"]+)"', html)))


def _read_js(rel: str) -> str:
    """A vendored script, safe to place inside <script>, without its source-map comment."""
    text = (STATIC_DIR / rel).read_text(encoding="utf-8")
    text = re.sub(r"^//# sourceMappingURL=.*$", "", text, flags=re.M)
    return text.replace("</script", "<\\/script")


def _read_css(rel: str) -> str:
    """A vendored stylesheet with its relative images turned into data: URIs."""
    path = STATIC_DIR / rel

    def data_uri(m: re.Match[str]) -> str:
        img = (path.parent / m.group(1)).resolve()
        if STATIC_DIR.resolve() not in img.parents or not img.is_file():
            raise OfflineError(f"{rel} refers to {m.group(1)}, which is not in maps/static")
        return f"url(data:image/png;base64,{base64.b64encode(img.read_bytes()).decode()})"

    css = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
    return _CSS_URL.sub(data_uri, css).replace("</style", "<\\/style")


def finish_html(html: str, asset_base: str | None = None, *, allowed_urls: Iterable[str] = ()) -> str:
    """Check `html` has no outside URL, then inline the vendored assets, or link them under `asset_base`.

    `asset_base` is a URL prefix ending in "/" (e.g. "/static/maps/" when the app serves maps/static,
    or "map_files/" for files written beside the page); None makes a self-contained page.
    """
    leaks = external_urls(html, allowed_urls)
    if leaks:
        raise OfflineError(f"map would load from outside: {sorted(set(leaks))[:5]}")
    if asset_base is not None:
        return html.replace(PLACEHOLDER, asset_base)
    html = _SCRIPT.sub(lambda m: "<script>\n" + _read_js(m.group(1)) + "\n</script>", html)
    html = _CSS.sub(lambda m: "<style>\n" + _read_css(m.group(1)) + "\n</style>", html)
    if PLACEHOLDER in html:
        raise OfflineError(f"unreplaced asset placeholder left in the page: {used_assets(html)}")
    return html


def copy_assets(rels: Iterable[str], dest: Path) -> None:
    """Copy the vendored files `rels` (and their images and licences) under `dest`, same layout."""
    for top in sorted({Path(rel).parts[0] for rel in rels}):
        shutil.copytree(STATIC_DIR / top, dest / top, dirs_exist_ok=True)
