"""Camera-side check of WS-Security UsernameToken (PasswordDigest, optionally PasswordText)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
from collections import OrderedDict

from lxml import etree

NS_WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
NS_WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DIGEST = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
TEXT = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """Base64(SHA1(nonce + created + password)), as WS-UsernameToken defines it."""
    return base64.b64encode(hashlib.sha1(nonce + created.encode() + password.encode()).digest()).decode()


def _parse_created(text: str) -> dt.datetime | None:
    try:
        t = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


class NonceCache:
    """Nonces seen recently, so a replayed token is refused like on a real camera."""

    def __init__(self, size: int = 4096) -> None:
        self._seen: OrderedDict[bytes, None] = OrderedDict()
        self._size = size

    def add(self, nonce: bytes) -> bool:
        """Remember `nonce`; False if it was already seen."""
        if nonce in self._seen:
            return False
        self._seen[nonce] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True


def check_token(
    header: etree._Element | None,
    *,
    username: str,
    password: str,
    camera_now: dt.datetime,
    window_s: float,
    accept_text: bool,
    nonces: NonceCache,
    accept_digest: bool = True,
) -> str | None:
    """None when the SOAP header carries a valid token, else why it is refused."""
    if header is None:
        return "no Security header"
    token = header.find(f"{{{NS_WSSE}}}Security/{{{NS_WSSE}}}UsernameToken")
    if token is None:
        return "no UsernameToken"
    user = token.findtext(f"{{{NS_WSSE}}}Username")
    pw = token.find(f"{{{NS_WSSE}}}Password")
    if user != username or pw is None or pw.text is None:
        return "unknown user"
    kind = pw.get("Type", TEXT)
    if kind == TEXT:
        ok = accept_text and hmac.compare_digest(pw.text.encode(), password.encode())
        return None if ok else "PasswordText refused"
    if kind != DIGEST:
        return "unknown password type"
    if not accept_digest:
        return "PasswordDigest refused"
    nonce_text = token.findtext(f"{{{NS_WSSE}}}Nonce")
    created_text = token.findtext(f"{{{NS_WSU}}}Created")
    if not nonce_text or not created_text:
        return "digest without Nonce or Created"
    try:
        nonce = base64.b64decode(nonce_text, validate=True)
    except (binascii.Error, ValueError):
        return "bad Nonce"
    created = _parse_created(created_text)
    if created is None:
        return "bad Created"
    if abs((created - camera_now).total_seconds()) > window_s:
        return "Created too far from the camera clock"
    if not hmac.compare_digest(password_digest(nonce, created_text, password), pw.text.strip()):
        return "wrong digest"
    if not nonces.add(nonce):
        return "replayed nonce"
    return None
