"""Inserting many rows fast inside the caller's transaction: executemany on SQLite, COPY on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session

CHUNK = 5000


def bulk_insert(session: Session, table: Table, records: Sequence[dict[str, Any]],
                progress: Callable[[int, int], None] | None = None) -> None:
    """Insert rows that all have the same keys; values go through each column type's own bind processor once.

    SQLAlchemy's Core executemany rebuilds the parameters of every row; with a hundred thousand rows
    that costs more than the insert itself, so the rows are handed to the driver directly.
    """
    if not records:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = list(records[0])
    processors = [table.c[name].type.bind_processor(dialect) for name in names]
    convert = [(i, p) for i, p in enumerate(processors) if p is not None]
    quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    driver: Any = connection.connection.driver_connection
    for start in range(0, len(records), CHUNK):
        rows = []
        for record in records[start : start + CHUNK]:
            row = [record[name] for name in names]
            for index, process in convert:
                if row[index] is not None:
                    row[index] = process(row[index])
            rows.append(row)
        if dialect.name == "postgresql":
            with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in names)
            connection.exec_driver_sql(f"INSERT INTO {table.name} ({quoted}) VALUES ({marks})",
                                       [tuple(r) for r in rows])
        if progress is not None:
            progress(min(start + CHUNK, len(records)), len(records))
