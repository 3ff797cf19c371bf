"""Inspection pages: the due list, 新建检查 with its two-officer rule, the record form, the 检查笔录 PDF,
rectification follow-up, the 科信 review window, the city's spot checks and the operator's own view."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from registry.auth.models import Role
from registry.inspections.models import Inspection, InspectionState, Rectification, RectificationState
from registry.operators.models import Operator
from tests.registry import pdf_tools
from tests.registry.conftest import Person
from tests.registry.page_helpers import post_form, sign_in
from tests.registry.test_filing_workflow import PNG
from tests.registry.test_inspections import Site, set_filed_at, set_today

TODAY = dt.date(2026, 12, 5)


@pytest.fixture
def site(client: TestClient, engine: Engine, make_operator: Callable[..., Operator],
         make_person: Callable[..., Person]) -> Site:
    """东城's hotel, filed early in 2026 (so due in both half-years), seen on 5 December 2026."""
    set_today(client, TODAY)
    built = Site(client, make_operator(), make_person)
    set_filed_at(engine, built.filing_id, dt.datetime(2026, 1, 10, 2, tzinfo=dt.UTC))
    return built


def _lines(client: TestClient, inspection_id: int, person: Person) -> list[str]:
    body = client.get(f"/api/v1/inspections/{inspection_id}", headers=person.headers).json()
    return [i["key"] for i in body["items"]]


def _open_by_form(client: TestClient, site: Site, token: str, **changes: Any) -> Any:
    data: dict[str, Any] = {"operator_id": site.operator.id, "kind": "periodic", "inspected_on": TODAY.isoformat(),
                            "officer_ids": [site.zhang.user.id, site.zhao.user.id]}
    data.update(changes)
    return post_form(client, "/inspections/new", token, data)


def _answers(keys: list[str], hazard: str | None = None, note: str = "") -> dict[str, str]:
    data = {f"result_{k}": "ok" for k in keys}
    if hazard:
        data[f"result_{hazard}"], data[f"note_{hazard}"] = "hazard", note
    return data


def _record(client: TestClient, site: Site, token: str, *, hazard: bool) -> int:
    """An inspection opened and recorded through the pages (signed); its id."""
    opened = _open_by_form(client, site, token)
    assert opened.status_code == 303, opened.text
    inspection_id = int(opened.headers["location"].rsplit("/", 1)[1])
    keys = _lines(client, inspection_id, site.zhang)
    answers = _answers(keys, "signage" if hazard else None, "大堂入口未设置提示标识")
    done = post_form(client, f"/inspections/{inspection_id}/record", token, {
        **answers, "representative_name": "赵经理", "signature": "signed", "findings": "检查监控室"})
    assert done.status_code == 303, done.text
    return inspection_id


# --- the due list and the menu -------------------------------------------------------------------------------

def test_the_due_list_shows_the_operator_with_links_to_it_and_to_a_new_inspection(
        client: TestClient, site: Site) -> None:
    sign_in(client, site.zhang)
    home = client.get("/")
    assert 'href="/inspections/due"' in home.text and ">检查<" in home.text
    assert 'href="/spot-checks"' not in home.text  # the city department's work only
    page = client.get("/inspections/due")
    assert page.status_code == 200
    row = re.search(rf'<tr>\s*<td><a href="/operators/{site.operator.id}">.*?</tr>', page.text, re.S)
    assert row, page.text
    assert "从未检查" in row.group(0) and f'href="/inspections/new?operator_id={site.operator.id}"' in row.group(0)
    assert site.operator.name in client.get("/inspections/due?status=never_inspected").text
    assert site.operator.name not in client.get("/inspections/due?status=done").text
    assert site.operator.name not in client.get("/inspections/due?q=没有这个单位").text
    # The first half-year is over: never inspected in it → overdue.
    assert "逾期未检" in client.get("/inspections/due?half=2026H1&status=overdue").text
    bad = client.get("/inspections/due?half=2026H3")
    assert bad.status_code == 200 and "半年度格式应为" in bad.text


def test_the_due_list_of_another_branch_is_refused(client: TestClient, site: Site,
                                                   make_person: Callable[..., Person]) -> None:
    sign_in(client, make_person(Role.inspector, "108"))
    assert client.get("/inspections/due?unit_code=101").status_code == 403
    assert site.operator.name not in client.get("/inspections/due").text


# --- 新建检查: at least two distinct officers of the unit ---------------------------------------------------------

def test_one_officer_or_the_same_officer_twice_is_refused_beside_the_field(
        client: TestClient, site: Site, make_person: Callable[..., Person]) -> None:
    token = sign_in(client, site.zhang)
    form = client.get(f"/inspections/new?operator_id={site.operator.id}")
    assert form.status_code == 200 and site.zhao.user.full_name in form.text and site.operator.name in form.text
    zhang = site.zhang.user.id
    alone = _open_by_form(client, site, token, officer_ids=[zhang])
    assert alone.status_code == 422
    assert re.search(r'id="e-officer_ids">[^<]*不少于二名民警', alone.text)
    twice = _open_by_form(client, site, token, officer_ids=[zhang, zhang])
    assert twice.status_code == 422 and re.search(r'id="e-officer_ids">[^<]*同一民警不能重复', twice.text)
    stranger = make_person(Role.inspector, "108")
    outside = _open_by_form(client, site, token, officer_ids=[zhang, stranger.user.id])
    assert outside.status_code == 422 and re.search(r'id="e-officer_ids">[^<]*不是本单位在职民警', outside.text)
    future = _open_by_form(client, site, token, inspected_on="2026-12-06")
    assert future.status_code == 422 and re.search(r'id="e-inspected_on">[^<]*不能晚于今天', future.text)
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        assert session.exec(select(Inspection)).first() is None
    by_code = post_form(client, "/inspections/new", token, {"uscc": site.operator.uscc, "kind": "special",
                                                            "officer_ids": [zhang, site.zhao.user.id]})
    assert by_code.status_code == 303 and by_code.headers["location"].startswith("/inspections/")


def test_an_operator_and_a_leader_may_not_open_an_inspection(client: TestClient, site: Site,
                                                              make_person: Callable[..., Person]) -> None:
    for person in (make_person(Role.operator, operator_id=site.operator.id), make_person(Role.leader, "101")):
        token = sign_in(client, person)
        assert client.get("/inspections/new").status_code == 403
        assert _open_by_form(client, site, token).status_code == 403


# --- the record ----------------------------------------------------------------------------------------------

def test_an_inspection_from_the_form_to_the_signed_record_and_its_pdf(client: TestClient, site: Site) -> None:
    token = sign_in(client, site.zhang)
    opened = _open_by_form(client, site, token)
    assert opened.status_code == 303
    url = opened.headers["location"]
    inspection_id = int(url.rsplit("/", 1)[1])
    page = client.get(url)
    assert page.status_code == 200 and 'id="record-form"' in page.text and "提示标识" in page.text
    keys = _lines(client, inspection_id, site.zhang)
    assert "signage" in keys
    # A hazard without a note: refused beside its line; nothing saved.
    bare = post_form(client, f"{url}/items", token, _answers(keys, "signage", ""))
    assert bare.status_code == 422 and re.search(r'id="e-note_signage">[^<]*须写明', bare.text)
    saved = post_form(client, f"{url}/items", token, _answers(keys[:3]))
    assert saved.status_code == 303 and "已保存" not in saved.text
    assert 'value="ok" checked' in client.get(url).text
    # The scan of the site, chosen among the operator's scans, with its reconciliation on the page.
    scan_id = site.scan()
    assert f'<option value="{scan_id}"' in client.get(url).text
    attached = post_form(client, f"{url}/scan", token, {"scan_id": scan_id})
    assert attached.status_code == 303
    shown = client.get(url).text
    assert 'id="scan-summary"' in shown and "未备案 1 台" in shown and f'href="/scans/{scan_id}"' in shown
    # A photo.
    photo = post_form(client, f"{url}/photos", token, {"caption": "大堂入口"},
                      files={"file": ("门口.png", PNG, "image/png")})
    assert photo.status_code == 303
    listed = client.get(url).text
    photo_link = re.search(rf'href="(/inspections/{inspection_id}/photos/\d+)"', listed)
    assert photo_link and "大堂入口" in listed
    opened_photo = client.get(photo_link.group(1))
    assert opened_photo.status_code == 200 and opened_photo.content == PNG
    # Not every line answered / a refusal without its note: refused, the typed values kept.
    partial = post_form(client, f"{url}/record", token, {"representative_name": "赵经理", "signature": "signed"})
    assert partial.status_code == 422 and "项未填写" in partial.text
    refused = post_form(client, f"{url}/record", token, {**_answers(keys, "signage", "未设置提示标识"),
                                                         "representative_name": "赵经理", "signature": "refused"})
    assert refused.status_code == 422 and re.search(r'id="e-refusal_note">[^<]*拒绝签名', refused.text)
    assert 'value="未设置提示标识"' in refused.text
    no_choice = post_form(client, f"{url}/record", token, {**_answers(keys), "representative_name": "赵经理"})
    assert no_choice.status_code == 422 and 'id="e-signature"' in no_choice.text
    done = post_form(client, f"{url}/record", token, {
        **_answers(keys, "signage", "大堂入口未设置提示标识"), "representative_name": "赵经理",
        "representative_title": "保卫部经理", "signature": "refused", "refusal_note": "赵经理称需请示总经理，拒绝签名",
        "findings": "检查监控室及大堂", "rectification_workdays": "5"})
    assert done.status_code == 303, done.text
    final = client.get(url)
    assert final.status_code == 200 and 'id="record-form"' not in final.text
    assert f'href="/inspections/{inspection_id}/record.pdf"' in final.text and "打印整改通知书" in final.text
    assert "拒绝签名" in final.text and "赵经理称需请示总经理" in final.text
    # Closed: no more changes.
    assert post_form(client, f"{url}/items", token, _answers(keys)).status_code == 409
    pdf = client.get(f"{url}/record.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_tools.text(pdf.content).replace("\n", "").replace(" ", "")
    for expected in ("检查笔录", site.operator.name, "大堂入口未设置提示标识", "拒绝签名", "未备案1台"):
        assert expected in text, expected
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        inspection = session.get_one(Inspection, inspection_id)
        notice = session.exec(select(Rectification).where(Rectification.inspection_id == inspection_id)).one()
    assert inspection.state == InspectionState.refused and inspection.scan_id == scan_id and notice.workdays == 5
    notice_pdf = client.get(f"/rectifications/{notice.id}/notice.pdf")
    assert notice_pdf.status_code == 200 and "整改通知书" in pdf_tools.text(notice_pdf.content).replace(" ", "")
    # The due list now counts the operator as inspected.
    assert site.operator.name in client.get("/inspections/due?status=done").text


def test_only_the_inspections_officers_record_it(client: TestClient, site: Site,
                                                 make_person: Callable[..., Person]) -> None:
    opened = site.open(TODAY)
    colleague = make_person(Role.inspector, site.station)
    token = sign_in(client, colleague)
    page = client.get(f"/inspections/{opened['id']}")
    assert page.status_code == 200 and 'id="record-form"' not in page.text
    assert post_form(client, f"/inspections/{opened['id']}/items", token, {"result_signage": "ok"}).status_code == 403
    assert post_form(client, f"/inspections/{opened['id']}/photos", token, {}).status_code == 403


# --- rectification ----------------------------------------------------------------------------------------------

def test_rectifications_open_overdue_and_a_follow_up_that_closes_one(client: TestClient, site: Site) -> None:
    token = sign_in(client, site.zhang)
    first = _record(client, site, token, hazard=True)
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        notice = session.exec(select(Rectification).where(Rectification.inspection_id == first)).one()
    listed = client.get("/rectifications?status=open")
    assert listed.status_code == 200 and notice.number in listed.text
    assert notice.number not in client.get("/rectifications?status=overdue").text
    set_today(client, notice.due_date + dt.timedelta(days=1))
    late = client.get("/rectifications?status=overdue")
    assert notice.number in late.text and "已逾期" in late.text
    page = client.get(f"/rectifications/{notice.id}")
    assert page.status_code == 200 and "大堂入口未设置提示标识" in page.text
    assert "新建复查检查" in page.text and 'name="outcome"' not in page.text  # no later inspection yet
    second = _record(client, site, token, hazard=False)
    follow = client.get(f"/rectifications/{notice.id}")
    assert f'<option value="{second}"' in follow.text
    missing = post_form(client, f"/rectifications/{notice.id}/follow-up", token,
                        {"inspection_id": second, "note": "已设置"})
    assert missing.status_code == 422 and 'id="e-outcome"' in missing.text
    own = post_form(client, f"/rectifications/{notice.id}/follow-up", token,
                    {"inspection_id": first, "outcome": "closed", "note": "已设置"})
    assert own.status_code == 422 and re.search(r'id="e-inspection_id">[^<]*另一次检查', own.text)
    closed = post_form(client, f"/rectifications/{notice.id}/follow-up", token,
                       {"inspection_id": second, "outcome": "closed", "note": "已在大堂入口设置提示标识"})
    assert closed.status_code == 303
    assert "已整改" in client.get(f"/rectifications/{notice.id}").text
    assert notice.number in client.get("/rectifications?status=closed").text
    assert notice.number not in client.get("/rectifications?status=open").text
    again = post_form(client, f"/rectifications/{notice.id}/follow-up", token,
                      {"inspection_id": second, "outcome": "escalated", "note": "x"})
    assert again.status_code == 409 and "已办结" in again.text


def test_a_follow_up_that_escalates_offers_the_penalty_case(client: TestClient, site: Site) -> None:
    token = sign_in(client, site.zhang)
    first = _record(client, site, token, hazard=True)
    second = _record(client, site, token, hazard=True)
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        notice = session.exec(select(Rectification).where(Rectification.inspection_id == first)).one()
    escalated = post_form(client, f"/rectifications/{notice.id}/follow-up", token,
                          {"inspection_id": second, "outcome": "escalated", "note": "逾期仍未设置"})
    assert escalated.status_code == 303
    page = client.get(f"/rectifications/{notice.id}").text
    assert "转行政处罚" in page and f'href="/penalties/new?operator_id={site.operator.id}"' in page
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        assert session.get_one(Rectification, notice.id).state == RectificationState.escalated


# --- the 科信 review window ------------------------------------------------------------------------------------

def test_the_review_is_offered_only_in_its_window_and_refused_outside_with_its_dates(
        client: TestClient, site: Site, make_person: Callable[..., Person]) -> None:
    set_today(client, dt.date(2026, 10, 9))
    inspection = site.complete(dt.date(2026, 10, 9))
    reviewer = make_person(Role.reviewer, "101")
    token = sign_in(client, reviewer)
    assert ">科信复查<" in client.get("/").text
    page = client.get("/inspections/review")
    assert page.status_code == 200 and inspection["number"] in page.text and 'class="inline review-form"' in page.text
    empty = post_form(client, f"/inspections/{inspection['id']}/review", token, {"comment": ""})
    assert empty.status_code == 422 and "请填写复查意见" in empty.text
    done = post_form(client, f"/inspections/{inspection['id']}/review", token, {"comment": "笔录完整，隐患已列明"})
    assert done.status_code == 303
    reviewed = client.get("/inspections/review").text
    assert "已复查" in reviewed and "笔录完整，隐患已列明" in reviewed and "1（100%）" in reviewed
    # After the window: the page offers no form, and the server refuses with the windows' dates.
    set_today(client, dt.date(2026, 10, 26))
    closed = client.get("/inspections/review")
    assert "review-form" not in closed.text and "6月1日至6月15日、10月8日至10月25日" in closed.text
    refused = post_form(client, f"/inspections/{inspection['id']}/review", token, {"comment": "再看"})
    assert refused.status_code == 409
    assert "6月1日至6月15日、10月8日至10月25日" in refused.text and "不在复查期内" in refused.text
    # An inspector may read the list but not review.
    inspector_token = sign_in(client, site.zhang)
    set_today(client, dt.date(2026, 10, 9))
    assert "review-form" not in client.get("/inspections/review").text
    assert post_form(client, f"/inspections/{inspection['id']}/review", inspector_token,
                     {"comment": "x"}).status_code == 403


# --- the city's spot checks -----------------------------------------------------------------------------------

def test_spot_checks_draw_a_seeded_sample_in_their_window_and_record_findings(
        client: TestClient, site: Site, make_person: Callable[..., Person]) -> None:
    set_today(client, dt.date(2026, 10, 1))
    inspections = [site.complete(dt.date(2026, 9, d)) for d in (1, 2, 3)]
    city = make_person(Role.supervisor, "001")
    token = sign_in(client, city)
    assert 'href="/spot-checks"' in client.get("/").text
    outside = client.get("/spot-checks")
    assert outside.status_code == 200 and 'method="post" action="/spot-checks"' not in outside.text
    assert "6月16日至6月30日、10月26日至11月10日" in outside.text
    refused = post_form(client, "/spot-checks", token, {"size": "2", "seed": "s2026"})
    assert refused.status_code == 409 and "6月16日至6月30日、10月26日至11月10日" in refused.text
    set_today(client, dt.date(2026, 10, 27))
    page = client.get("/spot-checks")
    assert 'method="post" action="/spot-checks"' in page.text and "3 次检查" in page.text
    drawn = post_form(client, "/spot-checks", token, {"size": "2", "seed": "s2026"})
    assert drawn.status_code == 303, drawn.text
    draw_url = drawn.headers["location"]
    shown = client.get(draw_url)
    sampled = [i for i in inspections if i["number"] in shown.text]
    assert len(sampled) == 2 and "s2026" in shown.text
    from registry.inspections.spotcheck import draw_sample
    assert sorted(i["id"] for i in sampled) == draw_sample([i["id"] for i in inspections], seed="s2026", size=2)
    assert 'method="post" action="/spot-checks"' not in client.get("/spot-checks").text  # one draw per window
    blank = post_form(client, f"{draw_url}/findings", token, {"inspection_id": sampled[0]["id"], "finding": "符合"})
    assert blank.status_code == 422 and "请选择检查工作是否符合要求" in blank.text
    unsampled = next(i for i in inspections if i not in sampled)
    wrong = post_form(client, f"{draw_url}/findings", token,
                      {"inspection_id": unsampled["id"], "conforming": "yes", "finding": "x"})
    assert wrong.status_code == 422 and "不在本期抽查样本中" in wrong.text
    found = post_form(client, f"{draw_url}/findings", token,
                      {"inspection_id": sampled[0]["id"], "conforming": "no", "finding": "未附核查比对结果"})
    assert found.status_code == 303
    assert "不符合要求" in client.get(draw_url).text
    # After the window: recorded findings stay, no forms, the server refuses with the dates.
    set_today(client, dt.date(2026, 11, 11))
    later = client.get(draw_url)
    assert "finding-form" not in later.text and "未附核查比对结果" in later.text
    late = post_form(client, f"{draw_url}/findings", token,
                     {"inspection_id": sampled[1]["id"], "conforming": "yes", "finding": "x"})
    assert late.status_code == 409 and "10月26日至11月10日" in late.text
    # Completion per unit of the half-year.
    completion = client.get("/spot-checks").text
    assert site.station in completion or "已检" in completion


def test_spot_checks_are_the_city_departments(client: TestClient, site: Site,
                                              make_person: Callable[..., Person]) -> None:
    branch = make_person(Role.supervisor, "101")
    token = sign_in(client, branch)
    assert 'href="/spot-checks"' not in client.get("/").text
    assert client.get("/spot-checks").status_code == 403
    assert post_form(client, "/spot-checks", token, {"size": "2"}).status_code == 403


# --- the operator's own view ------------------------------------------------------------------------------------

def test_the_operator_sees_its_inspections_and_notices_read_only(
        client: TestClient, site: Site, make_person: Callable[..., Person],
        make_operator: Callable[..., Operator]) -> None:
    token = sign_in(client, site.zhang)
    inspection_id = _record(client, site, token, hazard=True)
    hotel = site.desk.hotel
    sign_in(client, hotel)
    assert 'href="/apply/inspections"' in client.get("/").text
    own = client.get("/apply/inspections")
    assert own.status_code == 200 and "大堂入口未设置提示标识" in own.text
    assert f'href="/apply/inspections/{inspection_id}"' in own.text
    detail = client.get(f"/apply/inspections/{inspection_id}")
    assert detail.status_code == 200 and "<form" not in detail.text.split("<main>", 1)[1]
    assert "存在隐患" in detail.text and f'href="/inspections/{inspection_id}/record.pdf"' in detail.text
    pdf = client.get(f"/inspections/{inspection_id}/record.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert client.get(f"/inspections/{inspection_id}").status_code == 403  # the unit's page, not the operator's
    other = make_person(Role.operator, operator_id=make_operator().id)
    sign_in(client, other)
    assert client.get(f"/apply/inspections/{inspection_id}").status_code == 404
    assert "大堂入口未设置提示标识" not in client.get("/apply/inspections").text

