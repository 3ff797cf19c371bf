"""Start-up: migrate, load the police units, and (in demo mode) the sample city and demo accounts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from registry.auth import service as auth_service
from registry.auth.models import Role, User, UserCreate
from registry.db import make_engine
from registry.meta import is_demo, mark_demo
from registry.migrate import upgrade
from registry.settings import Settings
from registry.units import service as units_service
from registry.units.models import PoliceUnit, UnitKind

DEMO_PASSWORD = "camreg-demo-2026"


@dataclass(frozen=True)
class DemoAccount:
    """A demo login printed by ``camreg demo``."""

    username: str
    full_name: str
    role: Role
    unit_code: str | None


DEMO_ACCOUNTS = (
    DemoAccount("dc_intake", "王警官（东城分局科信 受理）", Role.intake, "101"),
    DemoAccount("dc_reviewer", "李警官（东城分局科信 复核）", Role.reviewer, "101"),
    DemoAccount("dc_inspector", "张警官（东城 派出所 检查）", Role.inspector, None),
    DemoAccount("dc_admin", "东城分局 管理员", Role.admin, "101"),
    DemoAccount("dc_leader", "赵局长（东城分局 主管领导）", Role.leader, "101"),
    DemoAccount("city_supervisor", "刘科长（市局科技信息化部）", Role.supervisor, "001"),
    DemoAccount("city_admin", "市局 系统管理员", Role.admin, "001"),
)


def prepare(settings: Settings, engine: Engine | None = None) -> Engine:
    """Migrate the database and load the police units if none are loaded yet."""
    engine = engine or make_engine(settings)
    upgrade(engine)
    with Session(engine) as session:
        if session.exec(select(PoliceUnit).limit(1)).first() is None:
            units_service.load(session, directory=settings.sample_data_dir)
            session.commit()
    return engine


class NotADemoDatabase(Exception):
    """`camreg demo` pointed at a database it did not create: it must not seed published passwords there."""


def prepare_demo(settings: Settings) -> Engine:
    """Migrate a database for the demo: a new one is marked as the demo's; an existing unmarked one is refused."""
    engine = make_engine(settings)
    fresh = not inspect(engine).get_table_names()
    if not fresh:
        with Session(engine) as session:
            marked = "registry_meta" in inspect(engine).get_table_names() and is_demo(session)
        if not marked:
            engine.dispose()
            where = settings.database_url or str(settings.data_dir.resolve())
            raise NotADemoDatabase(
                f"拒绝：该数据库不是 camreg demo 创建的（{where}），不会向其中载入示例城市和公开的演示密码。"
                "正式数据库请用 camreg serve；演示请换一个新的 --data-dir 并取消 CAMREG_DATABASE_URL。 / refused: "
                f"this database ({where}) was not created by camreg demo, so the sample city and its published "
                "passwords are not loaded into it. Serve a real registry with camreg serve; for the demo use a "
                "new --data-dir and unset CAMREG_DATABASE_URL.")
    prepare(settings, engine)
    if fresh:
        with Session(engine) as session:
            mark_demo(session)
            session.commit()
    return engine


def ensure_demo_accounts(session: Session, *, operator_id: int | None) -> list[DemoAccount]:
    """Create the demo accounts once (demo mode only; the password is printed, never for production)."""
    if not is_demo(session):
        raise NotADemoDatabase("demo accounts go only into a database camreg demo created")
    station = session.exec(select(PoliceUnit).where(PoliceUnit.kind == UnitKind.station)
                           .where(PoliceUnit.parent_code == "101").order_by(PoliceUnit.code)).first()
    accounts = list(DEMO_ACCOUNTS)
    if operator_id is not None:
        accounts.append(DemoAccount("hotel_operator", "酒店保卫部经理（使用单位）", Role.operator, None))
    for account in accounts:
        if session.exec(select(User).where(User.username == account.username)).first() is not None:
            continue
        unit = account.unit_code
        if account.role == Role.inspector:
            unit = station.code if station else "101"
        auth_service.create(session, data=UserCreate(
            username=account.username, full_name=account.full_name, role=account.role, unit_code=unit,
            operator_id=operator_id if account.role == Role.operator else None, password=DEMO_PASSWORD))
    session.commit()
    return accounts
