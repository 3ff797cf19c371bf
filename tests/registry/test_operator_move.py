"""Moving an operator with open filings (issue 13 point 6): a filing not yet accepted follows the operator to its
new filing unit (recorded, the new unit told, the old unit loses it); a filing the old unit accepted and has not
decided keeps the operator where it is (the move is refused naming the field and the filings' numbers); a move
between two stations of one unit keeps the filing unit and hands the 核对 to the new station. The reroute command
follows the same rule, and a move racing an acceptance or a submission never leaves a filing half-moved."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from registry.audit.models import AuditEvent
from registry.auth.models import Role
from registry.errors import Conflict, DomainError, Forbidden, NotFound
from registry.filings import service as filings_service
from registry.filings.models import Filing, FilingCreate, FilingHandover, FilingState
from registry.operators import service as operators_service
from registry.operators.models import Operator, OperatorUpdate
from registry.reroute import reroute_all
from registry.settings import Settings
from tests.registry.conftest import HAIDIAN_POINT, Person
from tests.registry.page_helpers import post_form, sign_in
from tests.registry.test_drafts import _complete, _draft
from tests.registry.test_filing_workflow import Desk, _form

# 东城分局 again, but the area of another station (DONGCHENG_POINT is station 11010102's).
OTHER_DONGCHENG_STATION = (116.41, 39.93)


@pytest.fixture
def desk(client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> Desk:
    return Desk(client, make_operator(), make_person)


def _move(desk: Desk, person: Person, point: tuple[float, float]) -> dict[str, Any]:
    return desk.call(person, "PATCH", f"/operators/{desk.operator.id}", json={"lon": point[0], "lat": point[1]})


def _events(session: Session, action: str, object_id: object) -> list[AuditEvent]:
    """The audit events of an action on an object (the read transaction ended: SQLite holds a writer's lock)."""
    session.expire_all()
    events = list(session.exec(select(AuditEvent).where(AuditEvent.action == action)
                               .where(AuditEvent.object_id == str(object_id)).order_by(col(AuditEvent.seq))).all())
    session.commit()
    return events


def test_a_submitted_filing_follows_the_operator_to_its_new_unit(desk: Desk, make_person: Callable[..., Person],
                                                                 session: Session) -> None:
    fid = desk.submit_complete()
    moved = _move(desk, desk.wang, HAIDIAN_POINT)
    assert moved["status"] == 200 and moved["body"]["filing_unit_code"] == "108"
    # The old unit loses it (its operator is no longer theirs)...
    assert desk.call(desk.wang, "GET", f"/filings/{fid}")["status"] == 404
    assert desk.call(desk.wang, "POST", f"/filings/{fid}/accept")["status"] == 404
    # ...and the new unit has it as its own: it sees it, in its list, and accepts it into its own sequence.
    hai_wang, hai_li = make_person(Role.intake, "108"), make_person(Role.reviewer, "108")
    shown = desk.call(hai_wang, "GET", f"/filings/{fid}")
    assert shown["status"] == 200 and shown["body"]["filing_unit_code"] == "108"
    listed = desk.call(hai_wang, "GET", "/filings?filing_unit_code=108&state=submitted")["body"]["items"]
    assert [f["id"] for f in listed] == [fid]
    accepted = desk.call(hai_wang, "POST", f"/filings/{fid}/accept")
    assert accepted["status"] == 200, accepted
    assert accepted["body"]["number"].startswith("108")
    # The handover is on the filing's record and in the audit log.
    handovers = desk.call(hai_wang, "GET", f"/filings/{fid}/handovers")["body"]
    assert [(h["from_filing_unit_code"], h["to_filing_unit_code"], h["from_verifying_unit_code"],
             h["to_verifying_unit_code"], h["state"], h["cause"], h["by_id"]) for h in handovers] == [
        ("101", "108", "11010102", "11010821", "submitted", "operator_moved", desk.wang.user.id)]
    assert desk.call(desk.hotel, "GET", f"/filings/{fid}/handovers")["status"] == 200
    (event,) = _events(session, "filing.handover", fid)
    assert event.details["from_filing_unit"] == "101" and event.details["to_filing_unit"] == "108"
    (moved_event,) = _events(session, "operator.update", desk.operator.id)
    assert moved_event.details["filings_handed_over"] == [fid] and moved_event.details["moved"] is True
    # The new units finish it: 海淀's station verifies on site, a second 海淀 officer files.
    station = make_person(Role.inspector, "11010821")
    assert desk.call(desk.zhang, "POST", f"/filings/{fid}/verifications",
                     json={"result": "matches", "notes": "一致"})["status"] == 404
    assert desk.call(station, "POST", f"/filings/{fid}/verifications",
                     json={"result": "matches", "notes": "一致"})["status"] == 201
    filed = desk.call(hai_li, "POST", f"/filings/{fid}/review")
    assert filed["status"] == 200 and filed["body"]["state"] == "filed", filed


def test_moving_back_hands_the_filing_back(desk: Desk, make_person: Callable[..., Person]) -> None:
    fid = desk.submit_complete()
    assert _move(desk, desk.wang, HAIDIAN_POINT)["status"] == 200
    hai_wang = make_person(Role.intake, "108")
    back = _move(desk, hai_wang, (desk.operator.lon, desk.operator.lat))
    assert back["status"] == 200 and back["body"]["filing_unit_code"] == "101"
    assert desk.call(hai_wang, "GET", f"/filings/{fid}")["status"] == 404
    assert desk.call(desk.wang, "POST", f"/filings/{fid}/accept")["status"] == 200
    handovers = desk.call(desk.wang, "GET", f"/filings/{fid}/handovers")["body"]
    assert [(h["from_filing_unit_code"], h["to_filing_unit_code"]) for h in handovers] == [("101", "108"),
                                                                                            ("108", "101")]


@pytest.mark.parametrize("stage", ["accepted", "correction_requested", "corrected"])
def test_an_undecided_accepted_filing_keeps_the_operator_where_it_is(desk: Desk, make_person: Callable[..., Person],
                                                                     session: Session, stage: str) -> None:
    fid = desk.submit_complete()
    number = desk.call(desk.wang, "POST", f"/filings/{fid}/accept")["body"]["number"]
    if stage != "accepted":
        notice = desk.call(desk.wang, "POST", f"/filings/{fid}/correction-notice",
                           json={"items": [{"item": "retention_days", "message": "存储期限不足"}]})
        assert notice["status"] == 201
    if stage == "corrected":
        assert desk.call(desk.hotel, "POST", f"/filings/{fid}/corrected")["status"] == 200
    before = desk.call(desk.wang, "GET", f"/operators/{desk.operator.id}")["body"]
    refused = _move(desk, desk.wang, HAIDIAN_POINT)
    assert refused["status"] == 409, refused
    error = refused["body"]["error"]
    assert error["field"] == "lon" and error["details"]["filings"] == [number]
    assert error["message"].startswith(f"不能变更位置：该使用单位有东城分局（101）已受理、尚未办结的备案 {number}")
    assert "海淀分局（108）" in error["message"] and "予以备案或不予备案" in error["message"]
    # Another routing field names itself: a city-built system would be filed by the city department.
    by_kind = desk.call(desk.wang, "PATCH", f"/operators/{desk.operator.id}",
                        json={"system_kind": "city_government", "place_kind": "road"})
    assert by_kind["status"] == 409 and by_kind["body"]["error"]["field"] == "system_kind"
    assert by_kind["body"]["error"]["message"].startswith("不能变更建设类型")
    # Nothing was written: the operator, the filing, the audit log are as they were.
    assert desk.call(desk.wang, "GET", f"/operators/{desk.operator.id}")["body"] == before
    assert desk.call(desk.wang, "GET", f"/filings/{fid}")["body"]["filing_unit_code"] == "101"
    assert _events(session, "operator.update", desk.operator.id) == []
    assert session.exec(select(FilingHandover)).all() == []
    session.commit()
    # A change that does not re-route still goes through.
    renamed = desk.call(desk.wang, "PATCH", f"/operators/{desk.operator.id}", json={"contact_name": "钱经理"})
    assert renamed["status"] == 200


def test_after_the_decision_the_operator_moves_and_the_filed_filing_stays_with_its_unit(
        desk: Desk, make_person: Callable[..., Person]) -> None:
    fid = desk.submit_complete()
    number = desk.call(desk.wang, "POST", f"/filings/{fid}/accept")["body"]["number"]
    assert _move(desk, desk.wang, HAIDIAN_POINT)["status"] == 409
    assert desk.file(fid)["status"] == 200
    assert _move(desk, desk.wang, HAIDIAN_POINT)["status"] == 200
    hai_wang = make_person(Role.intake, "108")
    shown = desk.call(hai_wang, "GET", f"/filings/{fid}")["body"]
    assert (shown["state"], shown["number"], shown["filing_unit_code"]) == ("filed", number, "101")
    assert desk.call(hai_wang, "GET", f"/filings/{fid}/handovers")["body"] == []


def test_a_move_between_stations_of_one_unit_hands_the_check_to_the_new_station(
        desk: Desk, make_person: Callable[..., Person]) -> None:
    fid = desk.submit_complete()
    desk.call(desk.wang, "POST", f"/filings/{fid}/accept")
    moved = _move(desk, desk.wang, OTHER_DONGCHENG_STATION)
    assert moved["status"] == 200, moved
    assert (moved["body"]["filing_unit_code"], moved["body"]["verifying_unit_code"]) == ("101", "11010104")
    handovers = desk.call(desk.wang, "GET", f"/filings/{fid}/handovers")["body"]
    assert [(h["from_filing_unit_code"], h["to_filing_unit_code"], h["from_verifying_unit_code"],
             h["to_verifying_unit_code"], h["state"]) for h in handovers] == [
        ("101", "101", "11010102", "11010104", "accepted")]
    # The old station no longer sees it; the new one records the 核对 and the unit files.
    assert desk.verify(fid)["status"] == 404
    station = make_person(Role.inspector, "11010104")
    assert desk.call(station, "POST", f"/filings/{fid}/verifications",
                     json={"result": "matches", "notes": "一致"})["status"] == 201
    assert desk.call(desk.li, "POST", f"/filings/{fid}/review")["body"]["state"] == "filed"


def test_a_draft_follows_the_operator_and_is_submitted_to_the_new_unit(desk: Desk,
                                                                       make_person: Callable[..., Person]) -> None:
    fid = _draft(desk)
    assert _move(desk, desk.wang, HAIDIAN_POINT)["status"] == 200
    _complete(desk, fid)
    submitted = desk.call(desk.hotel, "POST", f"/filings/{fid}/submit")
    assert submitted["status"] == 200 and submitted["body"]["filing_unit_code"] == "108"
    assert desk.call(desk.wang, "GET", f"/filings/{fid}")["status"] == 404
    assert desk.call(make_person(Role.intake, "108"), "POST", f"/filings/{fid}/accept")["status"] == 200


def test_a_draft_saved_before_an_unrecorded_move_goes_to_the_operators_unit_now(
        desk: Desk, make_person: Callable[..., Person], engine: Engine) -> None:
    """A draft whose stored unit is stale (moved before handovers existed) is submitted to the operator's unit."""
    fid = _draft(desk)
    _complete(desk, fid)
    with engine.begin() as conn:
        conn.execute(update(Filing).where(col(Filing.id) == fid).values(filing_unit_code="108"))
    assert desk.call(desk.hotel, "POST", f"/filings/{fid}/submit")["body"]["filing_unit_code"] == "101"
    assert desk.call(desk.wang, "POST", f"/filings/{fid}/accept")["status"] == 200


@pytest.mark.parametrize("backend", ["sqlite"])
def test_pages_the_new_unit_is_told_and_the_old_unit_loses_it(client: TestClient, desk: Desk,
                                                              make_person: Callable[..., Person], session: Session,
                                                              backend: str) -> None:
    fid = desk.submit_complete()
    assert _move(desk, desk.wang, HAIDIAN_POINT)["status"] == 200
    hai_wang = make_person(Role.intake, "108")
    token = sign_in(client, hai_wang)
    home = client.get("/").text
    assert "待受理的备案申请" in home and "其中 1 件由其他单位移交" in home
    queue = client.get("/desk").text
    assert f'href="/filings/{fid}"' in queue and "由 东城分局 移交" in queue
    page = client.get(f"/filings/{fid}")
    assert page.status_code == 200 and "移交记录" in page.text and 'id="do-accept"' in page.text
    assert "受理单位由 东城分局 移交 海淀分局" in page.text and "核对单位由" in page.text
    assert post_form(client, f"/filings/{fid}/accept", token).status_code == 303
    session.expire_all()
    assert session.get_one(Filing, fid).state == FilingState.accepted
    session.commit()
    # The old unit: not in its queue, the page is not found.
    sign_in(client, desk.wang)
    assert f'href="/filings/{fid}"' not in client.get("/desk").text
    assert client.get(f"/filings/{fid}").status_code == 404


def test_reroute_hands_over_holds_and_repairs(client: TestClient, make_operator: Callable[..., Operator],
                                              make_person: Callable[..., Person], engine: Engine) -> None:
    """After a layer change: an operator routed to 108 by the old layers goes back to 101 with its submitted
    filing; one whose filing 108 accepted stays at 108 (held); a filing stranded at 108 by an old move is handed
    to its operator's unit."""
    follows, keeps, stray = (Desk(client, make_operator(), make_person) for _ in range(3))
    hai_wang = make_person(Role.intake, "108")
    follows_fid, keeps_fid, stray_fid = follows.submit_complete(), keeps.submit_complete(), stray.submit_complete()
    with engine.begin() as conn:
        stale = {"filing_unit_code": "108", "verifying_unit_code": "11010821", "station_id": "11010821",
                 "district_code": "110108"}
        conn.execute(update(Operator).where(col(Operator.id).in_([follows.operator.id, keeps.operator.id]))
                     .values(**stale))
        conn.execute(update(Filing).values(filing_unit_code="108"))
    number = keeps.call(hai_wang, "POST", f"/filings/{keeps_fid}/accept")["body"]["number"]
    with Session(engine) as session:
        report = reroute_all(session, actor=None)
        session.commit()
    assert report.held == {keeps.operator.id: [number]}
    assert report.filings_handed_over == 2 and report.stranded == []
    assert report.moves == {"108→101": 1}
    with Session(engine) as session:
        units = {o.id: o.filing_unit_code for o in session.exec(select(Operator)).all()}
        assert units == {follows.operator.id: "101", keeps.operator.id: "108", stray.operator.id: "101"}
        filings = {f.id: f.filing_unit_code for f in session.exec(select(Filing)).all()}
        assert filings == {follows_fid: "101", keeps_fid: "108", stray_fid: "101"}
        causes = {(h.filing_id, h.cause.value, h.by_id) for h in session.exec(select(FilingHandover)).all()}
        assert causes == {(follows_fid, "reroute", None), (stray_fid, "reroute", None)}
    assert follows.call(follows.wang, "POST", f"/filings/{follows_fid}/accept")["status"] == 200
    assert stray.call(stray.wang, "POST", f"/filings/{stray_fid}/accept")["status"] == 200
    # Once 108 decides, the next reroute moves the held operator.
    keeps.call(hai_wang, "POST", f"/filings/{keeps_fid}/reject", json={"reason": "系统已拆除"})
    with Session(engine) as session:
        again = reroute_all(session, actor=None)
        session.commit()
    assert again.held == {} and again.moves == {"108→101": 1}


# --- two officers at once (PostgreSQL: real row locks; SQLite serialises every writer anyway) -----------------

def _in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except DomainError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _move_in(engine: Engine, desk: Desk) -> Callable[[], Any]:
    def work() -> Any:
        with Session(engine, expire_on_commit=False) as session:
            moved = operators_service.update(session, actor=desk.wang.actor, operator_id=desk.operator.id,
                                             data=OperatorUpdate(lon=HAIDIAN_POINT[0], lat=HAIDIAN_POINT[1]))
            session.commit()
            return moved.filing_unit_code
    return work


def _blocked(thread: threading.Thread) -> bool:
    time.sleep(0.6)
    return thread.is_alive()


@pytest.mark.parametrize("backend", ["postgres"])
def test_an_acceptance_under_way_makes_a_concurrent_move_refuse(desk: Desk, engine: Engine, backend: str) -> None:
    fid = desk.submit_complete()
    with Session(engine, expire_on_commit=False) as accepting:
        filings_service.accept(accepting, actor=desk.wang.actor, filing_id=fid)
        thread, outcome = _in_thread(_move_in(engine, desk))
        assert _blocked(thread), "the move did not wait for the acceptance"
        accepting.commit()
    thread.join(10)
    assert isinstance(outcome.get("error"), Conflict), outcome
    with Session(engine) as session:
        assert session.get_one(Operator, desk.operator.id).filing_unit_code == "101"
        assert session.get_one(Filing, fid).state == FilingState.accepted


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_move_under_way_makes_a_concurrent_acceptance_refuse(desk: Desk, engine: Engine, backend: str) -> None:
    fid = desk.submit_complete()
    with Session(engine, expire_on_commit=False) as moving:
        operators_service.update(moving, actor=desk.wang.actor, operator_id=desk.operator.id,
                                 data=OperatorUpdate(lon=HAIDIAN_POINT[0], lat=HAIDIAN_POINT[1]))

        def accept() -> Any:
            with Session(engine) as session:
                return filings_service.accept(session, actor=desk.li.actor, filing_id=fid).number

        thread, outcome = _in_thread(accept)
        assert _blocked(thread), "the acceptance did not wait for the move"
        moving.commit()
    thread.join(10)
    assert isinstance(outcome.get("error"), (Forbidden, NotFound)), outcome
    with Session(engine) as session:
        filing = session.get_one(Filing, fid)
        assert (filing.state, filing.filing_unit_code) == (FilingState.submitted, "108")


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_submission_during_a_move_goes_to_the_new_unit(desk: Desk, engine: Engine, settings: Settings,
                                                         backend: str) -> None:
    with Session(engine, expire_on_commit=False) as moving:
        operators_service.update(moving, actor=desk.wang.actor, operator_id=desk.operator.id,
                                 data=OperatorUpdate(lon=HAIDIAN_POINT[0], lat=HAIDIAN_POINT[1]))

        def submit() -> Any:
            with Session(engine, expire_on_commit=False) as session:
                filing = filings_service.submit(session, actor=desk.hotel.actor, settings=settings,
                                                data=FilingCreate.model_validate(_form(desk.operator.id)))
                session.commit()
                return filing.filing_unit_code

        thread, outcome = _in_thread(submit)
        assert _blocked(thread), "the submission did not wait for the move"
        moving.commit()
    thread.join(10)
    assert outcome.get("value") == "108", outcome
