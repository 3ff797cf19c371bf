"""The police decision clock (第九条): suspended from the correction notice to the correction, and 办理超期
(the filing unit past its deadline) kept apart from 逾期备案 (the operator's late filing)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from maps.render_base import TIP_FIELDS
from registry.auth.models import Role
from registry.calendars import current_calendar, load_year
from registry.coverage import service as coverage
from registry.dashboard import service as dashboard
from registry.exports import service as exports
from registry.filings import clock, service
from registry.filings.models import CorrectionItem, Filing, FilingCreate, FilingState
from registry.imports.columns import Kind
from registry.operators.models import Operator
from registry.settings import Settings
from registry.workdays import WorkCalendar
from tests.registry.conftest import Person
from tests.registry.page_helpers import sign_in


def _at(day: date) -> datetime:
    """10:00 Beijing time on `day`."""
    return datetime(day.year, day.month, day.day, 2, tzinfo=UTC)


def _accepted(engine: Engine, settings: Settings, operator: Operator, clerk: Person, day: date) -> Filing:
    with Session(engine, expire_on_commit=False) as session:
        filing = service.submit(session, actor=clerk.actor, settings=settings, now=_at(day), data=FilingCreate(
            operator_id=operator.id, system_name="视频系统", system_location="大堂", system_in_use_date=day,
            acceptance_date=day, retention_days=30, camera_count_declared=1, camera_types_declared="枪机"))
        filing = service.accept(session, actor=clerk.actor, filing_id=filing.id, now=_at(day))
        session.commit()
        return filing


def _notice(engine: Engine, settings: Settings, clerk: Person, filing: Filing, day: date) -> None:
    with Session(engine) as session:
        service.request_correction(session, actor=clerk.actor, filing_id=filing.id, settings=settings, now=_at(day),
                                   items=[CorrectionItem(item="deployment_map", message="布防图未标注摄像机位置")])
        session.commit()


def _corrected(engine: Engine, clerk: Person, filing: Filing, day: date) -> Filing:
    with Session(engine, expire_on_commit=False) as session:
        filing = service.submit_correction(session, actor=clerk.actor, filing_id=filing.id, now=_at(day))
        session.commit()
        return filing


def test_the_deadline_moves_by_the_time_the_operator_took_to_correct(
        engine: Engine, settings: Settings, make_operator: Callable[..., Operator],
        make_person: Callable[..., Person]) -> None:
    clerk = make_person(Role.intake, "101")
    # Accepted Monday 2026-03-02: due 15 working days later, Monday 2026-03-23.
    filing = _accepted(engine, settings, make_operator(), clerk, date(2026, 3, 2))
    assert filing.deadline == date(2026, 3, 23)
    # Notice on Monday 2026-03-09: 5 working days used (3, 4, 5, 6, 9 March), 10 left.
    _notice(engine, settings, clerk, filing, date(2026, 3, 9))
    # Corrected on Monday 2026-03-16: the 10 days left run from the day after, to Monday 2026-03-30.
    filing = _corrected(engine, clerk, filing, date(2026, 3, 16))
    assert filing.state == FilingState.corrected
    assert filing.deadline == date(2026, 3, 30) and filing.deadline_provisional is False


def test_the_suspension_skips_holidays_on_both_sides(engine: Engine, settings: Settings,
                                                    make_operator: Callable[..., Operator],
                                                    make_person: Callable[..., Person]) -> None:
    clerk = make_person(Role.intake, "101")
    accepted, noticed, corrected = date(2026, 9, 21), date(2026, 9, 25), date(2026, 10, 9)
    filing = _accepted(engine, settings, make_operator(), clerk, accepted)
    _notice(engine, settings, clerk, filing, noticed)
    filing = _corrected(engine, clerk, filing, corrected)
    calendar = WorkCalendar()
    left = clock.DECISION_DAYS - calendar.working_days_between(accepted, noticed)
    assert left == clock.days_left_at_notice(calendar, accepted=accepted, notice_issued=noticed)
    assert filing.deadline == calendar.add_working_days(corrected, left).date
    # The days of the suspension (National Day included) were not the police's.
    assert calendar.working_days_between(accepted, filing.deadline) - calendar.working_days_between(
        noticed, corrected) == clock.DECISION_DAYS


def test_a_notice_after_the_deadline_resumes_with_no_day_left() -> None:
    calendar = WorkCalendar()
    result = clock.decision_deadline(calendar, accepted=date(2026, 3, 2), notice_issued=date(2026, 4, 20),
                                     corrected=date(2026, 4, 22))
    assert result.date == date(2026, 4, 22) and result.provisional is False
    assert clock.decision_deadline(calendar, accepted=date(2026, 3, 2)).date == date(2026, 3, 23)


def test_loading_a_calendar_keeps_the_suspension(engine: Engine, settings: Settings,
                                                 make_operator: Callable[..., Operator],
                                                 make_person: Callable[..., Person]) -> None:
    clerk = make_person(Role.intake, "101")
    filing = _accepted(engine, settings, make_operator(), clerk, date(2026, 12, 24))
    _notice(engine, settings, clerk, filing, date(2026, 12, 28))
    filing = _corrected(engine, clerk, filing, date(2027, 1, 6))
    assert filing.deadline_provisional is True
    calendar = {"format": "camreg-workday-calendar/1", "year": 2027, "official": True, "source": "test notice",
                "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-04"},
                             {"name": "测试", "date": "2027-01-08"}], "workdays": []}
    with Session(engine, expire_on_commit=False) as session:
        load_year(session, text=json.dumps(calendar, ensure_ascii=False))
        session.commit()
        refreshed = session.get_one(Filing, filing.id)
        loaded = current_calendar(session)
    used = loaded.working_days_between(date(2026, 12, 24), date(2026, 12, 28))
    expected = loaded.add_working_days(date(2027, 1, 6), clock.DECISION_DAYS - used).date
    assert refreshed.deadline_provisional is False
    assert refreshed.deadline == expected
    assert refreshed.deadline != loaded.add_working_days(date(2026, 12, 24), clock.DECISION_DAYS).date


def _two_old_filings(engine: Engine, settings: Settings, make_operator: Callable[..., Operator],
                     clerk: Person) -> tuple[Filing, Filing]:
    """One running past its deadline (办理超期), one waiting for the operator's correction since long ago."""
    running = _accepted(engine, settings, make_operator(), clerk, date(2026, 3, 2))
    waiting = _accepted(engine, settings, make_operator(), clerk, date(2026, 3, 2))
    _notice(engine, settings, clerk, waiting, date(2026, 3, 4))
    return running, waiting


def test_a_filing_awaiting_correction_is_in_no_overdue_list(engine: Engine, settings: Settings,
                                                             make_operator: Callable[..., Operator],
                                                             make_person: Callable[..., Person]) -> None:
    clerk = make_person(Role.intake, "101")
    running, waiting = _two_old_filings(engine, settings, make_operator, clerk)
    today = date(2026, 12, 5)
    with Session(engine) as session:
        listed = service.list_visible(session, actor=clerk.actor, overdue_on=today)
        assert [f.id for f in listed] == [running.id]
        user = clerk.user
        assert exports.count(session, kind=Kind.filings, user=user, filters=exports.Filters(overdue_on=today)) == 1
        assert exports.count(session, kind=Kind.operators, user=user, filters=exports.Filters(overdue_on=today)) == 1
        board = dashboard.figures(session, user=user, today=today)
        assert board.total.overdue == 1
        per_district = coverage._overdue(session, user, Operator.district_code, today)
        assert int(per_district["overdue"].sum()) == 1
        operator = session.get_one(Operator, running.operator_id)
        sites = coverage._overdue_sites(session, user, operator.district_code, today)
        assert list(sites["name"]) == [operator.name]
        assert clock.is_overdue(session.get_one(Filing, running.id), today)
        assert not clock.is_overdue(session.get_one(Filing, waiting.id), today)


def test_two_labels_in_api_exports_maps_and_pages(client: TestClient, engine: Engine, settings: Settings,
                                                  make_operator: Callable[..., Operator],
                                                  make_person: Callable[..., Person]) -> None:
    clerk = make_person(Role.intake, "101")
    running, waiting = _two_old_filings(engine, settings, make_operator, clerk)
    body = client.get(f"/api/v1/filings/{running.id}", headers=clerk.headers).json()
    assert (body["overdue"], body["clock_suspended"], body["late"]) == (True, False, False)
    body = client.get(f"/api/v1/filings/{waiting.id}", headers=clerk.headers).json()
    assert (body["overdue"], body["clock_suspended"]) == (False, True)
    zh, en = exports.header_rows(Kind.filings)
    assert zh[en.index("late")] == "逾期备案" and zh[en.index("overdue")] == "办理超期"
    assert dict(TIP_FIELDS)["overdue_s"] == "办理超期"
    sign_in(client, clerk)
    csv = client.get("/filings/export.csv", params={"overdue": "true"}).content.decode("utf-8-sig").splitlines()
    assert len(csv) == 3 and csv[0].split(",")[en.index("overdue")] == "办理超期"
    assert csv[2].split(",")[en.index("overdue")] == "是"
    page = client.get(f"/filings/{running.id}").text
    assert "办理超期" in page and "逾期备案" not in page
    page = client.get(f"/filings/{waiting.id}").text
    assert "计时暂停（待补正）" in page and "办理超期" not in page
    board = client.get("/dashboard").text
    assert "办理超期" in board and "超期未办结" not in board
