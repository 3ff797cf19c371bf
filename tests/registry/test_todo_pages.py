"""The home page's to-do list, per role: each figure right on a scenario, and another unit's work never shown."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from registry.auth.models import Role
from registry.filings.models import CorrectionNotice, Filing
from registry.inspections import due
from registry.inspections.periods import HalfYear
from registry.operators.models import Operator
from registry.ui.todo import todo_list
from tests.registry.conftest import HAIDIAN_POINT, Person
from tests.registry.page_helpers import sign_in
from tests.registry.test_filing_workflow import Desk
from tests.registry.test_inspections import Site, set_filed_at, set_today
from tests.registry.test_penalties import Case

MONDAY = dt.date(2026, 12, 7)  # three working days later is Thursday 10 December
ITEM = re.compile(r'data-todo="(\w+)">\s*(?:<a href="([^"]+)">)?<b class="todo-count" data-count="(\d+)"')


def todo_of(client: TestClient, person: Person) -> dict[str, tuple[int, str | None]]:
    """The to-do list on the person's home page: key → (count, link)."""
    sign_in(client, person)
    page = client.get("/")
    assert page.status_code == 200, page.text
    return {key: (int(count), href.replace("&amp;", "&") if href else None)
            for key, href, count in ITEM.findall(page.text)}


def set_deadline(engine: Engine, filing_id: int, deadline: dt.date) -> None:
    """Put a filing's decision deadline where the scenario needs it."""
    with Session(engine) as session:
        filing = session.get_one(Filing, filing_id)
        filing.deadline = deadline
        session.add(filing)
        session.commit()


def accepted(desk: Desk, by: Person | None = None) -> int:
    """A complete filing of the desk's operator, accepted by its unit."""
    fid = desk.submit_complete()
    assert desk.call(by or desk.wang, "POST", f"/filings/{fid}/accept")["status"] == 200
    return fid


def test_desk_officer_sees_the_units_decisions_due_corrections_and_intake(
        client: TestClient, engine: Engine, make_operator: Callable[..., Operator],
        make_person: Callable[..., Person]) -> None:
    set_today(client, MONDAY)
    desks = [Desk(client, make_operator(), make_person) for _ in range(5)]
    soon, later, overdue, correcting = (accepted(d) for d in desks[:4])
    desks[4].submit_complete()  # submitted, not yet accepted
    set_deadline(engine, soon, dt.date(2026, 12, 10))  # the third working day: due
    set_deadline(engine, later, dt.date(2026, 12, 11))  # the fourth: not yet
    set_deadline(engine, overdue, dt.date(2026, 12, 4))  # past: due, and 办理超期
    notice = desks[3].call(desks[3].wang, "POST", f"/filings/{correcting}/correction-notice", json={
        "items": [{"item": "deployment_map", "message": "布防图未标出大堂摄像机"}]})
    assert notice["status"] == 201, notice
    with Session(engine) as session:  # the operator let the 10-day limit pass
        row = session.get_one(CorrectionNotice, notice["body"]["id"])
        row.due_date = dt.date(2026, 12, 1)
        session.add(row)
        session.commit()
    # 海淀's filing, due tomorrow and awaiting correction elsewhere, is not 东城's work.
    haidian = Desk(client, make_operator(lon=HAIDIAN_POINT[0], lat=HAIDIAN_POINT[1]), make_person)
    haidian_intake = make_person(Role.intake, haidian.operator.filing_unit_code)
    assert haidian.operator.filing_unit_code != "101"
    set_deadline(engine, accepted(haidian, by=haidian_intake), dt.date(2026, 12, 8))

    todo = todo_of(client, desks[0].wang)
    assert todo["to_accept"] == (1, "/desk?stage=intake")
    assert todo["decisions_due"] == (2, "/desk?stage=review&due_by=2026-12-10")
    assert todo["corrections"] == (1, "/desk?stage=waiting")
    assert "inspections_due" in todo and "approvals" not in todo and "own_corrections" not in todo
    page = client.get("/").text
    assert "其中 1 件已办理超期" in page and "其中 1 件已过补正期限" in page

    # The link opens exactly the rows counted.
    listed = client.get("/desk?stage=review&due_by=2026-12-10").text
    assert all(f'/filings/{fid}"' in listed for fid in (soon, overdue))
    assert f'/filings/{later}"' not in listed

    sign_in(client, haidian_intake)
    assert todo_of(client, haidian_intake)["decisions_due"][0] == 1


def test_verifying_station_sees_its_own_verifications_only(
        client: TestClient, engine: Engine, make_operator: Callable[..., Operator],
        make_person: Callable[..., Person]) -> None:
    set_today(client, MONDAY)
    desk = Desk(client, make_operator(), make_person)
    first, second = accepted(desk), accepted(Desk(client, make_operator(), make_person))
    set_deadline(engine, first, dt.date(2026, 12, 9))
    set_deadline(engine, second, dt.date(2026, 12, 30))
    haidian = Desk(client, make_operator(lon=HAIDIAN_POINT[0], lat=HAIDIAN_POINT[1]), make_person)
    accepted(haidian, by=make_person(Role.intake, haidian.operator.filing_unit_code))

    todo = todo_of(client, desk.zhang)
    assert todo["verifications"] == (2, "/verifications")
    assert "其中 1 件的办结期限在 3 个工作日内" in client.get("/").text
    assert "decisions_due" not in todo  # the station does not decide filings
    assert desk.verify(first)["status"] == 201
    assert todo_of(client, desk.zhang)["verifications"][0] == 1


def test_operator_sees_its_correction_notices_with_their_limit(
        client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> None:
    set_today(client, MONDAY)
    desk, other = (Desk(client, make_operator(), make_person) for _ in range(2))
    mine, theirs = accepted(desk), accepted(other)
    for d, fid in ((desk, mine), (other, theirs)):
        notice = d.call(d.wang, "POST", f"/filings/{fid}/correction-notice", json={
            "items": [{"item": "deployment_map", "message": "布防图未标出大堂摄像机"}]})
        assert notice["status"] == 201, notice
    todo = todo_of(client, desk.hotel)
    assert todo["own_corrections"] == (1, "/apply")
    assert "decisions_due" not in todo and "inspections_due" not in todo
    page = client.get("/").text
    number = desk.call(desk.hotel, "GET", f"/filings/{mine}/correction-notice")["body"]["number"]
    assert f'<a href="/apply/{mine}">' in page and number in page and "前补正" in page
    assert f"/apply/{theirs}" not in page


def test_inspector_sees_operators_due_this_half_year_and_open_rectifications(
        client: TestClient, engine: Engine, make_operator: Callable[..., Operator],
        make_person: Callable[..., Person]) -> None:
    set_today(client, dt.date(2026, 12, 5))
    hazard, clean, waiting = (Site(client, make_operator(), make_person) for _ in range(3))
    late = Site(client, make_operator(), make_person)  # filed in November: first due next half-year
    for site in (hazard, clean, waiting):
        set_filed_at(engine, site.filing_id, dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC))
    set_filed_at(engine, late.filing_id, dt.datetime(2026, 11, 2, 2, tzinfo=dt.UTC))
    hazard.complete(hazard=True)  # inspected this half-year, with a rectification notice
    clean.complete()
    station = hazard.station
    assert clean.station == waiting.station == station

    todo = todo_of(client, hazard.zhang)
    assert todo["inspections_due"] == (1, "/inspections/due?half=2026H2")
    assert todo["rectifications"] == (1, "/rectifications")
    due_page = client.get("/inspections/due?half=2026H2")
    assert due_page.status_code == 200 and waiting.operator.name in due_page.text
    haidian = todo_of(client, make_person(Role.inspector, "108"))  # 东城's operators are not 海淀's work
    assert haidian["inspections_due"][0] == haidian["rectifications"][0] == 0
    sign_in(client, hazard.zhang)
    city = make_person(Role.supervisor, "001").user
    with Session(engine) as session:  # the same figure as the due list's
        rows = due.due_list(session, unit_code=station, half=HalfYear(2026, 2), today=dt.date(2026, 12, 5))
        counts = due.counts(session, half=HalfYear(2026, 2), today=dt.date(2026, 12, 5), where=due.unit_scope(station))
        assert counts["never_inspected"] + counts["due"] == 1 and [r.operator_id for r in rows
                                                                   if r.status != due.DueStatus.done] == [
            waiting.operator.id]
        assert next(i for i in todo_list(session, city, dt.date(2026, 12, 5)) if i.key == "inspections_due").count == 1
    # 12 days past its deadline the notice is overdue.
    set_today(client, dt.date(2027, 1, 29))
    page = client.get("/").text
    assert "已超过整改期限" in page


def test_leader_sees_the_proposals_to_approve(client: TestClient, make_operator: Callable[..., Operator],
                                              make_person: Callable[..., Person]) -> None:
    case = Case(client, make_operator(), make_person)
    waiting = case.proposed()
    case.prepared()  # not proposed yet
    todo = todo_of(client, case.leader)
    assert todo["approvals"] == (1, "/penalties?state=proposed")
    assert f'<a href="/penalties/{waiting}">' in client.get("/").text
    assert "approvals" not in todo_of(client, case.wang)
    haidian_leader = make_person(Role.leader, "108")
    assert todo_of(client, haidian_leader)["approvals"][0] == 0


def test_supervision_windows_open_now(client: TestClient, make_operator: Callable[..., Operator],
                                      make_person: Callable[..., Person]) -> None:
    set_today(client, dt.date(2026, 6, 10))
    site = Site(client, make_operator(), make_person)
    site.complete(on=dt.date(2026, 6, 3))
    reviewer = make_person(Role.reviewer, site.station)
    todo = todo_of(client, reviewer)
    assert todo["window_review"][0] == 1
    assert "6月1日至6月15日，还剩 6 天（含今天）" in client.get("/").text
    assert "window_review" not in todo_of(client, site.zhang)  # the inspector does not review
    assert todo_of(client, make_person(Role.reviewer, "108"))["window_review"][0] == 0  # nothing of 海淀's
    city = make_person(Role.supervisor, "001")
    assert "window_review" not in todo_of(client, city) and "window_spot_check" not in todo_of(client, city)

    set_today(client, dt.date(2026, 6, 20))
    assert todo_of(client, city)["window_spot_check"][0] == 1
    assert "window_review" not in todo_of(client, reviewer)
    set_today(client, dt.date(2026, 7, 1))
    assert "window_spot_check" not in todo_of(client, city)
