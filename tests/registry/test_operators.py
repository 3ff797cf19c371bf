"""Operators: credit codes checked, locations stored in WGS-84, responsibility routed and re-routed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from registry.auth.models import Role
from registry.operators.models import Operator
from tests.registry.conftest import DONGCHENG_POINT, HAIDIAN_POINT, Person, operator_data


@pytest.fixture
def city_admin(make_person: Callable[..., Person]) -> Person:
    return make_person(Role.admin, "001")


def _create(client: TestClient, person: Person, **changes: object) -> dict:  # type: ignore[type-arg]
    data = operator_data(900, **changes).model_dump(mode="json")
    response = client.post("/api/v1/operators", json=data, headers=person.headers)
    return {"status": response.status_code, "body": response.json()}


def test_bad_credit_code_names_the_field(client: TestClient, city_admin: Person) -> None:
    good = operator_data(900).uscc
    broken = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = _create(client, city_admin, uscc=broken)
    assert response["status"] == 422
    assert response["body"]["error"]["field"] == "uscc"


def test_duplicate_credit_code_is_a_conflict(client: TestClient, city_admin: Person) -> None:
    assert _create(client, city_admin)["status"] == 201
    again = _create(client, city_admin)
    assert again["status"] == 409 and again["body"]["error"]["field"] == "uscc"


@pytest.mark.parametrize(("changes", "rule", "filing_unit", "verifying"), [
    ({}, 5, "101", "station"),
    ({"affiliation_code": "011"}, 3, "011", "011"),
    ({"affiliation_code": "021"}, 4, "021", "021"),
    ({"affiliation_code": "108"}, 4, "108", "108"),
    ({"system_kind": "city_government", "place_kind": "road"}, 1, "001", "001"),
    ({"system_kind": "district_government", "place_kind": "public_place"}, 2, "101", "101"),
])
def test_routing_rules(client: TestClient, city_admin: Person, changes: dict[str, str], rule: int,
                       filing_unit: str, verifying: str) -> None:
    body = _create(client, city_admin, **changes)["body"]
    assert body["routing_rule"] == rule and body["filing_unit_code"] == filing_unit
    assert f"规则{rule}" in body["routing_explanation"]
    if verifying == "station":
        assert body["verifying_unit_code"] == body["station_id"] and body["station_id"].startswith("110101")
    else:
        assert body["verifying_unit_code"] == verifying


def test_gcj02_input_is_stored_in_wgs84(client: TestClient, city_admin: Person) -> None:
    from maps.datums import wgs84_to_gcj02

    glon, glat = wgs84_to_gcj02(*DONGCHENG_POINT)
    body = _create(client, city_admin, lon=glon, lat=glat, datum="gcj02")["body"]
    assert body["entered_datum"] == "gcj02"
    assert abs(body["lon"] - DONGCHENG_POINT[0]) < 1e-5 and abs(body["lat"] - DONGCHENG_POINT[1]) < 1e-5


def test_outside_beijing_is_refused(client: TestClient, city_admin: Person) -> None:
    response = _create(client, city_admin, lon=121.47, lat=31.23)
    assert response["status"] == 422 and response["body"]["error"]["field"] == "lon"


def test_moving_reroutes(client: TestClient, city_admin: Person, make_operator: Callable[..., Operator]) -> None:
    operator = make_operator()
    assert operator.filing_unit_code == "101"
    response = client.patch(f"/api/v1/operators/{operator.id}", headers=city_admin.headers,
                            json={"lon": HAIDIAN_POINT[0], "lat": HAIDIAN_POINT[1]})
    assert response.status_code == 200
    assert response.json()["filing_unit_code"] == "108" and response.json()["district_code"] == "110108"


def test_operator_accounts_cannot_register_operators(client: TestClient, make_person: Callable[..., Person],
                                                     make_operator: Callable[..., Operator]) -> None:
    hotel = make_person(Role.operator, operator_id=make_operator().id)
    assert _create(client, hotel)["status"] == 403
