"""Writing a generated city in one transaction: COPY on PostgreSQL, executemany on SQLite."""

from __future__ import annotations

import io
import json
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, Date, DateTime, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from registry import models  # noqa: F401  (every table in the metadata)
from registry.audit import service as audit
from registry.auth.models import Role, User
from registry.auth.service import hash_password
from registry.calendars import current_calendar
from registry.filings import materials as material_store
from registry.fill.cameras import CAMERA_COLUMNS, make_cameras, spread
from registry.fill.filings import (
    COUNTER_COLUMNS,
    FILING_COLUMNS,
    MATERIAL_COLUMNS,
    NOTICE_COLUMNS,
    Material,
    make_filings,
)
from registry.fill.operators import OPERATOR_COLUMNS, make_operators
from registry.settings import Settings
from registry.timeutil import beijing_today, utcnow
from registry.units.models import PoliceUnit, UnitKind

Progress = Callable[[str, int, int], None]
# The fill writes these from id 1 and sets the counters: they must start empty.
MUST_BE_EMPTY = ("operator", "filing", "camera", "number_counter", "camera_serial_counter")


class FillError(RuntimeError):
    """The database cannot take a fill (not empty, or the request is inconsistent)."""


@dataclass
class FillReport:
    """What a fill wrote and how long it took."""

    backend: str
    operators: int
    filings: int
    cameras: int
    codes: int
    notices: int
    seconds: float


def _png(shade: int) -> bytes:
    """A small plain PNG (a stand-in location diagram or deployment map)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (shade, shade, 255 - shade)).save(buffer, format="PNG")
    return buffer.getvalue()


def _officers(session: Session, units: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Per filing unit, a disabled intake and reviewer account the generated history is attributed to."""
    # Nobody knows this password and the accounts are inactive: they exist so the two-person rule holds.
    unusable = hash_password(secrets.token_urlsafe(32))
    officers: dict[str, tuple[int, int]] = {}
    for unit in sorted(set(units)):
        ids = []
        for role in (Role.intake, Role.reviewer):
            name = f"fill-{unit}-{role.value}"
            user = session.exec(select(User).where(User.username == name)).first()
            if user is None:
                user = User(username=name, full_name=f"批量生成 {unit} {role.value}", role=role, unit_code=unit,
                            active=False, password_hash=unusable)
                session.add(user)
                session.flush()
            assert user.id is not None
            ids.append(user.id)
        officers[unit] = (ids[0], ids[1])
    return officers


def _check_empty(conn: Connection) -> None:
    for table in MUST_BE_EMPTY:
        found = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
        if found:
            raise FillError(f"table {table} already has {found} rows: fill needs an empty registry "
                            "(create a scratch database, run `camreg db upgrade`, then fill)")


def fill(engine: Engine, settings: Settings, *, cameras: int, filings: int, operators: int | None = None,
         seed: int = 2013, progress: Progress | None = None) -> FillReport:
    """Generate and store `filings` filings with `cameras` cameras over `operators` operators, atomically."""
    if filings < 1 or cameras < filings:
        raise FillError(f"need 1 <= filings <= cameras (got filings={filings}, cameras={cameras})")
    operators = operators or max(1, filings // 2)
    if not 1 <= operators <= filings:
        raise FillError(f"--operators must be between 1 and --filings ({filings}), got {operators}")
    report = progress or (lambda _stage, _done, _total: None)
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    now, today = utcnow(), beijing_today()
    maps = tuple(Material(material_store.store(settings.materials_dir, data), len(data))
                 for data in (_png(40), _png(200)))
    with engine.begin() as conn:
        _check_empty(conn)
        session = Session(bind=conn)
        report("operators", 0, operators)
        ops = make_operators(rng, operators, now)
        officers = _officers(session, ops.filing_unit)
        stations = {u.code: u.station_number or "00" for u in session.exec(
            select(PoliceUnit).where(PoliceUnit.kind == UnitKind.station)).all()}
        counts = spread(rng, cameras, filings)
        report("filings", 0, filings)
        fil = make_filings(rng, camera_counts=counts, operators=operators, filing_units=ops.filing_unit,
                           officers=officers, maps=(maps[0], maps[1]), calendar=current_calendar(session),
                           today=today, late_filing_days=settings.late_filing_days)
        report("codes", 0, cameras)
        cams = make_cameras(rng, counts=counts, ops=ops, fil=fil, station_numbers=stations)
        write = _postgres_writer(conn) if conn.dialect.name == "postgresql" else _sqlite_writer(conn)
        for table, columns, rows in (("operator", OPERATOR_COLUMNS, ops.rows), ("filing", FILING_COLUMNS, fil.rows),
                                     ("material", MATERIAL_COLUMNS, fil.materials),
                                     ("correction_notice", NOTICE_COLUMNS, fil.notices),
                                     ("number_counter", COUNTER_COLUMNS, fil.counters)):
            report(table, 0, len(rows))
            write(table, columns, [rows])
        done = 0

        def counted(chunks: Iterable[list[tuple[Any, ...]]]) -> Iterable[list[tuple[Any, ...]]]:
            nonlocal done
            for chunk in chunks:
                yield chunk
                done += len(chunk)
                report("camera", done, cameras)

        write("camera", CAMERA_COLUMNS, counted(cams.chunks))
        write("camera_serial_counter", ("prefix", "last"), [cams.counters])
        if conn.dialect.name == "postgresql":
            for table in ("operator", "filing", "material", "correction_notice", "camera", "app_user"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT coalesce(max(id), 1) FROM {table}))"))
        codes = sum(last for _prefix, last in cams.counters)
        audit.append(session, actor=None, action="registry.fill", object_type="registry", object_id="fill",
                     details={"operators": operators, "filings": filings, "cameras": cameras, "codes": codes,
                              "seed": seed})
        session.flush()
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return FillReport(engine.dialect.name, operators, filings, cameras, codes, len(fil.notices),
                      time.perf_counter() - started)


def _jsonable(table: str, columns: tuple[str, ...]) -> tuple[list[int], list[int]]:
    """Positions of JSON columns and of date/time columns in a table's column list."""
    sa_table = SQLModel.metadata.tables[table]
    json_cols = [i for i, c in enumerate(columns) if sa_table.c[c].type.__class__.__name__ == "JSON"]
    time_cols = [i for i, c in enumerate(columns) if isinstance(sa_table.c[c].type, DateTime | Date)]
    return json_cols, time_cols


def _postgres_writer(conn: Connection) -> Callable[[str, tuple[str, ...], Iterable[list[tuple[Any, ...]]]], None]:
    raw = conn.connection.driver_connection
    assert raw is not None

    def write(table: str, columns: tuple[str, ...], chunks: Iterable[list[tuple[Any, ...]]]) -> None:
        json_cols, _ = _jsonable(table, columns)
        # Indexes are rebuilt once after the COPY: far cheaper than updating nine of them per row.
        indexes = conn.execute(text(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = CAST(:t AS regclass) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)"), {"t": table}).all()
        for name, _definition in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for chunk in chunks:
                for row in chunk:
                    if json_cols:
                        row = tuple(json.dumps(v, ensure_ascii=False) if i in json_cols else v
                                    for i, v in enumerate(row))
                    copy.write_row(row)
        for _name, definition in indexes:
            conn.execute(text(definition))

    return write


def _sqlite_value(value: Any) -> Any:
    """Dates and times in the text form SQLAlchemy stores on SQLite (UTC, no offset)."""
    if isinstance(value, datetime):
        utc = value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
        return utc.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _sqlite_writer(conn: Connection) -> Callable[[str, tuple[str, ...], Iterable[list[tuple[Any, ...]]]], None]:
    raw = conn.connection.driver_connection
    assert raw is not None

    def write(table: str, columns: tuple[str, ...], chunks: Iterable[list[tuple[Any, ...]]]) -> None:
        json_cols, time_cols = _jsonable(table, columns)
        indexes = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
                                    "AND sql IS NOT NULL"), {"t": table}).all()
        for name, _definition in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        cursor = raw.cursor()
        for chunk in chunks:
            rows = chunk
            if json_cols or time_cols:
                rows = [tuple(json.dumps(v, ensure_ascii=False) if i in json_cols else
                              _sqlite_value(v) if i in time_cols else v for i, v in enumerate(row)) for row in chunk]
            cursor.executemany(statement, rows)
        cursor.close()
        for _name, definition in indexes:
            conn.execute(text(definition))

    return write
