"""Deadlines in Chinese working days: stored with their calendar, provisional until the year is loaded."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from registry.auth.models import Role
from registry.calendars import load_year
from registry.filings import service
from registry.filings.models import CorrectionItem, Filing, FilingCreate
from registry.operators.models import Operator
from registry.settings import Settings
from tests.registry.conftest import Person


def _accepted_on(engine: Engine, settings: Settings, operator: Operator, clerk: Person, day: datetime) -> Filing:
    with Session(engine, expire_on_commit=False) as session:
        filing = service.submit(session, actor=clerk.actor, settings=settings, now=day, data=FilingCreate(
            operator_id=operator.id, system_name="系统", system_location="地点", system_in_use_date=day.date(),
            acceptance_date=day.date(),
            retention_days=30, camera_count_declared=1, camera_types_declared="枪机"))
        filing = service.accept(session, actor=clerk.actor, filing_id=filing.id, now=day)
        session.commit()
        return filing


def test_accepting_on_2013_09_16_is_due_on_the_make_up_saturday(
        engine: Engine, settings: Settings, make_operator: Callable[..., Operator],
        make_person: Callable[..., Person]) -> None:
    clerk = make_person(Role.intake, "101")
    filing = _accepted_on(engine, settings, make_operator(), clerk, datetime(2013, 9, 16, 2, tzinfo=UTC))
    assert filing.number == "1012013000001"
    assert filing.deadline == date(2013, 10, 12) and filing.deadline_provisional is False


def test_deadline_in_an_unloaded_year_is_provisional_then_recomputed(
        engine: Engine, settings: Settings, make_operator: Callable[..., Operator],
        make_person: Callable[..., Person]) -> None:
    clerk = make_person(Role.intake, "101")
    operator = make_operator()
    late_december = datetime(2026, 12, 24, 2, tzinfo=UTC)
    filing = _accepted_on(engine, settings, operator, clerk, late_december)
    assert filing.deadline_provisional is True
    provisional_deadline = filing.deadline
    with Session(engine, expire_on_commit=False) as session:
        notice = service.request_correction(session, actor=clerk.actor, filing_id=filing.id, now=late_december,
                                            settings=settings,
                                            items=[CorrectionItem(item="form", message="缺项")])
        session.commit()
    assert notice.due_provisional is True
    # The administrator loads an (official) 2027 calendar that moves 元旦 off by one make-up day.
    calendar = {"format": "camreg-workday-calendar/1", "year": 2027, "official": True, "source": "test notice",
                "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-04"}], "workdays": []}
    with Session(engine, expire_on_commit=False) as session:
        report = load_year(session, text=json.dumps(calendar, ensure_ascii=False))
        session.commit()
        assert (report.filings_recomputed, report.notices_recomputed, report.still_provisional) == (1, 1, 0)
        refreshed = session.get_one(Filing, filing.id)
    assert refreshed.deadline_provisional is False
    assert refreshed.deadline is not None and provisional_deadline is not None
    assert refreshed.deadline > provisional_deadline  # 2027-01-04 became a holiday
