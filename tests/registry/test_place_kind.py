"""Rules 1 and 2 by place, not only by builder (issue 13 point 7; the notice, section 一: the government's systems
"负责建设的交通道路、广场等公共场所"): the kind of place is asked in the API, the import and the filing form, and a
government-built system in an office building is routed by the ordinary rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from registry.auth.models import Role
from registry.imports.columns import Kind
from registry.operators.models import Operator
from registry.reroute import reroute_all
from registry.uscc import make_uscc
from tests.registry.conftest import Person, operator_data
from tests.registry.page_helpers import post_form, sign_in
from tests.registry.test_apply_pages import FORM, stored
from tests.registry.test_filing_workflow import Desk
from tests.registry.test_imports import sheet_bytes, upload


@pytest.fixture
def backend() -> str:
    """SQLite only: the routing is the same on both backends; migration 0013 runs on both in every session."""
    return "sqlite"


@pytest.fixture
def city_admin(make_person: Callable[..., Person]) -> Person:
    return make_person(Role.admin, "001")


def _create(client: TestClient, person: Person, n: int = 700, **changes: object) -> dict[str, Any]:
    data = operator_data(n, **changes).model_dump(mode="json")
    response = client.post("/api/v1/operators", json=data, headers=person.headers)
    return {"status": response.status_code, "body": response.json()}


@pytest.mark.parametrize(("system_kind", "place_kind", "rule", "filing_unit"), [
    ("city_government", "road", 1, "001"),
    ("city_government", "public_place", 1, "001"),
    ("district_government", "road", 2, "101"),
    ("district_government", "public_place", 2, "101"),
])
def test_a_government_built_road_or_square_system_is_filed_by_rule_1_or_2(
        client: TestClient, city_admin: Person, system_kind: str, place_kind: str, rule: int,
        filing_unit: str) -> None:
    body = _create(client, city_admin, system_kind=system_kind, place_kind=place_kind)["body"]
    assert body["place_kind"] == place_kind
    assert (body["routing_rule"], body["filing_unit_code"], body["verifying_unit_code"]) == (rule, filing_unit,
                                                                                             filing_unit)
    assert body["routing_flags"] == []


@pytest.mark.parametrize("system_kind", ["city_government", "district_government"])
def test_a_government_built_system_in_an_office_building_is_routed_by_the_ordinary_rule(
        client: TestClient, city_admin: Person, system_kind: str) -> None:
    body = _create(client, city_admin, system_kind=system_kind, place_kind="internal")["body"]
    assert body["routing_rule"] == 5 and body["filing_unit_code"] == "101"
    assert body["verifying_unit_code"] == body["station_id"] and body["station_id"].startswith("110101")
    assert "government_internal" in body["routing_flags"]
    assert "办公楼" in body["routing_explanation"] and "规则5" in body["routing_explanation"]
    # With a security affiliation the ordinary rules mean that corps' business department (rule 3).
    corps = _create(client, city_admin, n=701, system_kind=system_kind, place_kind="internal",
                    affiliation_code="011")["body"]
    assert (corps["routing_rule"], corps["filing_unit_code"], corps["verifying_unit_code"]) == (3, "011", "011")
    assert "affiliation_ignored" not in corps["routing_flags"]


def test_a_government_built_system_must_say_where_it_is(client: TestClient, city_admin: Person) -> None:
    refused = _create(client, city_admin, system_kind="district_government")
    assert refused["status"] == 422 and refused["body"]["error"]["field"] == "place_kind"
    assert "场所类型" in refused["body"]["error"]["message"]
    # An ordinary operator need not: its routing does not depend on the place.
    assert _create(client, city_admin, n=702)["status"] == 201


def test_declaring_an_office_building_reroutes_and_the_builder_change_asks_the_place(
        client: TestClient, city_admin: Person, make_operator: Callable[..., Operator]) -> None:
    operator = make_operator(system_kind="city_government", place_kind="road")
    assert operator.routing_rule == 1
    moved = client.patch(f"/api/v1/operators/{operator.id}", headers=city_admin.headers,
                         json={"place_kind": "internal"})
    assert moved.status_code == 200
    assert moved.json()["routing_rule"] == 5 and moved.json()["filing_unit_code"] == "101"
    ordinary = make_operator()
    refused = client.patch(f"/api/v1/operators/{ordinary.id}", headers=city_admin.headers,
                           json={"system_kind": "district_government"})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "place_kind"


def test_an_operator_registered_before_the_question_keeps_its_routing(
        engine: Engine, make_operator: Callable[..., Operator], city_admin: Person) -> None:
    """Migration 0013 leaves place_kind NULL: a government-built operator keeps rules 1/2, flagged, on re-routing."""
    operator = make_operator(system_kind="district_government", place_kind="road")
    with Session(engine) as session:
        row = session.get_one(Operator, operator.id)
        row.place_kind = None
        session.add(row)
        session.commit()
        reroute_all(session, actor=city_admin.actor)
        session.commit()
        row = session.get_one(Operator, operator.id)
        assert (row.routing_rule, row.filing_unit_code) == (2, "101")
        assert "place_kind_unspecified" in row.routing_flags and "场所类型未申报" in row.routing_explanation


def test_the_operator_import_asks_the_place(client: TestClient, make_person: Callable[..., Person],
                                            engine: Engine) -> None:
    wang = make_person(Role.intake, "101")
    base = {"address": "北京市东城区机关路1号", "industry_code": "12", "contact_name": "钱科长",
            "contact_phone": "010-6500 0000", "lon": 116.417, "lat": 39.929, "system_kind": "区政府建设"}
    rows = [{**base, "name": "东城区政府办公楼视频监控", "uscc": make_uscc(7101), "place_kind": "单位内部（办公楼等）"},
            {**base, "name": "东城区道路视频监控", "uscc": make_uscc(7102), "place_kind": "交通道路"}]
    body = upload(client, wang, Kind.operators, sheet_bytes(Kind.operators, rows, "xlsx"), "xlsx")
    assert body["created"] == 2, body
    with Session(engine) as session:
        found = {o.uscc: o for o in session.exec(select(Operator)).all()}
    assert found[make_uscc(7101)].routing_rule == 5 and found[make_uscc(7102)].routing_rule == 2
    refused = upload(client, wang, Kind.operators, sheet_bytes(Kind.operators, [
        {**base, "name": "东城区某系统", "uscc": make_uscc(7103), "place_kind": ""}], "xlsx"), "xlsx")
    assert not refused["committed"] and "(place_kind)" in refused["notes"][0]["message"]


def test_the_filing_form_asks_the_place_and_shows_where_it_routes(
        client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person],
        session: Session) -> None:
    desk = Desk(client, make_operator(system_kind="district_government", place_kind="road"), make_person)
    token = sign_in(client, desk.hotel)
    page = client.get("/apply/new").text
    assert 'name="place_kind"' in page and "单位内部（办公楼等）" in page
    assert '<option value="road" selected>' in page, "defaults to the operator's registered place"
    preview = client.get("/apply/route", params={"site_lon": "116.417", "site_lat": "39.947", "site_datum": "wgs84",
                                                "place_kind": "internal"}).text
    # Still 东城分局 files, but the station verifies instead of the branch: the operator is told.
    assert "第 5 条规则" in preview and "与本单位登记的核对单位" in preview
    road = client.get("/apply/route", params={"site_lon": "116.417", "site_lat": "39.947", "site_datum": "wgs84",
                                             "place_kind": "road"}).text
    assert "第 2 条规则" in road and "与本单位登记的" not in road
    response = post_form(client, "/apply/new", token, {**FORM, "place_kind": "internal"})
    assert response.status_code == 303, response.text
    fid = int(response.headers["location"].rsplit("/", 1)[1])
    assert stored(session, fid).place_kind == "internal"
    assert "单位内部（办公楼等）" in client.get(f"/apply/{fid}").text


def test_the_desk_registers_a_district_office_building_system_by_the_ordinary_rule(
        client: TestClient, engine: Engine, make_person: Callable[..., Person]) -> None:
    """At 东城分局's window: the district government's office building is the station's to verify (rule 5);
    without a place the form says so beside 场所类型; its road system is also the branch's own (rule 2)."""
    from tests.registry.test_desk_intake_pages import operator_form
    from tests.registry.test_desk_pages import error_beside

    wang = make_person(Role.intake, "101")
    token = sign_in(client, wang)
    assert 'name="place_kind"' in client.get("/desk/new").text
    government = {"system_kind": "district_government", "industry_code": "50"}
    where = {"lon": "116.417", "lat": "39.929", "system_kind": "district_government"}
    assert "请选择场所类型" in client.get("/desk/route", params=where).text
    assert "规则5" in client.get("/desk/route", params={**where, "place_kind": "internal"}).text
    assert "规则2" in client.get("/desk/route", params={**where, "place_kind": "road"}).text
    missing = post_form(client, "/desk/operators", token, operator_form(71, **government))
    assert missing.status_code == 422 and "场所类型" in error_beside(missing.text, "place_kind")
    created = post_form(client, "/desk/operators", token, operator_form(71, **government, place_kind="internal"))
    assert created.status_code == 303, created.text
    road = post_form(client, "/desk/operators", token, operator_form(72, **government, place_kind="road"))
    assert road.status_code == 303, road.text
    with Session(engine) as session:
        office = session.get_one(Operator, int(created.headers["location"].rsplit("/", 1)[1]))
        street = session.get_one(Operator, int(road.headers["location"].rsplit("/", 1)[1]))
    assert (office.routing_rule, office.filing_unit_code, office.verifying_unit_code) == (5, "101",
                                                                                          office.station_id)
    assert (street.routing_rule, street.verifying_unit_code) == (2, "101")
    page = client.get(f"/desk/new/{office.id}").text
    assert '<option value="internal" selected>' in page and "第 5 条规则" in page
