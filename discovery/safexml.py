"""Parse XML from untrusted devices: size-capped, no DTD, no entities, no network."""

from __future__ import annotations

import re

from lxml import etree

#: Large enough for any honest ProbeMatch or ONVIF reply (a GetProfiles of a 16-channel NVR is ~200 KiB).
DEFAULT_MAX_BYTES = 1024 * 1024


class HostileXML(ValueError):
    """The bytes are not acceptable XML; `reason` is a short machine-readable word."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def _parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers are not safe to share between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


_BOM = b"\xef\xbb\xbf"


def strip_preamble(data: bytes) -> bytes:
    """Drop a UTF-8 byte-order mark and whitespace before the first `<`.

    Firmware puts a CRLF before the envelope (https://github.com/home-assistant/core/issues/63399 shows
    replies starting `\\r\\n<env:Envelope`), and UTF-8 encoders may write a BOM; before an XML
    declaration either makes lxml refuse the whole document.
    """
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    stripped = data.lstrip()
    return stripped if stripped.startswith(b"<") else data


_DECLARATION = re.compile(rb"^<\?xml[^>]*\?>\s*")
_HTML_START = re.compile(rb"^<(?:!doctype\s+html|html|head|body)[\s>/]")


def looks_like_html(data: bytes) -> bool:
    """A web page (login form, error page), whatever Content-Type it came with.

    Hikvision's 401 page even starts with an XML declaration and a `<head>` root
    (https://github.com/home-assistant/core/issues/119024).
    """
    head = _DECLARATION.sub(b"", strip_preamble(data[:1024]).lower(), count=1)
    return bool(_HTML_START.match(head))


def parse_untrusted(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Return the root element, or raise HostileXML (too_large, doctype, malformed)."""
    if len(data) > max_bytes:
        raise HostileXML("too_large", f"{len(data)} bytes > limit {max_bytes}")
    data = strip_preamble(data)
    if not data.strip():
        raise HostileXML("malformed", "empty document")
    # Cheap check first; the docinfo check below catches DOCTYPEs hidden by another encoding.
    head = data[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in data.upper():
        raise HostileXML("doctype", "DOCTYPE/ENTITY declarations are refused")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise HostileXML("malformed", str(exc)[:200]) from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise HostileXML("doctype", "DOCTYPE declarations are refused")
    for _ in root.iter(etree.Entity):
        raise HostileXML("doctype", "entity references are refused")
    return root


def text_of(elem: etree._Element | None) -> str:
    """Stripped text of an element ('' when missing)."""
    if elem is None or elem.text is None:
        return ""
    return str(elem.text).strip()
