"""One search box for officers: a camera by 20-digit code, serial, MAC or IP; an operator by name or credit code.

The text is read for what it could be (a MAC-looking serial is looked up as both), each lookup goes through
the same scoped service the API uses (registry.cameras.service, registry.operators.service), so a hit in
another unit's area is never found.
"""

from __future__ import annotations

import contextlib
import ipaddress
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from registry.actor import Actor
from registry.cameras import service as cameras
from registry.cameras.models import normalise_mac
from registry.operators import service as operators
from registry.operators.models import Operator

LIMIT = 20
MAX_QUERY = 100


@dataclass
class SearchResult:
    """What a search found, and by which key each camera was found."""

    text: str
    cameras: list[tuple[str, Any]] = field(default_factory=list)  # (key label, camera row)
    operators: list[Operator] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Hits of both kinds."""
        return len(self.cameras) + len(self.operators)

    def only_url(self) -> str | None:
        """The page of the one thing found, when exactly one was found by an exact key (a part of a name lists)."""
        if self.total != 1:
            return None
        if self.cameras:
            return f"/cameras/{self.cameras[0][1].id}"
        operator = self.operators[0]
        exact = self.text.upper() == operator.uscc or self.text == operator.name
        return f"/operators/{operator.id}" if exact else None


def camera_keys(text: str) -> list[tuple[str, str, str]]:
    """(lookup argument, value, Chinese label) for every camera key the text could be."""
    keys: list[tuple[str, str, str]] = []
    if len(text) == 20 and text.isascii() and text.isdigit():
        keys.append(("code", text, "编码"))
    with contextlib.suppress(ValueError):
        keys.append(("ip", str(ipaddress.ip_address(text)), "IP 地址"))
    try:
        mac = normalise_mac(text)
    except ValueError:
        mac = None
    if mac is not None:
        keys.append(("mac", mac, "MAC 地址"))
    keys.append(("serial", text, "序列号"))
    return keys


def find(session: Session, *, actor: Actor, text: str, limit: int = LIMIT) -> SearchResult:
    """Cameras and operators the user may see that the text names."""
    text = text.strip()[:MAX_QUERY]
    result = SearchResult(text=text)
    if not text:
        return result
    seen: set[int] = set()
    for name, value, label in camera_keys(text):
        keys: dict[str, Any] = {name: value}
        for row in cameras.list_visible(session, actor=actor, limit=limit, **keys):
            if row.id not in seen:
                seen.add(row.id)
                result.cameras.append((label, row))
    if not (text.isascii() and text.isdigit() and len(text) == 20):
        result.operators = list(operators.list_visible(session, actor=actor, q=text, limit=limit))
    return result
