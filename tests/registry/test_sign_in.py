"""Signing in: throttled per account and per address (in the database), locks that end or are lifted, audited."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from registry.app import create_app
from registry.audit.models import AuditEvent
from registry.auth import throttle
from registry.auth.models import Role
from registry.settings import Settings
from registry.timeutil import utcnow
from tests.registry.conftest import Person
from tests.registry.page_helpers import csrf_of

PASSWORD = "correct horse battery"


class Clock:
    """The throttle's idea of now, moved by the test instead of by sleeping."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Smaller thresholds than the defaults (3/10 per account, 20/100 per address) keep each password check
    (Argon2, deliberately slow) few; the rules are the same."""
    return settings.model_copy(update={"signin_free_failures": 2, "signin_lock_failures": 5,
                                       "signin_address_free_failures": 6, "signin_address_lock_failures": 15})


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(throttle, "utcnow", fake)
    return fake


def _token(client: TestClient, username: str, password: str, **kwargs: object) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password}, **kwargs)  # type: ignore[arg-type]
    return response.status_code, {**response.json(), "retry_after": response.headers.get("retry-after")}


def _events(engine: Engine, action: str) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)
                                 .order_by(col(AuditEvent.seq))).all())


def _fail_until_locked(client: TestClient, clock: Clock, username: str, settings: Settings) -> dict:  # type: ignore[type-arg]
    """Wrong passwords, each after its delay: the last answer is the lock."""
    for attempt in range(1, settings.signin_lock_failures + 1):
        status, body = _token(client, username, "wrong password!")
        if attempt < settings.signin_lock_failures:
            assert status == 401, body
            clock.advance(settings.signin_max_delay_seconds)
    assert status == 429 and body["error"]["code"] == "locked", body
    return body


def test_twelve_wrong_then_right_are_not_all_answered(client: TestClient, engine: Engine, settings: Settings,
                                                      clock: Clock, make_person: Callable[..., Person]) -> None:
    officer = make_person(Role.intake, "101")
    answers = [_token(client, officer.user.username, f"wrong guess {i}") for i in range(12)]
    statuses = [status for status, _ in answers]
    free = settings.signin_free_failures
    assert statuses[:free] == [401] * free
    assert set(statuses[free:]) == {429}, statuses
    status, body = _token(client, officer.user.username, PASSWORD)
    assert status == 429 and body["error"]["code"] == "too_many_attempts"
    assert "秒后再试" in body["error"]["message"] and int(body["retry_after"]) >= 1
    # Only the attempts whose password was checked are failures (and audited), each with the client address.
    failed = _events(engine, "auth.sign_in_failed")
    assert len(failed) == free and all(e.client_addr == "testclient" for e in failed)
    assert failed[0].details["username"] == officer.user.username and failed[0].object_id == str(officer.user.id)


def test_the_lock_says_until_when_and_ends(client: TestClient, engine: Engine, settings: Settings, clock: Clock,
                                           make_person: Callable[..., Person]) -> None:
    officer = make_person(Role.reviewer, "101")
    body = _fail_until_locked(client, clock, officer.user.username, settings)
    assert "锁定" in body["error"]["message"] and "北京时间" in body["error"]["message"]
    until = datetime.fromisoformat(body["error"]["details"]["locked_until"])
    assert until == clock.now + timedelta(minutes=settings.signin_lock_minutes)
    assert _events(engine, "auth.locked")[0].details["scope"] == "account"
    clock.advance(settings.signin_lock_minutes * 60 - 5)
    status, body = _token(client, officer.user.username, PASSWORD)
    assert status == 429 and body["error"]["code"] == "locked"  # the right password too, while locked
    clock.advance(10)
    status, body = _token(client, officer.user.username, PASSWORD)
    assert status == 200, body  # the lock ended by itself
    assert _events(engine, "auth.sign_in")[-1].object_id == str(officer.user.id)
    status, _ = _token(client, officer.user.username, "wrong again!")
    assert status == 401  # and the count started again


def test_an_administrator_lifts_the_lock(client: TestClient, settings: Settings, clock: Clock,
                                         make_person: Callable[..., Person]) -> None:
    officer = make_person(Role.intake, "101")
    admin = make_person(Role.admin, "101")
    _fail_until_locked(client, clock, officer.user.username, settings)
    shown = client.get(f"/api/v1/auth/users/{officer.user.id}", headers=admin.headers).json()
    assert shown["locked_until"] is not None
    lifted = client.post(f"/api/v1/auth/users/{officer.user.id}/unlock", headers=admin.headers)
    assert lifted.status_code == 200 and lifted.json()["locked_until"] is None
    clock.advance(settings.signin_max_delay_seconds)  # this desk's address has failures of its own
    assert _token(client, officer.user.username, PASSWORD)[0] == 200


def test_answers_never_tell_whether_the_account_exists(engine: Engine, settings: Settings, clock: Clock,
                                                        make_person: Callable[..., Person]) -> None:
    officer = make_person(Role.intake, "101")
    app = create_app(settings, engine)

    def series(username: str, peer: str) -> list[tuple[int, str, str]]:
        client, out = TestClient(app, client=(peer, 4000)), []
        for i in range(settings.signin_lock_failures * 2 + 4):
            status, body = _token(client, username, "not the password")
            out.append((status, body["error"]["code"], body["error"]["message"][:12]))
            clock.advance(1 if i % 2 else settings.signin_max_delay_seconds)  # some too soon, some not
        return out

    # Different client addresses, so the address throttle of one does not colour the other.
    existing, missing = series(officer.user.username, "192.0.2.1"), series("no_such_officer", "192.0.2.2")
    assert existing == missing and ("locked" in {code for _, code, _ in existing})


def test_an_address_guessing_at_many_accounts_is_slowed_not_the_officers(
        settings: Settings, engine: Engine, clock: Clock, make_person: Callable[..., Person]) -> None:
    officers = [make_person(Role.intake, "101") for _ in range(3)]
    app = create_app(settings, engine)
    attacker = TestClient(app, client=("203.0.113.66", 4000))
    names = [f"guess{i}" for i in range(settings.signin_address_free_failures + 5)]
    names += [o.user.username for o in officers]
    statuses = [_token(attacker, name, "password123456")[0] for name in names]
    free = settings.signin_address_free_failures
    assert statuses[:free] == [401] * free and set(statuses[free:]) == {429}
    # The officers the attacker reached were refused before their passwords were tried: no failures counted.
    desk = TestClient(app, client=("198.51.100.10", 4000))
    for officer in officers:
        assert _token(desk, officer.user.username, PASSWORD)[0] == 200
    # The address itself locks at its threshold; a city administrator can lift it.
    for i in range(settings.signin_address_lock_failures):
        clock.advance(settings.signin_max_delay_seconds)
        status, body = _token(attacker, f"guess-more-{i}", "password123456")
        if status == 429:
            break
    assert body["error"]["code"] == "locked" and body["error"]["details"]["scope"] == "address"
    assert "本机地址" in body["error"]["message"]
    city_admin = make_person(Role.admin, "001")
    lifted = desk.post("/api/v1/auth/unlock-address", json={"address": "203.0.113.66"}, headers=city_admin.headers)
    assert lifted.status_code == 200 and lifted.json() == {"had_failures": True}
    assert _token(attacker, "guess-after", "password123456")[0] == 401


def test_the_count_is_shared_by_every_worker(settings: Settings, engine: Engine, clock: Clock,
                                             make_person: Callable[..., Person]) -> None:
    """Two app instances (as two uvicorn workers would be) on one database see one count."""
    officer = make_person(Role.intake, "101")
    first, second = TestClient(create_app(settings, engine)), TestClient(create_app(settings, engine))
    for _ in range(settings.signin_free_failures):
        assert _token(first, officer.user.username, "wrong password!")[0] == 401
    assert _token(second, officer.user.username, PASSWORD)[0] == 429


def test_concurrent_guesses_are_counted_one_by_one(client: TestClient, engine: Engine, settings: Settings,
                                                   clock: Clock, make_person: Callable[..., Person]) -> None:
    officer = make_person(Role.intake, "101")
    statuses: list[int] = []
    gate = threading.Barrier(12)

    def guess(i: int) -> None:
        gate.wait()
        statuses.append(_token(client, officer.user.username, f"parallel guess {i}")[0])

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses).count(401) == settings.signin_free_failures, statuses
    assert len(_events(engine, "auth.sign_in_failed")) == settings.signin_free_failures


def test_the_login_page_says_what_happened(client: TestClient, settings: Settings, clock: Clock,
                                           make_person: Callable[..., Person]) -> None:
    officer = make_person(Role.supervisor, "001")

    def page(password: str) -> tuple[int, str]:
        token = csrf_of(client.get("/login").text)
        response = client.post("/login", data={"username": officer.user.username, "password": password,
                                               "csrf_token": token})
        return response.status_code, response.text

    for _ in range(settings.signin_free_failures):
        status, text = page("wrong password!")
        assert status == 401 and "密码错误" in text
    status, text = page(PASSWORD)
    assert status == 429 and "秒后再试" in text
    for _ in range(settings.signin_lock_failures):
        clock.advance(settings.signin_max_delay_seconds)
        status, text = page("wrong password!")
    assert status == 429 and "临时锁定" in text and "自动解锁" in text


@pytest.fixture
def proxied(settings: Settings, engine: Engine) -> Iterator[Callable[[str], TestClient]]:
    app = create_app(settings.model_copy(update={"trusted_proxies": ["10.0.0.0/24"]}), engine)
    clients: list[TestClient] = []

    def from_peer(peer: str) -> TestClient:
        clients.append(TestClient(app, client=(peer, 5000)))
        return clients[-1]

    yield from_peer


def test_forwarded_addresses_only_from_trusted_proxies(proxied: Callable[[str], TestClient], engine: Engine,
                                                      make_person: Callable[..., Person]) -> None:
    officer = make_person(Role.intake, "101")
    spoof = {"X-Forwarded-For": "192.0.2.200"}
    assert _token(proxied("10.0.0.5"), officer.user.username, PASSWORD, headers=spoof)[0] == 200
    assert _token(proxied("198.51.100.7"), officer.user.username, PASSWORD, headers=spoof)[0] == 200
    assert [e.client_addr for e in _events(engine, "auth.sign_in")] == ["192.0.2.200", "198.51.100.7"]
    # The throttle counts the forwarded client, not the proxy every officer comes through.
    _token(proxied("10.0.0.5"), "nobody", "wrong password!", headers={"X-Forwarded-For": "192.0.2.201"})
    assert _events(engine, "auth.sign_in_failed")[0].client_addr == "192.0.2.201"
    with Session(engine) as session:
        assert session.get(throttle.SignInThrottle, throttle.address_key("192.0.2.201")) is not None


def test_cookies_are_secure_behind_tls(proxied: Callable[[str], TestClient], settings: Settings, engine: Engine,
                                       make_person: Callable[..., Person]) -> None:
    officer = make_person(Role.supervisor, "001")
    form = {"username": officer.user.username, "password": PASSWORD}

    def cookie(client: TestClient, headers: dict[str, str]) -> str:
        token = csrf_of(client.get("/login", headers=headers).text)
        response = client.post("/login", data={**form, "csrf_token": token}, headers=headers, follow_redirects=False)
        assert response.status_code == 303
        return response.headers["set-cookie"]

    https = {"X-Forwarded-Proto": "https"}
    assert "secure" in cookie(proxied("10.0.0.5"), https).lower()
    assert "secure" not in cookie(proxied("198.51.100.7"), https).lower()  # not a proxy: not believed
    assert "secure" not in cookie(proxied("10.0.0.5"), {}).lower()
    forced = TestClient(create_app(settings.model_copy(update={"cookie_secure": True}), engine))
    assert "secure" in cookie(forced, {}).lower()
