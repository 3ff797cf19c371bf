"""Routes marked read_only: no transaction on PostgreSQL, and a write through one is refused, not stored."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from registry.auth.models import Role, User
from registry.cameras.views import router as cameras_router
from registry.deps import CurrentActor, SessionDep, is_read_only, read_only
from registry.filings.views import router as filings_router
from registry.operators.models import Operator
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
    """PostgreSQL: no BEGIN/COMMIT for a marked route. SQLite: a deferred read transaction (see the next test)."""
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
              if is_read_only(getattr(route, "endpoint", None))}
    assert {"/cameras", "/cameras/{camera_id}", "/filings", "/filings/{filing_id}", "/operators"} <= marked
    city = make_person(Role.supervisor, "001")
    for path in ("/api/v1/cameras", "/api/v1/filings", "/api/v1/operators"):
        response = client.get(path, headers=city.headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"items": [], "next_after": None}
    assert client.get("/api/v1/cameras/999", headers=city.headers).status_code == 404


def test_marked_lookup_answers_while_a_writer_holds_its_transaction(
        client: TestClient, engine: Engine, make_person: Callable[..., Person],
        make_operator: Callable[..., Operator]) -> None:
    """A long import holds the write lock (SQLite) or row locks (PostgreSQL); lookups neither wait nor see it."""
    operator = make_operator()
    city = make_person(Role.supervisor, "001")
    answers: list[Response] = []
    with engine.connect() as writer:
        writer.execute(update(Operator).where(col(Operator.id) == operator.id).values(name="改名未提交 uncommitted"))
        reader = threading.Thread(target=lambda: answers.append(
            client.get(f"/api/v1/operators/{operator.id}", headers=city.headers)))
        reader.start()
        reader.join(timeout=10)  # an unmarked route on SQLite would wait here for the writer (up to 60 s)
        answered_while_writing = not reader.is_alive()
        writer.rollback()
    reader.join()
    assert answered_while_writing, "the read waited for the writer"
    assert answers[0].status_code == 200, answers[0].text
    assert answers[0].json()["name"] == operator.name
