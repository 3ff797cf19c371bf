"""Reading our PDFs back as a person would check them: text, fonts, pages, pictures, where the ink is."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from tests.conftest import skip_or_fail


def text(pdf: bytes) -> str:
    """Every page's text with all white space removed (extractors add spaces between Chinese and digits)."""
    reader = PdfReader(io.BytesIO(pdf))
    return "".join("".join(page.extract_text().split()) for page in reader.pages).replace("\u200b", "")


def pages(pdf: bytes) -> int:
    """The page count."""
    return len(PdfReader(io.BytesIO(pdf)).pages)


@dataclass(frozen=True)
class FontInfo:
    """One font of the PDF's font resources."""

    name: str
    embedded: bool
    subset: bool


def fonts(pdf: bytes) -> list[FontInfo]:
    """The fonts the pages use, with whether each is embedded (a font file in its descriptor) and subset."""
    reader = PdfReader(io.BytesIO(pdf))
    found: dict[str, FontInfo] = {}
    for page in reader.pages:
        resources: Any = page.get("/Resources") or {}
        for ref in (resources.get("/Font") or {}).values():
            font = ref.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            name = str(font["/BaseFont"]).lstrip("/")
            embedded = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            found[name] = FontInfo(name, embedded, bool(re.match(r"^[A-Z]{6}\+", name)))
    return list(found.values())


def _poppler(tool: str) -> str:
    return _poppler_or(tool, "poppler-utils")


def _poppler_or(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        skip_or_fail(f"{tool} (Debian {package}) is not installed; ./dev test installs it")
    return path


def to_png(pdf: bytes, directory: Path, stem: str, dpi: int = 60) -> list[Path]:
    """Each page as a PNG (pdftoppm), kept in the directory so a failing layout can be looked at."""
    directory.mkdir(parents=True, exist_ok=True)
    source = directory / f"{stem}.pdf"
    source.write_bytes(pdf)
    subprocess.run([_poppler("pdftoppm"), "-r", str(dpi), "-png", str(source), str(directory / stem)], check=True)
    return sorted(directory.glob(f"{stem}-*.png"))


@dataclass(frozen=True)
class Word:
    """A word and its box in points, from the top-left of its page."""

    page: int
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


def words(pdf: bytes, directory: Path) -> tuple[float, float, list[Word]]:
    """Page size and every word's box (pdftotext -bbox), to check that nothing runs off the page."""
    source = directory / "words.pdf"
    source.write_bytes(pdf)
    html = subprocess.run([_poppler("pdftotext"), "-bbox", str(source), "-"], check=True, capture_output=True,
                          text=True).stdout
    size = re.search(r'<page width="([\d.]+)" height="([\d.]+)">', html)
    assert size, html[:500]
    found: list[Word] = []
    for number, page in enumerate(html.split("<page ")[1:], start=1):
        for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
                             page):
            found.append(Word(number, m.group(5), *(float(m.group(i)) for i in range(1, 5))))
    return float(size.group(1)), float(size.group(2)), found


def qr_codes(pdf: bytes, directory: Path) -> list[str]:
    """The QR codes on the first page, read from a 150 dpi picture by zbarimg as a phone camera would."""
    picture = to_png(pdf, directory, "scan", dpi=150)[0]
    result = subprocess.run([_poppler_or("zbarimg", "zbar-tools"), "--quiet", "--raw", str(picture)],
                            capture_output=True, text=True)
    return [line for line in result.stdout.splitlines() if line]
