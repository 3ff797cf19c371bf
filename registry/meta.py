"""Facts about the database itself, kept in it (e.g. that ``camreg demo`` created it)."""

from __future__ import annotations

from sqlmodel import Field, Session, SQLModel

DEMO_KEY = "created_by"
DEMO_VALUE = "camreg demo"


class RegistryMeta(SQLModel, table=True):
    """One fact about this database."""

    __tablename__ = "registry_meta"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=200)


def mark_demo(session: Session) -> None:
    """Record that ``camreg demo`` created this database (so it may hold the published demo passwords)."""
    session.merge(RegistryMeta(key=DEMO_KEY, value=DEMO_VALUE))


def is_demo(session: Session) -> bool:
    """Whether ``camreg demo`` created this database."""
    row = session.get(RegistryMeta, DEMO_KEY)
    return row is not None and row.value == DEMO_VALUE
