"""Deployment maps (布防图) as page images: the frame cameras are placed in, and PDF pages rendered once.

A camera's position on its map is (material, page, x, y) in the page's *frame*: for an image, its
pixels as a browser shows it (EXIF rotation applied); for a PDF page, its size in PDF points times
FRAME_SCALE (144 dpi). The frame never depends on how large the page is drawn, so a position stays
right whatever size the server renders or the browser shows. PDF pages are rendered with PDFium
(pypdfium2) at most once per (SHA-256, page) and kept beside the materials.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from registry.errors import NotFound
from registry.filings import materials
from registry.settings import Settings

FRAME_SCALE = 2.0  # frame pixels per PDF point
MAX_SIDE = 2400  # longest side of a rendered page image, pixels
MAX_PAGES = 500
RENDER_VERSION = "1"  # part of the cache name: a change of rendering makes new files
# PDFium is not thread-safe: one document call at a time in this process.
_PDFIUM = threading.Lock()
_EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class Frame:
    """The coordinate frame of one page of a map: x to the right, y down, from the top-left corner."""

    page: int
    width: int
    height: int


def _pdf_frames(path: Path) -> tuple[Frame, ...]:
    import pypdfium2 as pdfium

    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError:
            return ()  # not a readable PDF: no page to place on (uploads through the pages are checked)
        try:
            frames = []
            for index in range(min(len(document), MAX_PAGES)):
                page = document[index]
                width, height = page.get_size()  # as shown: the page's own rotation applied
                frames.append(Frame(index + 1, max(1, round(width * FRAME_SCALE)), max(1, round(height * FRAME_SCALE))))
                page.close()
            return tuple(frames)
        finally:
            document.close()


def _image_frame(path: Path) -> tuple[Frame, ...]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            width, height = image.size
            orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return ()  # a PNG or JPEG signature on bytes that do not decode: a map with no page to place on
    if orientation in (5, 6, 7, 8):  # browsers show such JPEGs turned a quarter: so is the frame
        width, height = height, width
    return (Frame(1, width, height),)


@lru_cache(maxsize=256)
def _frames(path: Path, mime: str) -> tuple[Frame, ...]:
    return _pdf_frames(path) if mime == "application/pdf" else _image_frame(path)


def frames(materials_dir: Path, sha256: str, mime: str) -> tuple[Frame, ...]:
    """Every page's frame of a stored map, up to MAX_PAGES; none if it does not decode (read once per process:
    the bytes under a digest never change)."""
    return _frames(materials.path_for(materials_dir, sha256), mime)  # missing or unreadable: no page


def frame(materials_dir: Path, sha256: str, mime: str, page: int) -> Frame:
    """One page's frame, or a 404 naming the page."""
    pages = frames(materials_dir, sha256, mime)
    if not 1 <= page <= len(pages):
        raise NotFound(f"布防图没有第 {page} 页 / the map has no page {page}")
    return pages[page - 1]


def cache_dir(settings: Settings) -> Path:
    """Where rendered pages are kept (a cache: safe to delete, rebuilt on demand)."""
    return settings.data_dir / "map_pages"


def page_image(settings: Settings, sha256: str, mime: str, page: int) -> tuple[Path, str]:
    """The image to show for a page and its media type: an image as stored, a PDF page rendered once."""
    materials_dir = settings.materials_dir
    source = materials.stored_path(materials_dir, sha256, "布防图")
    if mime != "application/pdf":
        if page != 1:
            raise NotFound(f"图片只有一页 / an image has one page, not {page}")
        return source, mime
    frame(materials_dir, sha256, mime, page)
    target = cache_dir(settings) / sha256[:2] / f"{sha256}-p{page}-r{RENDER_VERSION}.png"
    if not target.exists():
        _render(source, page, target)
    return target, "image/png"


def _render(source: Path, page: int, target: Path) -> None:
    """Render one PDF page to PNG, written beside the target and renamed (never a half-written file)."""
    import pypdfium2 as pdfium

    with _PDFIUM:
        document = pdfium.PdfDocument(str(source))
        try:
            pdf_page = document[page - 1]
            width, height = pdf_page.get_size()
            scale = min(FRAME_SCALE, MAX_SIDE / max(width, height, 1.0))
            image = pdf_page.render(scale=scale, fill_color=(255, 255, 255, 255)).to_pil()
            pdf_page.close()
        finally:
            document.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".render-")
    try:
        with os.fdopen(fd, "wb") as handle:
            image.save(handle, format="PNG", optimize=False)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
