"""Engines and sessions: SQLite by default, PostgreSQL in production."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from registry.errors import InvalidInput
from registry.private import private_dir, private_sqlite
from registry.settings import Settings

# Every integer column is at most 64 bits; SQLite's driver cannot even bind a larger Python int.
INT64_MAX = 2**63 - 1


def make_engine(settings: Settings) -> Engine:
    """An engine for the configured database, with SQLite set up for safe concurrent writers."""
    from registry.audit import checkpoint

    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        private_dir(settings.data_dir)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})
        if engine.url.database and engine.url.database != ":memory:":
            private_sqlite(Path(engine.url.database))
        _configure_sqlite(engine)
    else:
        # A fixed pool: overflow connections would be opened and closed under load (a fork on the server each).
        # No pre-ping (a round trip per request); a connection that died with the server fails one request
        # with a 503, SQLAlchemy then drops the whole pool, and recycling bounds how old a connection gets.
        engine = create_engine(url, pool_pre_ping=False, pool_size=20, max_overflow=0, pool_recycle=1800)
    guard_integers(engine)
    checkpoint.configure(engine, settings)
    return engine


def _check_integers(values: Any) -> None:
    # A row of parameters (dict or sequence), or a batch of rows (executemany and insertmanyvalues).
    for value in values.values() if isinstance(values, dict) else values:
        if isinstance(value, dict | list | tuple):
            _check_integers(value)
        elif type(value) is int and not -INT64_MAX - 1 <= value <= INT64_MAX:
            raise InvalidInput(f"数值 {value} 超出范围（最大 {INT64_MAX}）/ the number {value} is out of range "
                               f"(ids and counts are at most {INT64_MAX})")


def guard_integers(engine: Engine) -> None:
    """Refuse (422) any statement binding an integer beyond 64 bits, whatever route or field it came from.

    An id of 2**64 in a path, a query or a body can match nothing and fit nowhere; without this SQLite's
    driver raises OverflowError (a 500) and PostgreSQL compares it as numeric or fails on the insert.
    One check here covers every route, present and future, instead of a bound on each parameter.
    """

    @event.listens_for(engine, "before_cursor_execute")
    def _bounded(_conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any,
                 _executemany: bool) -> None:
        if parameters:
            _check_integers(parameters)


_READS_ONLY = "camreg_reads_only"


def reading_engine(engine: Engine) -> Engine:
    """The engine for sessions that only read, sharing its pool.

    On PostgreSQL each statement commits on its own (no BEGIN/COMMIT round trips); on SQLite the read
    transaction is deferred, so in WAL mode it reads beside a writer instead of queueing for its lock.
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine.execution_options(**{_READS_ONLY: True})


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, and BEGIN IMMEDIATE so writers serialise instead of failing mid-transaction."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so our BEGIN IMMEDIATE is the one that runs.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Every transaction that may write takes the write lock up front: a deferred transaction that
        # later writes can fail with SQLITE_BUSY without waiting, which would turn into lost requests.
        # One that only reads (reading_engine) stays deferred, so it never waits behind a writer.
        reads_only = conn.get_execution_options().get(_READS_ONLY, False)
        conn.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session committed on success and rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
