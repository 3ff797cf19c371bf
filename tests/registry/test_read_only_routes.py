"""Routes marked read_only: no transaction on PostgreSQL, and a write through one is refused, not stored."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from registry.auth.models import Role, User
from registry.cameras.views import router as cameras_router
from registry.deps import CurrentActor, SessionDep, read_only
from registry.filings.views import router as filings_router
from registry.operators.views import router as operators_router
from tests.registry.conftest import Person


def _in_transaction(session: Session) -> bool:
    """Whether the database connection under the session, after a query, is inside a transaction."""
    session.execute(text("SELECT 1"))
    dbapi = session.connection().connection.dbapi_connection
    if hasattr(dbapi, "info"):  # psycopg: IDLE means no transaction is open
        from psycopg.pq import TransactionStatus

        return bool(dbapi.info.transaction_status != TransactionStatus.IDLE)
    return bool(dbapi.in_transaction)  # sqlite3


def _add_probe_routes(client: TestClient) -> None:
    """Probes alike but for the mark: is a transaction open; write a user's name."""
    app = client.app

    def marked_in_transaction(session: SessionDep) -> bool:
        return _in_transaction(session)

    def plain_in_transaction(session: SessionDep) -> bool:
        return _in_transaction(session)

    def rename(session: SessionDep, actor: CurrentActor) -> str:
        user = session.get(User, actor.user.id)
        assert user is not None
        user.full_name = "renamed by a probe"
        session.flush()
        return user.full_name

    app.get("/probe/marked/in-transaction")(read_only(marked_in_transaction))  # type: ignore[attr-defined]
    app.get("/probe/plain/in-transaction")(plain_in_transaction)  # type: ignore[attr-defined]
    app.get("/probe/marked/rename")(read_only(rename))  # type: ignore[attr-defined]


def test_marked_route_opens_no_transaction_on_postgres(client: TestClient, backend: str) -> None:
    """PostgreSQL: no BEGIN/COMMIT for a marked route. SQLite keeps its transactions (BEGIN IMMEDIATE set-up)."""
    _add_probe_routes(client)
    assert client.get("/probe/plain/in-transaction").json() is True
    assert client.get("/probe/marked/in-transaction").json() is (backend == "sqlite")


def test_marked_route_that_writes_fails_and_stores_nothing(client: TestClient, engine: Engine,
                                                          make_person: Callable[..., Person]) -> None:
    _add_probe_routes(client)
    officer = make_person(Role.intake, "101")
    with pytest.raises(RuntimeError, match="marked read_only tried to write"):
        client.get("/probe/marked/rename", headers=officer.headers)
    with Session(engine) as session:
        name = session.exec(select(User.full_name).where(User.id == officer.user.id)).one()
    assert name == officer.user.full_name != "renamed by a probe"


def test_marked_lookups_answer_on_both_backends(client: TestClient, make_person: Callable[..., Person]) -> None:
    """The hot read routes carry the mark and still answer (scoped, paged) on either backend."""
    marked = {route.path for router in (cameras_router, filings_router, operators_router) for route in router.routes
              if getattr(getattr(route, "endpoint", None), "__camreg_read_only__", False)}
    assert {"/cameras", "/cameras/{camera_id}", "/filings", "/filings/{filing_id}", "/operators"} <= marked
    city = make_person(Role.supervisor, "001")
    for path in ("/api/v1/cameras", "/api/v1/filings", "/api/v1/operators"):
        response = client.get(path, headers=city.headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"items": [], "next_after": None}
    assert client.get("/api/v1/cameras/999", headers=city.headers).status_code == 404
