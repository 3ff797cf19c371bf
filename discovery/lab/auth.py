"""Who may call what on a simulated camera: WS-UsernameToken and HTTP Digest checks, the account lock, and
how each vendor style says no."""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import random
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from lxml import etree
from requests.utils import parse_dict_header

from discovery.lab import events, soap
from discovery.lab.model import DeviceSpec, FleetSpec
from discovery.lab.wsse import NonceCache, check_token

#: The page Hikvision firmware sends with a 401 (https://github.com/home-assistant/core/issues/119024).
HIK_401_PAGE = (
    b"<?xml version='1.0' encoding='utf-8'?>\n<head><title>Unauthorized</title></head>"
    b"<body><h2>Access Error: 401 -- Unauthorized</h2><pre/></body>"
)
PLAIN_401_PAGE = b"<html><head><title>401 Unauthorized</title></head><body>401 Unauthorized</body></html>"
ANONYMOUS_READS = frozenset({"GetScopes", "GetNetworkInterfaces"})


@dataclass
class HttpAnswer:
    """Status, body, content type and extra headers of one HTTP reply."""

    status: int
    body: bytes
    ctype: str
    headers: dict[str, str] = field(default_factory=dict)


def _hash(algorithm: str, text: str) -> str:
    name = "sha256" if algorithm.upper().startswith("SHA-256") else "md5"
    return hashlib.new(name, text.encode(), usedforsecurity=False).hexdigest()


class AuthGate:
    """One camera's authentication: accepted schemes, failed-login count and lock, refusals in its style."""

    def __init__(self, dev: DeviceSpec, fleet: FleetSpec, log: events.EventLog) -> None:
        self.dev = dev
        self.fleet = fleet
        self.log = log
        self.nonces = NonceCache()
        self.rng = random.Random(f"{fleet.seed}:{dev.id}:auth")
        self.http_nonces: OrderedDict[str, None] = OrderedDict()
        self.failures = 0
        self.locked_until = 0.0
        self.realm = f"IP Camera({dev.serial[-5:]})"
        self.algorithm = "SHA-256" if "http_digest_only" in dev.quirks else "MD5"

    @property
    def pre_auth(self) -> frozenset[str]:
        """Operations this camera answers without credentials."""
        ops = self.dev.style.pre_auth
        if "anonymous_reads" in self.dev.quirks:
            ops |= ANONYMOUS_READS
        if "clock_needs_auth" in self.dev.quirks:
            ops -= {"GetSystemDateAndTime"}
        return ops

    def verify(
        self, header: etree._Element | None, http: dict[str, str], path: str, now: float
    ) -> tuple[str | None, list[str]]:
        """(None when an accepted scheme authenticates the request, else why not; the schemes it presented:
        "ws-digest", "ws-text", "http-digest" — a presented one that fails is a failed login)."""
        dev, schemes = self.dev, self.dev.auth_schemes
        presented = []
        password = None if header is None else header.find(".//{*}UsernameToken/{*}Password")
        if password is not None:
            presented.append("ws-text" if password.get("Type", "").endswith("#PasswordText") else "ws-digest")
        authorization = http.get("authorization", "")
        if authorization.lower().startswith("digest "):
            presented.append("http-digest")
        if now < self.locked_until:
            return f"account locked for {self.locked_until - now:.0f} s", presented
        reasons = []
        if schemes & {"ws_digest", "ws_text"}:
            why = check_token(
                header, username=dev.username, password=dev.password, camera_now=soap.camera_now(dev, now),
                window_s=self.fleet.auth_window_s, accept_text="ws_text" in schemes,
                accept_digest="ws_digest" in schemes, nonces=self.nonces,
            )
            if why is None:
                return None, presented
            reasons.append(why)
        if "http_digest" in schemes:
            why = self._http_digest(authorization, path)
            if why is None:
                return None, presented
            reasons.append(why)
        return "; ".join(reasons), presented

    def _http_digest(self, authorization: str, path: str) -> str | None:
        if not authorization.lower().startswith("digest "):
            return "no HTTP Digest"
        p = {k.lower(): v or "" for k, v in parse_dict_header(authorization[7:]).items()}
        if p.get("username") != self.dev.username:
            return "HTTP Digest: unknown user"
        if p.get("nonce") not in self.http_nonces or p.get("realm") != self.realm:
            return "HTTP Digest: stale nonce"
        if p.get("uri") != path:  # https://github.com/IOTechSystems/onvif/issues/41: "url does not match"
            return "HTTP Digest: uri does not match the request"
        algorithm = p.get("algorithm") or "MD5"
        ha1 = _hash(algorithm, f"{self.dev.username}:{self.realm}:{self.dev.password}")
        ha2 = _hash(algorithm, f"POST:{p['uri']}")
        if p.get("qop"):
            want = _hash(algorithm, f"{ha1}:{p['nonce']}:{p.get('nc', '')}:{p.get('cnonce', '')}:{p['qop']}:{ha2}")
        else:
            want = _hash(algorithm, f"{ha1}:{p['nonce']}:{ha2}")
        return None if hmac.compare_digest(want, p.get("response", "")) else "HTTP Digest: wrong response"

    def succeeded(self) -> None:
        """A login worked: the failure count starts again."""
        self.failures = 0

    def refuse(self, op: str, reason: str, presented: list[str], client: str, now: float) -> HttpAnswer:
        """Count a failed login (locking the account at the limit) and say no in the camera's style."""
        dev = self.dev
        stale = reason.startswith("HTTP Digest: stale")
        if presented and not stale and now >= self.locked_until:
            self.failures += 1
            if self.fleet.lockout_after and self.failures >= self.fleet.lockout_after:
                self.locked_until = now + self.fleet.lockout_s
                self.log.add(events.LOCKED, dev.id, client=client, failures=self.failures)
        self.log.add(events.AUTH_FAILED, dev.id, op=op, client=client, reason=reason)
        locked = now < self.locked_until
        if "http_digest" in dev.auth_schemes and (
            dev.style.auth_failure == "http401_html" or dev.auth_schemes == {"http_digest"}
        ):
            nonce = f"{self.rng.getrandbits(128):032x}"
            self.http_nonces[nonce] = None
            if len(self.http_nonces) > 1024:
                self.http_nonces.popitem(last=False)
            challenge = (f'Digest realm="{self.realm}", qop="auth", nonce="{nonce}", algorithm={self.algorithm}, '
                         f'stale="{"TRUE" if stale else "FALSE"}"')
            page = HIK_401_PAGE if dev.style.auth_failure == "http401_html" else PLAIN_401_PAGE
            return HttpAnswer(401, page, "text/html", {"WWW-Authenticate": challenge})
        if dev.style.auth_failure == "empty_sender":
            return HttpAnswer(400, soap.fault(dev, "Sender", None, ""), soap.SOAP_CT)
        text = "Sender not Authorized"
        if self.fleet.lockout_after and presented:
            left = max(0, self.fleet.lockout_after - self.failures)
            # IMOU/Dahua wording (https://github.com/home-assistant/core/issues/147404)
            text += (f". The account is locked for {self.locked_until - now:.0f} s" if locked
                     else f". Invalid username or password! You still have {left} attempt(s).")
        declare = "undeclared_fault_prefix" not in dev.quirks
        return HttpAnswer(400, soap.fault(dev, "Sender", "ter:NotAuthorized", text, declare_ter=declare), soap.SOAP_CT)


def http_date(dev: DeviceSpec, now: float | None = None) -> str:
    """The camera's clock as an HTTP Date header (cameras send their own, skewed, time)."""
    return email.utils.formatdate((time.time() if now is None else now) + dev.clock_skew_s, usegmt=True)
