"""Accounts: password rules, change on first sign-in, sessions ended, administrators' scope, the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from registry.audit.models import AuditEvent
from registry.auth import throttle
from registry.auth.models import Role
from registry.cli import app as cli
from registry.operators.models import Operator
from registry.settings import Settings
from tests.registry.conftest import Person
from tests.registry.page_helpers import csrf_of

PASSWORD = "correct horse battery"
TEMPORARY = "Temporary-Pass-4417"
OWN = "my own quiet harbour 82"


def _new_user(client: TestClient, admin: Person, username: str, password: str = TEMPORARY,
              **fields: Any) -> Any:
    body = {"username": username, "full_name": "赵警官", "role": "intake", "unit_code": "101",
            "password": password, **fields}
    return client.post("/api/v1/auth/users", json=body, headers=admin.headers)


def _token(client: TestClient, username: str, password: str) -> str:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(("password", "says"), [
    ("short1!", "至少 10 个字符"),
    ("woaini1314", "太容易被猜到"),
    ("1234567890", "太容易被猜到"),
    ("zhao_intake", "太容易被猜到"),  # the account's own name
])
def test_password_rules(client: TestClient, make_person: Callable[..., Person], password: str, says: str) -> None:
    admin = make_person(Role.admin, "101")
    response = _new_user(client, admin, "zhao_intake", password)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "password" and says in response.json()["error"]["message"]


def test_an_account_an_administrator_created_must_change_its_password_first(
        client: TestClient, make_person: Callable[..., Person]) -> None:
    admin = make_person(Role.admin, "101")
    created = _new_user(client, admin, "zhao_intake")
    assert created.status_code == 201 and created.json()["must_change_password"] is True
    temporary = _token(client, "zhao_intake", TEMPORARY)
    refused = client.get("/api/v1/filings", headers=_bearer(temporary))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "password_change_required"
    assert client.get("/api/v1/auth/me", headers=_bearer(temporary)).json()["must_change_password"] is True
    wrong = client.post("/api/v1/auth/password", headers=_bearer(temporary),
                        json={"current_password": "not it at all", "new_password": OWN})
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "current_password"
    weak = client.post("/api/v1/auth/password", headers=_bearer(temporary),
                       json={"current_password": TEMPORARY, "new_password": "password123"})
    assert weak.status_code == 422 and weak.json()["error"]["field"] == "new_password"
    changed = client.post("/api/v1/auth/password", headers=_bearer(temporary),
                          json={"current_password": TEMPORARY, "new_password": OWN})
    assert changed.status_code == 200, changed.text
    assert client.get("/api/v1/auth/me", headers=_bearer(temporary)).status_code == 401  # the old token ended
    fresh = _bearer(changed.json()["access_token"])
    assert client.get("/api/v1/filings", headers=fresh).status_code == 200
    assert client.get("/api/v1/auth/me", headers=fresh).json()["must_change_password"] is False


def test_pages_send_such_a_user_to_the_password_page(client: TestClient, make_person: Callable[..., Person]) -> None:
    admin = make_person(Role.admin, "001")
    assert _new_user(client, admin, "qian_super", role="supervisor", unit_code="001").status_code == 201
    signed_in = client.post("/login", data={"username": "qian_super", "password": TEMPORARY, "next": "/maps/city",
                                            "csrf_token": csrf_of(client.get("/login").text)},
                            follow_redirects=False)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/account/password?next=/maps/city"
    home = client.get("/maps/city", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"].startswith("/account/password")
    form = client.get("/account/password?next=/maps/city")
    assert form.status_code == 200 and "管理员设置" in form.text
    token = csrf_of(form.text)
    differ = client.post("/account/password", data={"current_password": TEMPORARY, "new_password": OWN,
                                                    "new_password_again": OWN + "x", "next": "/maps/city",
                                                    "csrf_token": token})
    assert differ.status_code == 422 and "不一致" in differ.text
    done = client.post("/account/password", data={"current_password": TEMPORARY, "new_password": OWN,
                                                  "new_password_again": OWN, "next": "/maps/city",
                                                  "csrf_token": token},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/maps/city"
    assert client.get("/", follow_redirects=False).status_code == 200


def test_disabling_ends_tokens_and_sessions_at_once(client: TestClient, settings: Settings, engine: Engine,
                                                    make_person: Callable[..., Person]) -> None:
    admin = make_person(Role.admin, "101")
    officer = make_person(Role.intake, "101")
    browser = TestClient(client.app)
    assert browser.post("/login", data={"username": officer.user.username, "password": PASSWORD,
                                        "csrf_token": csrf_of(browser.get("/login").text)},
                        follow_redirects=False).status_code == 303
    assert browser.get("/", follow_redirects=False).status_code == 200
    assert client.get("/api/v1/auth/me", headers=officer.headers).status_code == 200
    disabled = client.post(f"/api/v1/auth/users/{officer.user.id}/disable", headers=admin.headers)
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    assert client.get("/api/v1/auth/me", headers=officer.headers).status_code == 401
    assert browser.get("/", follow_redirects=False).headers["location"].startswith("/login")
    refused = client.post("/api/v1/auth/token", data={"username": officer.user.username, "password": PASSWORD})
    assert refused.status_code == 401 and "用户名或密码错误" in refused.json()["error"]["message"]
    assert client.post(f"/api/v1/auth/users/{officer.user.id}/enable", headers=admin.headers).status_code == 200
    assert client.get("/api/v1/auth/me", headers=officer.headers).status_code == 401  # old tokens stay ended
    assert _token(client, officer.user.username, PASSWORD)
    with Session(engine) as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.object_id == str(officer.user.id))
                               .order_by(col(AuditEvent.seq))).all()
    assert "user.disable" in actions and "user.enable" in actions and "auth.sign_in" in actions


def test_changing_the_password_ends_every_other_session(client: TestClient,
                                                        make_person: Callable[..., Person]) -> None:
    officer = make_person(Role.reviewer, "101")
    second = _token(client, officer.user.username, PASSWORD)
    changed = client.post("/api/v1/auth/password", headers=officer.headers,
                          json={"current_password": PASSWORD, "new_password": OWN})
    assert changed.status_code == 200
    for token in (officer.token, second):
        assert client.get("/api/v1/auth/me", headers=_bearer(token)).status_code == 401
    assert client.get("/api/v1/auth/me", headers=_bearer(changed.json()["access_token"])).status_code == 200
    assert client.post("/api/v1/auth/token", data={"username": officer.user.username,
                                                   "password": PASSWORD}).status_code == 401


def test_an_administrator_resets_a_password(client: TestClient, engine: Engine, settings: Settings,
                                            make_person: Callable[..., Person]) -> None:
    admin = make_person(Role.admin, "101")
    officer = make_person(Role.intake, "101")
    with Session(engine) as session:  # the officer had locked themselves out
        keys = {throttle.ACCOUNT: throttle.account_key(officer.user.username)}
        for _ in range(settings.signin_lock_failures):
            throttle.record_failure(session, keys=keys, settings=settings)
        session.commit()
    reset = client.post(f"/api/v1/auth/users/{officer.user.id}/password-reset", headers=admin.headers)
    assert reset.status_code == 200, reset.text
    temporary = reset.json()["temporary_password"]
    assert len(temporary) >= settings.password_min_length and reset.json()["user"]["must_change_password"]
    assert reset.json()["user"]["locked_until"] is None
    assert client.get("/api/v1/auth/me", headers=officer.headers).status_code == 401
    token = _token(client, officer.user.username, temporary)
    assert client.get("/api/v1/cameras", headers=_bearer(token)).json()["error"]["code"] == "password_change_required"
    chosen = client.post(f"/api/v1/auth/users/{officer.user.id}/password-reset", headers=admin.headers,
                         json={"password": "qwertyuiop"})
    assert chosen.status_code == 422 and chosen.json()["error"]["field"] == "password"


def test_revoking_tokens(client: TestClient, make_person: Callable[..., Person]) -> None:
    admin = make_person(Role.admin, "001")
    officer = make_person(Role.inspector, "11010101")
    _token(client, officer.user.username, PASSWORD)
    revoked = client.post(f"/api/v1/auth/users/{officer.user.id}/revoke-tokens", headers=admin.headers)
    assert revoked.json() == {"sessions_ended": 2}
    assert client.get("/api/v1/auth/me", headers=officer.headers).status_code == 401


def test_administrators_manage_their_own_unit_only(client: TestClient, make_operator: Callable[..., Operator],
                                                   make_person: Callable[..., Person]) -> None:
    dongcheng_admin = make_person(Role.admin, "101")
    own = [make_person(Role.intake, "101"), make_person(Role.inspector, "11010101"),
           make_person(Role.operator, operator_id=make_operator().id)]
    haidian = make_person(Role.intake, "108")
    listed = client.get("/api/v1/auth/users?limit=500", headers=dongcheng_admin.headers).json()["items"]
    ids = {u["id"] for u in listed}
    assert {p.user.id for p in own} <= ids and haidian.user.id not in ids
    assert all(u["unit_code"] in ("101", "11010101", None) for u in listed)
    for action in ("disable", "unlock", "revoke-tokens", "password-reset"):
        response = client.post(f"/api/v1/auth/users/{haidian.user.id}/{action}", headers=dongcheng_admin.headers)
        assert response.status_code == 404, (action, response.text)
    assert client.get(f"/api/v1/auth/users/{haidian.user.id}", headers=dongcheng_admin.headers).status_code == 404
    city_admin = make_person(Role.admin, "001")
    everyone = {u["id"] for u in client.get("/api/v1/auth/users?limit=500", headers=city_admin.headers).json()["items"]}
    assert haidian.user.id in everyone and ids <= everyone
    # An officer who is not an administrator sees only their own account and manages none.
    mine = client.get("/api/v1/auth/users", headers=own[0].headers).json()["items"]
    assert [u["id"] for u in mine] == [own[0].user.id]
    assert client.post(f"/api/v1/auth/users/{own[0].user.id}/disable", headers=own[0].headers).status_code == 403
    themselves = client.post(f"/api/v1/auth/users/{dongcheng_admin.user.id}/disable", headers=dongcheng_admin.headers)
    assert themselves.status_code == 409


def test_the_command_line(settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch,
                          make_person: Callable[..., Person]) -> None:
    monkeypatch.setenv("CAMREG_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("CAMREG_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    created = runner.invoke(cli, ["users", "create", "sun_admin", "孙管理员", "admin", "--unit", "101"],
                            input=TEMPORARY + "\n")
    assert created.exit_code == 0 and "must be changed" in created.output, created.output
    weak = runner.invoke(cli, ["users", "create", "sun_two", "孙", "intake", "--unit", "101"], input="123456789012\n")
    assert weak.exit_code == 1 and "太容易被猜到" in weak.output
    with Session(engine) as session:
        keys = {throttle.ACCOUNT: throttle.account_key("sun_admin")}
        for _ in range(settings.signin_lock_failures):
            throttle.record_failure(session, keys=keys, settings=settings)
        session.commit()
    listed = json.loads(runner.invoke(cli, ["users", "list", "--json", "--unit", "101"]).stdout)
    sun = next(u for u in listed if u["username"] == "sun_admin")
    assert sun["locked_until"] and sun["must_change_password"]
    assert "unlocked" in runner.invoke(cli, ["users", "unlock", "sun_admin"]).output
    assert "not locked" in runner.invoke(cli, ["users", "unlock", "--address", "192.0.2.9"]).output
    reset = runner.invoke(cli, ["users", "reset-password", "sun_admin"])
    assert reset.exit_code == 0 and "temporary password" in reset.output
    assert runner.invoke(cli, ["users", "revoke-tokens", "sun_admin"]).exit_code == 0
    assert runner.invoke(cli, ["users", "disable", "sun_admin"]).exit_code == 0
    missing = runner.invoke(cli, ["users", "disable", "nobody_here"])
    assert missing.exit_code == 1 and "nobody_here" in missing.output
    with Session(engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.object_type == "user")
                              .order_by(col(AuditEvent.seq))).all()
    assert [e.action for e in events if e.actor == "system"] == [
        "user.create", "user.unlock", "user.password_reset", "user.tokens_revoke", "user.disable"]
