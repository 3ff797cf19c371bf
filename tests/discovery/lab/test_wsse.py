"""Camera-side WS-UsernameToken checks."""

from __future__ import annotations

import base64
import datetime as dt

from lxml import etree
from zeep.wsse.username import UsernameToken

from discovery.lab.wsse import DIGEST, NS_WSSE, NS_WSU, TEXT, NonceCache, check_token, password_digest

NOW = dt.datetime(2026, 5, 1, 12, 0, 0, tzinfo=dt.UTC)


def header(
    user: str, password: str, created: str, nonce: bytes = b"0123456789abcdef", kind: str = DIGEST
) -> etree._Element:
    value = password_digest(nonce, created, password) if kind == DIGEST else password
    xml = (
        f'<h xmlns:wsse="{NS_WSSE}" xmlns:wsu="{NS_WSU}"><wsse:Security><wsse:UsernameToken>'
        f'<wsse:Username>{user}</wsse:Username><wsse:Password Type="{kind}">{value}</wsse:Password>'
        f"<wsse:Nonce>{base64.b64encode(nonce).decode()}</wsse:Nonce><wsu:Created>{created}</wsu:Created>"
        "</wsse:UsernameToken></wsse:Security></h>"
    )
    return etree.fromstring(xml)


def check(
    h: etree._Element | None, *, now: dt.datetime = NOW, text: bool = False, nonces: NonceCache | None = None
) -> str | None:
    return check_token(
        h, username="admin", password="pw", camera_now=now, window_s=10, accept_text=text, nonces=nonces or NonceCache()
    )


def test_tokens_made_by_zeep_are_accepted() -> None:
    # zeep is what onvif-zeep signs with: an independent implementation of the same formula.
    def signed(password: str) -> etree._Element | None:
        env = etree.fromstring(
            '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/><s:Body/></s:Envelope>'
        )
        token = UsernameToken("admin", password, use_digest=True, created=NOW.replace(tzinfo=None))
        env, _ = token.apply(env, {})
        return env.find("{http://www.w3.org/2003/05/soap-envelope}Header")

    assert check(signed("pw")) is None
    assert check(signed("pw2")) == "wrong digest"


def test_valid_token_passes_and_its_nonce_cannot_be_replayed() -> None:
    nonces = NonceCache()
    h = header("admin", "pw", "2026-05-01T12:00:03Z")
    assert check(h, nonces=nonces) is None
    assert check(h, nonces=nonces) == "replayed nonce"


def test_wrong_password_user_or_missing_token() -> None:
    assert check(header("admin", "nope", "2026-05-01T12:00:00Z")) == "wrong digest"
    assert check(header("root", "pw", "2026-05-01T12:00:00Z")) == "unknown user"
    assert check(None) == "no Security header"


def test_created_is_judged_by_the_camera_clock() -> None:
    h = header("admin", "pw", "2026-05-01T12:00:30Z")
    assert check(h) == "Created too far from the camera clock"
    assert check(h, now=NOW + dt.timedelta(seconds=28)) is None  # a camera 28 s fast accepts it


def test_password_text_only_where_the_style_accepts_it() -> None:
    h = header("admin", "pw", "2026-05-01T12:00:00Z", kind=TEXT)
    assert check(h) == "PasswordText refused"
    assert check(h, text=True) is None
