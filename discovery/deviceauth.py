"""Trying an inspector's credential pairs on one device without locking its account.

Cameras lock an account after a few failed logins — Hikvision for 30 minutes
(https://github.com/evercam/evercam-server/issues/91), IMOU/Dahua counting down "You still have 5
attempt(s)" (https://github.com/home-assistant/core/issues/147404) — so every request that carries a
password counts as a try, and a device gets at most `max_tries` of them (default 3, below the smallest
lock threshold reported, leaving the inspector a manual try). Requests without a password (the clock,
reads after every pair failed) do not count: no camera can hold them against an account.

Order of tries, cheapest first:

1. each pair with a WS-UsernameToken PasswordDigest dated by the camera's clock; once the camera has sent
   an HTTP Digest challenge, every later request also answers it (cameras in "digest" mode ignore the
   token: https://github.com/home-assistant/core/issues/98538, https://github.com/agsh/onvif/issues/294);
2. a pair whose token drew the camera's first Digest challenge, once more answering that challenge, after
   the other pairs: in "digest&ws-username" mode (Hikvision's) the first 401 already refused that pair, so
   its retry is the least likely to succeed — a camera that accepts only HTTP Digest, with the right pair
   listed first, therefore needs one try more than there are pairs (an anonymous first request would learn
   the scheme for free, but slowed identification of a whole site by a fifth);
3. only with `password_text`: each pair as PasswordText, which crosses the network in clear text
   (https://github.com/blakeblackshear/frigate/pull/23365) — so never without the inspector's say-so.

A refusal moves on to the next pair; so does a Sender fault without any reason (Reolink's answer to a
wrong password); a camera that says its account is locked gets no further tries; any other failure ends
the loop with its own status.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from discovery.calls import TOLERATED, DeviceSession, auth_kind, status_of
from discovery.credentials import Credential
from discovery.models import Status
from discovery.onvifclient import AuthRefused, UsernameToken

DEFAULT_MAX_TRIES = 3


@dataclass
class AuthResult:
    """How authentication on one device ended."""

    status: Status
    error: str = ""
    credential: Credential | None = None
    service: Any = None  # device service proxy signing with the token that got an answer
    info: Any = None  # the GetDeviceInformation reply, when there was one
    tries: int = 0  # requests that carried a password
    scheme: str = ""  # how the accepted request authenticated, for the report


def _scheme(token: UsernameToken | None, http: bool) -> str:
    parts = [] if token is None else ["ws-text" if token.text else "ws-digest"]
    return "+".join([*parts, "http-digest"] if http else parts) or "none"


def authenticate(
    session: DeviceSession,
    credentials: Sequence[Credential],
    *,
    max_tries: int = DEFAULT_MAX_TRIES,
    password_text: bool = False,
) -> AuthResult:
    """Call GetDeviceInformation with each pair in turn (see the module docstring); never raises."""
    if not credentials:
        return _anonymous(session)
    queue: list[tuple[Credential, bool]] = [(c, False) for c in credentials]
    retried: set[Credential] = set()
    tries, suspect, basic_only, locked, i = 0, False, False, "", 0
    while True:
        if i == len(queue) and password_text and not any(text for _, text in queue):
            queue += [(c, True) for c in credentials]
        if i == len(queue) or locked:
            break
        if tries >= max_tries:
            untried = len({c for c, _ in queue[i:]} - {c for c, _ in queue[:i]})
            message = _budget_message(tries, max_tries, untried, len(queue) - i, suspect)
            session.http.credential = None
            return AuthResult(Status.AUTH_FAILED, message, tries=tries)
        cred, text = queue[i]
        i += 1
        token = UsernameToken(cred, session.offset, text=text)
        session.http.credential = cred
        carried = session.http.ready()
        service = session.service("device", token)
        tries += 1
        try:
            info = service.GetDeviceInformation()
        except TOLERATED as exc:
            kind = auth_kind(exc)
            if kind is None:
                status, err = status_of(exc)
                # A fault that is not about credentials got past authentication: the reads may still work.
                keep = service if status is Status.SOAP_FAULT else None
                session.token = token if keep else None
                return AuthResult(status, f"GetDeviceInformation: {err}", cred, keep, tries=tries)
            suspect = suspect or kind == "suspect"
            if kind == "locked":
                locked = str(exc)
            if isinstance(exc, AuthRefused):
                basic_only = basic_only or exc.basic_only
                if exc.digest and not exc.carried and cred not in retried:
                    retried.add(cred)
                    queue.insert(_end_of_round(queue, text), (cred, text))
            continue
        session.token = token
        return AuthResult(Status.OK, "", cred, service, info, tries, _scheme(token, carried))
    session.http.credential = None  # later anonymous reads must not repeat a refused password
    return AuthResult(Status.AUTH_FAILED, _refusal_message(len(credentials), tries, suspect, basic_only, locked),
                      tries=tries)


def _end_of_round(queue: list[tuple[Credential, bool]], text: bool) -> int:
    """Where a retry of this round goes: after the round's own pairs, before any PasswordText round."""
    return next((n for n, (_, t) in enumerate(queue) if t and not text), len(queue))


def _anonymous(session: DeviceSession) -> AuthResult:
    service = session.service("device", None)
    try:
        info = service.GetDeviceInformation()
    except TOLERATED as exc:
        status, err = status_of(exc)
        if auth_kind(exc):
            return AuthResult(Status.AUTH_FAILED, "authentication required and no credentials were given for "
                                                  "this network")
        return AuthResult(status, f"GetDeviceInformation: {err}", None, service if status is Status.SOAP_FAULT
                          else None)
    return AuthResult(Status.OK, "", None, service, info, 0, "none")


def _tries(n: int) -> str:
    return f"{n} {'try' if n == 1 else 'tries'}"


def _budget_message(tries: int, limit: int, untried: int, remaining: int, suspect: bool) -> str:
    left = f"{untried} pair(s) not tried" if untried else f"{remaining} planned retr(y/ies) not made"
    text = (f"stopped after {_tries(tries)}, the limit per device (--max-auth-tries {limit}), so as not to lock "
            f"the camera's account; {left}")
    return text + (_SUSPECT if suspect else "")


_SUSPECT = ("; it answered with a SOAP Sender fault without reason, which some firmware (Reolink) sends for "
            "a wrong password")


def _refusal_message(pairs: int, tries: int, suspect: bool, basic_only: bool, locked: str) -> str:
    if locked:
        return f"the camera reports its account locked ({locked}); no further pairs tried ({_tries(tries)})"
    text = f"none of the {pairs} credential pair(s) for this network was accepted ({_tries(tries)})"
    if suspect:
        text += _SUSPECT
    if basic_only:
        text += "; it asks for HTTP Basic, which would send the password in clear text: not used"
    return text
