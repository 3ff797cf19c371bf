"""Parse XML from untrusted devices: size-capped, no DTD, no entities, no network."""

from __future__ import annotations

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


def parse_untrusted(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Return the root element, or raise HostileXML (too_large, doctype, malformed)."""
    if len(data) > max_bytes:
        raise HostileXML("too_large", f"{len(data)} bytes > limit {max_bytes}")
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
