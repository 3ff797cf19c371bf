"""Typst renders a kind's template with its data into a PDF: A4, Noto Serif CJK embedded, deterministic.

Data goes in as one JSON string (`sys.inputs.data`), never spliced into markup, so an operator's name
cannot inject Typst code. The template sets no date and the compiler sees only our fonts and our
templates, so the same data gives the same bytes in any process (a reprint is byte-identical).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import segno
import typst

from registry.documents.kinds import DocumentData, DocumentKind
from registry.errors import Unavailable

TEMPLATES_DIR = Path(__file__).parent / "templates"
# Body and titles are set in Noto Serif CJK SC (思源宋体): regular and bold.
REQUIRED_FAMILY = "Noto Serif CJK SC"


@dataclass(frozen=True)
class Verification:
    """What an issued document prints so anyone can check it: a QR code of the URL and a typeable code."""

    token: str
    short_code: str
    url: str
    lookup_url: str

    @property
    def short_code_display(self) -> str:
        """The short code in groups of four, as printed and typed."""
        return "-".join(self.short_code[i : i + 4] for i in range(0, len(self.short_code), 4))


def qr_svg(text: str) -> str:
    """A QR code (error correction M) as an SVG document, vector in the PDF."""
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="svg", border=0, scale=10, xmldecl=False, dark="#000")
    return buffer.getvalue().decode()


class Renderer:
    """One per font folder: the parsed fonts are shared; each render gets its own compiler (they are not
    thread-safe, and the compile itself runs without the GIL)."""

    def __init__(self, font_dir: Path) -> None:
        self.font_dir = font_dir
        if not font_dir.is_dir():
            raise _font_missing(font_dir)
        self._fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(font_dir)])
        if REQUIRED_FAMILY not in self._fonts.families():
            raise _font_missing(font_dir)

    def render(self, kind: DocumentKind, data: DocumentData, *, verification: Verification | None = None) -> bytes:
        """The PDF of this kind for this data (issued kinds need their verification block)."""
        if not isinstance(data, kind.data_model):
            raise TypeError(f"{kind.name} takes {kind.data_model.__name__}, not {type(data).__name__}")
        if kind.issued and verification is None:
            raise ValueError(f"{kind.name} is an issued kind: it needs its verification block")
        payload: dict[str, Any] = {"title": kind.title, "doc": data.model_dump(mode="json")}
        if verification is not None:
            payload["verify"] = {"short_code": verification.short_code_display, "url": verification.url,
                                 "lookup_url": verification.lookup_url, "qr_svg": qr_svg(verification.url)}
        compiler = typst.Compiler(str(TEMPLATES_DIR / kind.template), root=str(TEMPLATES_DIR),
                                  font_paths=self._fonts, ignore_system_fonts=True)
        inputs = {"data": json.dumps(payload, ensure_ascii=False, sort_keys=True)}
        try:
            # Untagged: the structure tree made a 1,000-camera review form 1.1 MB instead of 0.13 MB.
            pdf, warnings = compiler.compile_with_warnings(format="pdf", pdf_tags=False, sys_inputs=inputs)
        except typst.TypstError as exc:  # a template bug or data it cannot lay out: the message says where
            raise RuntimeError(f"{kind.template}: {exc.message}\n{exc.diagnostic}") from exc
        missing_font = [w.message for w in warnings if "font" in w.message]
        if missing_font:
            raise _font_missing(self.font_dir, "; ".join(missing_font))
        assert isinstance(pdf, bytes)
        return pdf


def _font_missing(font_dir: Path, detail: str = "") -> Unavailable:
    return Unavailable(f"未找到中文字体 {REQUIRED_FAMILY}，无法生成文书；请安装 fonts-noto-cjk / the CJK font "
                       f"{REQUIRED_FAMILY} is not in {font_dir}: install Debian's fonts-noto-cjk (./dev does) or "
                       f"set CAMREG_FONT_DIR {detail}".strip(), field="font_dir")


@lru_cache(maxsize=4)
def renderer(font_dir: Path) -> Renderer:
    """The process's renderer for a font folder (fonts are parsed once)."""
    return Renderer(font_dir)


def render(kind: DocumentKind, data: DocumentData, *, font_dir: Path,
           verification: Verification | None = None) -> bytes:
    """Render with the process's renderer for this font folder."""
    return renderer(font_dir).render(kind, data, verification=verification)

