"""Answers the schemathesis run first found as server errors, pinned on both backends."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from registry.auth.models import Role
from registry.auth.scope import CITY_UNIT
from registry.blobs import path_for
from registry.operators.models import Operator
from registry.settings import Settings
from tests.registry.conftest import Person
from tests.registry.page_helpers import sign_in
from tests.registry.test_filing_workflow import Desk


def test_malformed_mac_filter_is_422_naming_the_field(client: TestClient, make_person: Callable[..., Person]) -> None:
    admin = make_person(Role.admin, CITY_UNIT)
    answer = client.get("/api/v1/cameras", params={"mac": "null"}, headers=admin.headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == "mac"
    normal = client.get("/api/v1/cameras", params={"mac": "00-11-22-AA-BB-CC"}, headers=admin.headers)
    assert normal.status_code == 200 and normal.json()["items"] == []


def test_ids_beyond_64_bits_are_refused_on_every_route(client: TestClient, make_person: Callable[..., Person]) -> None:
    admin = make_person(Role.admin, CITY_UNIT)
    huge = 2**63 + 1
    for path in (f"/filings/{huge}/history", f"/filings/{huge}", f"/cameras/{huge}", f"/operators/{huge}",
                 f"/scans/{huge}", f"/materials/{huge}", f"/cameras?filing_id={huge}", f"/filings?after={huge}"):
        answer = client.get(f"/api/v1{path}", headers=admin.headers)
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["error"]["code"] == "invalid_input"
    accept = client.post(f"/api/v1/filings/{huge}/accept", headers=admin.headers)
    assert accept.status_code == 422
    # PostgreSQL's integer ids are 32 bits: a larger id is a 422 there (the database refuses it), 404 on SQLite.
    assert client.get(f"/api/v1/filings/{2**63 - 1}", headers=admin.headers).status_code in (404, 422)
    assert client.get(f"/api/v1/filings/{2**31 - 1}", headers=admin.headers).status_code == 404


def test_unparseable_body_is_422(client: TestClient, make_person: Callable[..., Person]) -> None:
    admin = make_person(Role.admin, CITY_UNIT)
    answer = client.post("/api/v1/operators", content=b"{not json", headers={**admin.headers,
                                                                             "Content-Type": "application/json"})
    assert answer.status_code == 422 and answer.json()["error"]["field"] == "body"


def test_a_stored_file_gone_from_disk_is_a_503_naming_it_not_a_500(
        client: TestClient, settings: Settings, make_operator: Callable[..., Operator],
        make_person: Callable[..., Person]) -> None:
    """A data directory restored without its files (bench/pages.py found the 500): the API and the pages say so."""
    desk = Desk(client, make_operator(), make_person)
    fid = desk.submit_complete()
    listed = desk.call(desk.wang, "GET", f"/filings/{fid}/materials")["body"]
    shown = {m["kind"]: m for m in listed}
    assert client.get(f"/api/v1/materials/{shown['form']['id']}", headers=desk.wang.headers).status_code == 200
    for material in listed:
        path_for(settings.materials_dir, material["sha256"]).unlink(missing_ok=True)  # materials may share bytes
    answer = client.get(f"/api/v1/materials/{shown['form']['id']}", headers=desk.wang.headers)
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"]["code"] == "unavailable" and "缺失" in answer.json()["error"]["message"]
    sign_in(client, desk.wang)
    page = client.get(f"/materials/{shown['form']['id']}")
    assert page.status_code == 503 and "缺失" in page.text
    map_page = client.get(f"/materials/{shown['deployment_map']['id']}/pages/1")
    assert map_page.status_code == 503 and "缺失" in map_page.text
    # The filing's own page still opens: the map shows no page rather than failing.
    assert client.get(f"/filings/{fid}").status_code == 200
