"""schemathesis over every API route in the OpenAPI, as a city administrator and as an operator.

Fails on any 5xx, any status the route does not declare, any answer that does not match its declared
schema or media type. Routes are read from the app's own OpenAPI, so a new route is fuzzed as soon as
it is in the schema; pages (include_in_schema=False) are not. Examples per route are bounded
(CAMREG_FUZZ_EXAMPLES, default 50) so the run takes about a minute on two cores.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from discovery.models import Device, FoundBy, Status
from discovery.report import build_report
from registry.app import API_PREFIX, create_app
from registry.auth import service as auth_service
from registry.auth.models import Role, UserCreate
from registry.auth.scope import CITY_UNIT
from registry.db import make_engine
from registry.responses import ERROR_REF
from registry.settings import Settings
from tests.registry.conftest import DONGCHENG_POINT, operator_data

FUZZ_EXAMPLES = int(os.environ.get("CAMREG_FUZZ_EXAMPLES", "50"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class FuzzTarget:
    """The app under test, the two users who fuzz it, and ids of objects that exist."""

    app: Any
    engine: Engine
    tokens: dict[str, str]  # role -> bearer token
    known_ids: dict[str, int]
    user_ids: dict[str, int]  # bearer token -> its user's id

    def headers(self, *, logout: bool = False) -> list[dict[str, str]]:
        """Each role's Authorization header; a fresh token for logout, which ends the token it is sent with."""
        tokens = list(self.tokens.values())
        if logout:
            with Session(self.engine) as session:
                users = [auth_service.user_for_token(session, token=t) for t in tokens]
                tokens = [auth_service.issue_token(session, user=u, ttl_hours=1)[0] for u in users]
                session.commit()
        return [{"Authorization": f"Bearer {t}"} for t in tokens]

    def restore_users(self) -> None:
        """Undo what the account routes may have done to the fuzzing users themselves (fuzzed ids are small
        integers, theirs among them): enabled again, no password change pending, their tokens back."""
        from registry.auth.models import ApiToken, User

        with Session(self.engine) as session:
            for token in self.tokens.values():
                digest = auth_service._token_digest(token)
                row = session.get(ApiToken, digest)
                user_id = row.user_id if row else self.user_ids[token]
                user = session.get(User, user_id)
                assert user is not None
                user.active, user.must_change_password = True, False
                session.add(user)
                if row is None:
                    session.add(ApiToken(token_hash=digest, user_id=user_id,
                                         expires_at=datetime.now(UTC) + timedelta(hours=2)))
            session.commit()


def _token(session: Session, role: Role, unit_code: str | None = None, operator_id: int | None = None) -> str:
    user = auth_service.create(session, data=UserCreate(
        username=f"fuzz-{role.value}-{unit_code or operator_id}", full_name=f"模糊测试 {role.value}", role=role,
        unit_code=unit_code, operator_id=operator_id, password="correct horse battery"))
    token, _ = auth_service.issue_token(session, user=user, ttl_hours=2)
    return token


def _scan() -> bytes:
    """A sealed scan report of one camera of the seeded site."""
    device = Device(address="192.0.2.1", endpoint_uuid="urn:uuid:fuzz-1", manufacturer="Hikvision", model="DS-2CD2T47",
                    serial="SN00001", macs=["00:11:22:33:44:01"], found_by=[FoundBy.SWEEP], status=Status.OK)
    report = build_report(devices=[device], started=datetime.now(UTC), seconds=1.0, networks=["192.0.2.0/24"],
                          interfaces=[{"name": "lo", "address": "127.0.0.1"}], methods=["sweep"], options={}, notes=[])
    return json.dumps(report).encode()


def _seed(client: TestClient, session: Session, admin: str) -> tuple[dict[str, str], dict[str, int]]:
    """Operators, a filed filing with coded cameras and an open one, so routes find something to answer."""
    from registry.actor import Actor
    from registry.operators import service as operators_service

    admin_user = auth_service.user_for_token(session, token=admin)
    operator = operators_service.create(session, actor=Actor(admin_user, "127.0.0.1"), data=operator_data(1))
    operators_service.create(session, actor=Actor(admin_user, "127.0.0.1"), data=operator_data(2))
    assert operator.id is not None
    tokens = {"operator": _token(session, Role.operator, operator_id=operator.id),
              "intake": _token(session, Role.intake, "101"), "reviewer": _token(session, Role.reviewer, "101"),
              "station": _token(session, Role.inspector, operator.verifying_unit_code)}
    session.commit()

    def call(who: str, method: str, path: str, **kwargs: Any) -> Any:
        response = client.request(method, API_PREFIX + path, headers={"Authorization": f"Bearer {tokens[who]}"},
                                  **kwargs)
        assert response.status_code < 300, response.text
        return response.json()

    known: dict[str, int] = {"operator_id": operator.id}
    for filed in (True, False):
        form = {"operator_id": operator.id, "system_name": "酒店视频监控系统", "system_location": "东城区测试路1号",
                "system_in_use_date": (date.today() - timedelta(days=10)).isoformat(),
                "acceptance_date": (date.today() - timedelta(days=12)).isoformat(), "retention_days": 30,
                "camera_count_declared": 2, "camera_types_declared": "枪机×2"}
        fid = call("operator", "POST", "/filings", json=form)["id"]
        for kind in ("form", "location_diagram", "deployment_map"):
            material = call("operator", "POST", f"/filings/{fid}/materials", data={"kind": kind},
                            files={"file": ("plan.png", PNG, "image/png")})
        cameras = [{"name": f"大堂{n}", "position_text": f"一层大堂{n}", "lon": DONGCHENG_POINT[0] + n * 1e-4,
                    "lat": DONGCHENG_POINT[1], "serial": f"SN{n:05d}", "mac": f"00:11:22:33:44:{n:02x}",
                    "ip": f"192.0.2.{n}", "map_material_id": material["id"], "map_page": 1, "map_x": 10 * n,
                    "map_y": 10} for n in (1, 2)]
        camera = call("operator", "POST", f"/filings/{fid}/cameras", json=cameras)[0]
        if filed:
            call("intake", "POST", f"/filings/{fid}/accept")
            call("station", "POST", f"/filings/{fid}/verifications", json={"result": "matches", "notes": ""})
            call("reviewer", "POST", f"/filings/{fid}/review")
            known.update(filing_id=fid, material_id=material["id"], camera_id=camera["id"])
            scan = call("intake", "POST", f"/filings/{fid}/scans", files={"file": ("scan.json", _scan(), "text/json")})
            known["scan_id"] = scan["id"]
    return tokens, known


@pytest.fixture(scope="module")
def fuzz_target(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    """One app on a SQLite registry with data, shared by every route's fuzz test (they only add to it)."""
    data_dir = tmp_path_factory.mktemp("fuzz")
    shutil.copy(sqlite_template, data_dir / "camreg.sqlite3")
    app_settings = Settings(data_dir=data_dir)
    engine = make_engine(app_settings)
    app = create_app(app_settings, engine)
    with TestClient(app) as client, Session(engine, expire_on_commit=False) as session:
        admin = _token(session, Role.admin, CITY_UNIT)
        session.commit()
        tokens, known_ids = _seed(client, session, admin)
        fuzzing = {"admin": admin, "operator": tokens["operator"]}
        user_ids = {t: int(auth_service.user_for_token(session, token=t).id or 0) for t in fuzzing.values()}
        session.commit()  # end the read: on SQLite it holds the write lock
        yield FuzzTarget(app, engine, fuzzing, known_ids, user_ids)
    engine.dispose()


def _openapi() -> dict[str, Any]:
    """The OpenAPI of the app as built for production (no database is touched to describe it)."""
    return create_app(Settings(database_url="sqlite://"), create_engine("sqlite://")).openapi()


# Read when the module is collected, so each route is its own test (and xdist spreads them).
SCHEMA = schemathesis.openapi.from_dict(_openapi())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def _strategy(operation: Any, known_ids: dict[str, int]) -> st.SearchStrategy[Any]:
    """Valid requests, invalid ones, and valid ones aimed at objects that exist."""
    strategies = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
    names = {p.name for p in operation.path_parameters}
    if names and names <= known_ids.keys():
        strategies.append(operation.as_strategy(path_parameters={n: known_ids[n] for n in names}))
    return st.one_of(strategies)


def test_every_route_declares_its_errors_in_the_one_shape() -> None:
    """Each operation declares 503, 422 if it takes input, 401 if it needs a token, all as ErrorResponse JSON."""
    openapi = _openapi()
    assert len(OPERATIONS) > 30 and f"{API_PREFIX}/cameras" in openapi["paths"]
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            where = f"{method.upper()} {path}"
            answers = operation["responses"]
            errors = {int(s): r for s, r in answers.items() if int(s) >= 400}
            assert 503 in errors, where
            if operation.get("parameters") or operation.get("requestBody"):
                assert 422 in errors, where
            if operation.get("security"):
                assert 401 in errors, where
            for status, answer in errors.items():
                assert answer["content"] == {"application/json": {"schema": {"$ref": ERROR_REF}}}, (where, status)


@pytest.mark.slow
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_api_answers_as_documented(operation: Any, fuzz_target: FuzzTarget) -> None:
    """Generated requests, each sent as both roles: no 5xx, only declared statuses, bodies match their schemas."""

    @given(case=_strategy(operation, fuzz_target.known_ids))
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        for headers in fuzz_target.headers(logout=operation.path.endswith("/auth/logout")):
            case.call_and_validate(headers=headers, checks=CHECKS, app=fuzz_target.app)
            if "/auth/users/" in operation.path:
                fuzz_target.restore_users()

    run()
