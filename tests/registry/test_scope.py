"""Every API route, called by a user of another unit (or another operator), answers 404 for 东城's data."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry.auth.models import Role
from registry.operators.models import Operator
from tests.registry.conftest import HAIDIAN_POINT, Person
from tests.registry.test_filing_workflow import PNG, Desk, _camera, _form
from tests.registry.test_footage import entry as footage_entry
from tests.registry.test_inspections import recorded_for_scope
from tests.registry.test_scans import _device, _report

OBJECT_ROUTE = "object"       # names a 东城 object: outsiders get 404, the owner does not
LIST_ROUTE = "list"           # a collection: outsiders get 200 and none of 东城's rows
OPEN_ROUTE = "open"           # not unit data (login, own account, unit table)
CITY_ONLY = "city-only"       # refused by role for everyone outside the city department (no data involved)

# Every route must be classified here; a new route without an entry fails the test.
ROUTES: dict[tuple[str, str], tuple[str, Callable[[dict[str, Any]], dict[str, Any]] | None]] = {
    ("POST", "/api/v1/auth/token"): (OPEN_ROUTE, None),
    ("POST", "/api/v1/auth/logout"): (OPEN_ROUTE, None),
    ("GET", "/api/v1/auth/me"): (OPEN_ROUTE, None),
    ("POST", "/api/v1/auth/users"): (OBJECT_ROUTE, lambda ids: {"json": {
        "username": "intruder_op", "full_name": "x", "role": "operator", "operator_id": ids["operator_id"],
        "password": "long enough password"}}),
    ("POST", "/api/v1/auth/password"): (OPEN_ROUTE, None),
    ("GET", "/api/v1/auth/users"): (LIST_ROUTE, None),
    ("GET", "/api/v1/auth/users/{user_id}"): (OBJECT_ROUTE, None),
    ("PATCH", "/api/v1/auth/users/{user_id}"): (OBJECT_ROUTE, lambda ids: {"json": {"full_name": "改名"}}),
    ("POST", "/api/v1/auth/users/{user_id}/disable"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/auth/users/{user_id}/enable"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/auth/users/{user_id}/password-reset"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/auth/users/{user_id}/revoke-tokens"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/auth/users/{user_id}/unlock"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/auth/unlock-address"): (CITY_ONLY, lambda ids: {"json": {"address": "192.0.2.9"}}),
    ("GET", "/api/v1/units"): (OPEN_ROUTE, None),
    ("GET", "/api/v1/units/{code}"): (OPEN_ROUTE, None),
    ("GET", "/api/v1/operators"): (LIST_ROUTE, None),
    ("POST", "/api/v1/operators"): (OPEN_ROUTE, None),
    ("GET", "/api/v1/operators/{operator_id}"): (OBJECT_ROUTE, None),
    ("PATCH", "/api/v1/operators/{operator_id}"): (OBJECT_ROUTE, lambda ids: {"json": {"contact_name": "钱"}}),
    ("GET", "/api/v1/filings"): (LIST_ROUTE, None),
    ("POST", "/api/v1/filings"): (OBJECT_ROUTE, lambda ids: {"json": _form(ids["operator_id"])}),
    ("GET", "/api/v1/filings/{filing_id}"): (OBJECT_ROUTE, None),
    ("GET", "/api/v1/filings/{filing_id}/history"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/filings/{filing_id}/accept"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/filings/{filing_id}/correction-notice"): (OBJECT_ROUTE, lambda ids: {"json": {
        "items": [{"item": "form", "message": "x"}]}}),
    ("GET", "/api/v1/filings/{filing_id}/correction-notice"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/filings/{filing_id}/corrected"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/filings/{filing_id}/review"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/filings/{filing_id}/verifications"): (OBJECT_ROUTE, lambda ids: {"json": {
        "result": "matches", "notes": "x"}}),
    ("GET", "/api/v1/filings/{filing_id}/verifications"): (OBJECT_ROUTE, None),
    ("GET", "/api/v1/filings/{filing_id}/handovers"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/filings/{filing_id}/reject"): (OBJECT_ROUTE, lambda ids: {"json": {"reason": "x"}}),
    ("GET", "/api/v1/filings/{filing_id}/receipt"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/filings/{filing_id}/materials"): (OBJECT_ROUTE, lambda ids: {
        "data": {"kind": "other"}, "files": {"file": ("x.png", PNG, "image/png")}}),
    ("GET", "/api/v1/filings/{filing_id}/materials"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/filings/{filing_id}/cameras"): (OBJECT_ROUTE, lambda ids: {"json": [_camera(7)]}),
    ("GET", "/api/v1/materials/{material_id}"): (OBJECT_ROUTE, None),
    ("GET", "/api/v1/filings/{filing_id}/documents"): (OBJECT_ROUTE, None),
    ("GET", "/api/v1/filings/{filing_id}/documents/{document_kind}"): (OBJECT_ROUTE, None),
    ("GET", "/api/v1/documents/blank/{document_kind}"): (OPEN_ROUTE, None),
    ("GET", "/api/v1/materials/{material_id}/pages"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/filings/drafts"): (OBJECT_ROUTE, lambda ids: {"json": _form(ids["operator_id"])}),
    ("PUT", "/api/v1/filings/{filing_id}/form"): (OBJECT_ROUTE, lambda ids: {"json": {
        k: v for k, v in _form(ids["operator_id"]).items() if k != "operator_id"}}),
    ("POST", "/api/v1/filings/{filing_id}/submit"): (OBJECT_ROUTE, None),
    ("DELETE", "/api/v1/filings/{filing_id}"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/filings/{filing_id}/change"): (OBJECT_ROUTE, None),
    ("DELETE", "/api/v1/filings/{filing_id}/cameras/{camera_id}"): (OBJECT_ROUTE, None),
    ("PUT", "/api/v1/filings/{filing_id}/cameras/{camera_id}/placement"): (OBJECT_ROUTE, lambda ids: {
        "json": {"map_material_id": None}}),
    ("DELETE", "/api/v1/filings/{filing_id}/materials/{material_id}"): (OBJECT_ROUTE, None),
    ("GET", "/api/v1/cameras"): (LIST_ROUTE, None),
    ("GET", "/api/v1/cameras/{camera_id}"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/filings/{filing_id}/scans"): (OBJECT_ROUTE, lambda ids: {
        "files": {"file": ("scan.json", b"{}", "application/json")}}),
    ("GET", "/api/v1/filings/{filing_id}/scans"): (OBJECT_ROUTE, None),
    ("GET", "/api/v1/scans/{scan_id}"): (OBJECT_ROUTE, None),
    ("GET", "/api/v1/scans/{scan_id}/reconciliation"): (OBJECT_ROUTE, None),
    ("GET", "/api/v1/scans/{scan_id}/reconciliation.html"): (OBJECT_ROUTE, None),
    ("GET", "/api/v1/scans/{scan_id}/reconciliation.csv"): (OBJECT_ROUTE, None),
    ("GET", "/api/v1/imports/templates/{kind}.{fmt}"): (OPEN_ROUTE, None),
    # Scope applies per row (another unit's filing is "not found" in the error file): tests/registry/test_imports.py.
    ("POST", "/api/v1/imports/{kind}"): (OPEN_ROUTE, lambda ids: {"files": {"file": ("x.csv", b"a,b\n")}}),
    ("GET", "/api/v1/exports/operators.{fmt}"): (LIST_ROUTE, None),
    ("GET", "/api/v1/exports/filings.{fmt}"): (LIST_ROUTE, None),
    ("GET", "/api/v1/exports/cameras.{fmt}"): (LIST_ROUTE, None),
    ("GET", "/api/v1/penalties"): (LIST_ROUTE, None),
    ("POST", "/api/v1/penalties"): (OBJECT_ROUTE, lambda ids: {"json": {
        "operator_id": ids["operator_id"], "violation": "not_filed", "facts": "未按规定备案的事实"}}),
    ("GET", "/api/v1/penalties/{case_id}"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/penalties/{case_id}/join"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/penalties/{case_id}/evidence"): (OBJECT_ROUTE, lambda ids: {
        "data": {"description": "笔录"}, "files": {"file": ("x.png", PNG, "image/png")}}),
    ("GET", "/api/v1/penalties/{case_id}/evidence/{evidence_id}"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/penalties/{case_id}/propose"): (OBJECT_ROUTE, lambda ids: {"json": {
        "decision": "warning", "reason": "理由"}}),
    ("POST", "/api/v1/penalties/{case_id}/statement"): (OBJECT_ROUTE, lambda ids: {"json": {"text": "陈述"}}),
    ("POST", "/api/v1/penalties/{case_id}/approve"): (OBJECT_ROUTE, lambda ids: {"json": {}}),
    ("POST", "/api/v1/penalties/{case_id}/return"): (OBJECT_ROUTE, lambda ids: {"json": {}}),
    ("POST", "/api/v1/penalties/{case_id}/issue"): (OBJECT_ROUTE, None),
    ("GET", "/api/v1/penalties/{case_id}/decision"): (OBJECT_ROUTE, None),
    ("GET", "/api/v1/footage-accesses"): (LIST_ROUTE, None),
    ("GET", "/api/v1/footage-accesses/export.{fmt}"): (LIST_ROUTE, None),
    ("POST", "/api/v1/footage-accesses"): (OBJECT_ROUTE, lambda ids: {"json": footage_entry(ids["operator_id"])}),
    ("GET", "/api/v1/footage-accesses/{access_id}"): (OBJECT_ROUTE, None),
    ("GET", "/api/v1/checks/prohibited-terms"): (OPEN_ROUTE, None),
    ("POST", "/api/v1/checks/prohibited-terms"): (CITY_ONLY, lambda ids: {"json": {"term": "走廊"}}),
    ("DELETE", "/api/v1/checks/prohibited-terms/{term_id}"): (CITY_ONLY, None),
    ("GET", "/api/v1/filings/{filing_id}/checks"): (OBJECT_ROUTE, None),
    ("GET", "/api/v1/scans/{scan_id}/prohibited"): (OBJECT_ROUTE, None),
    ("GET", "/api/v1/operators/{operator_id}/staff"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/operators/{operator_id}/staff"): (OBJECT_ROUTE, lambda ids: {"json": {
        "name": "张三", "duty": "watch"}}),
    ("POST", "/api/v1/operators/{operator_id}/staff/{staff_id}/leave"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/operators/{operator_id}/staff/{staff_id}/trainings"): (OBJECT_ROUTE, lambda ids: {"json": {
        "trained_on": "2026-01-05", "content": "799号令培训"}}),
    ("GET", "/api/v1/inspections"): (LIST_ROUTE, None),
    ("POST", "/api/v1/inspections"): (OBJECT_ROUTE, lambda ids: {"json": {
        "operator_id": ids["operator_id"], "officer_ids": [1, 2]}}),
    # A unit's own list (another unit's is a 403, an operator's a 403): tests/registry/test_inspections.py.
    ("GET", "/api/v1/inspections/due"): (OPEN_ROUTE, None),
    ("GET", "/api/v1/inspections/due/summary"): (CITY_ONLY, None),
    ("GET", "/api/v1/inspections/review-progress"): (CITY_ONLY, None),
    ("GET", "/api/v1/inspections/{inspection_id}"): (OBJECT_ROUTE, None),
    ("PUT", "/api/v1/inspections/{inspection_id}/items"): (OBJECT_ROUTE, lambda ids: {"json": {
        "items": [{"key": "signage", "result": "ok"}]}}),
    ("POST", "/api/v1/inspections/{inspection_id}/scan"): (OBJECT_ROUTE, lambda ids: {"json": {
        "scan_id": ids["scan_id"]}}),
    ("POST", "/api/v1/inspections/{inspection_id}/photos"): (OBJECT_ROUTE, lambda ids: {
        "files": {"file": ("x.png", PNG, "image/png")}}),
    ("GET", "/api/v1/inspections/{inspection_id}/photos"): (OBJECT_ROUTE, None),
    ("GET", "/api/v1/inspection-photos/{photo_id}"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/inspections/{inspection_id}/record"): (OBJECT_ROUTE, lambda ids: {"json": {
        "representative_name": "x", "signed": True}}),
    ("GET", "/api/v1/inspections/{inspection_id}/record.pdf"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/inspections/{inspection_id}/review"): (OBJECT_ROUTE, lambda ids: {"json": {"comment": "x"}}),
    ("GET", "/api/v1/inspection-checklist"): (OPEN_ROUTE, None),
    ("POST", "/api/v1/inspection-checklist"): (CITY_ONLY, lambda ids: {"json": {"key": "k_x", "label": "检查项"}}),
    ("PATCH", "/api/v1/inspection-checklist/{key}"): (CITY_ONLY, lambda ids: {"json": {"active": False}}),
    ("GET", "/api/v1/rectifications"): (LIST_ROUTE, None),
    ("GET", "/api/v1/rectifications/{rectification_id}"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/rectifications/{rectification_id}/follow-up"): (OBJECT_ROUTE, lambda ids: {"json": {
        "inspection_id": ids["inspection_id"], "rectified": True, "note": "x"}}),
    ("GET", "/api/v1/rectifications/{rectification_id}/notice.pdf"): (OBJECT_ROUTE, None),
    ("POST", "/api/v1/spot-checks"): (CITY_ONLY, lambda ids: {"json": {"size": 1}}),
    ("GET", "/api/v1/spot-checks"): (CITY_ONLY, None),
    ("GET", "/api/v1/spot-checks/{draw_id}"): (CITY_ONLY, None),
    ("GET", "/api/v1/spot-checks/{draw_id}/findings"): (CITY_ONLY, None),
    ("POST", "/api/v1/spot-checks/{draw_id}/findings"): (CITY_ONLY, lambda ids: {"json": {
        "inspection_id": ids["inspection_id"], "conforming": True, "finding": "x"}}),
    # Figures of a unit, not rows: another unit's (and an operator's) are a 403, tests/registry/test_statistics.py.
    ("GET", "/api/v1/statistics"): (OPEN_ROUTE, None),
    ("GET", "/api/v1/statistics/export.xlsx"): (OPEN_ROUTE, None),
    ("GET", "/api/v1/audit/events"): (CITY_ONLY, None),
    ("GET", "/api/v1/audit/verify"): (CITY_ONLY, None),
}


def _api_routes(client: TestClient) -> list[tuple[str, str]]:
    spec = client.get("/api/v1/openapi.json").json()
    return sorted((method.upper(), path) for path, ops in spec["paths"].items() for method in ops)


@pytest.fixture
def world(client: TestClient, make_operator: Callable[..., Operator],
          make_person: Callable[..., Person]) -> dict[str, Any]:
    """东城's operator with a filed filing, and outsiders: 海淀 officers and another operator."""
    desk = Desk(client, make_operator(), make_person)
    fid = desk.submit_complete()
    desk.call(desk.wang, "POST", f"/filings/{fid}/accept")
    desk.call(desk.wang, "POST", f"/filings/{fid}/correction-notice", json={"items": [{"item": "f", "message": "m"}]})
    materials = desk.call(desk.wang, "GET", f"/filings/{fid}/materials")["body"]
    filed_id = desk.submit_complete()
    desk.call(desk.wang, "POST", f"/filings/{filed_id}/accept")
    desk.file(filed_id)
    awaiting = desk.submit_complete()  # accepted, waiting for the station's 核对 (the 待核对 queue has a row)
    desk.call(desk.wang, "POST", f"/filings/{awaiting}/accept")
    scan = desk.client.post(f"/api/v1/filings/{filed_id}/scans", headers=desk.wang.headers, files={"file": (
        "scan.json", _report([_device("192.0.2.1", "SN1", "00:11:22:33:44:01")], datetime(2026, 6, 1, tzinfo=UTC)))})
    assert scan.status_code == 201, scan.text
    cameras = desk.call(desk.wang, "GET", f"/cameras?filing_id={fid}")["body"]["items"]
    penalty = _issued_penalty(desk, make_person)
    access = client.post("/api/v1/footage-accesses", headers=desk.hotel.headers, json=footage_entry(desk.operator.id))
    assert access.status_code == 201, access.text
    haidian_operator = make_operator(lon=HAIDIAN_POINT[0], lat=HAIDIAN_POINT[1])
    staff = desk.call(desk.hotel, "POST", f"/operators/{desk.operator.id}/staff",
                      json={"name": "张值班", "duty": "watch"})["body"]
    ids = {"filing_id": fid, "operator_id": desk.operator.id, "camera_id": cameras[0]["id"],
           "material_id": materials[0]["id"], "code": "101",
           "scan_id": scan.json()["id"], "kind": "cameras", "fmt": "csv",
           "document_kind": "correction_notice", "user_id": desk.wang.user.id, **penalty,
           "access_id": access.json()["id"], **recorded_for_scope(client, desk, make_person),
           "term_id": 1, "staff_id": staff["id"]}
    outsiders = {
        "haidian intake": make_person(Role.intake, "108"),
        "haidian reviewer": make_person(Role.reviewer, "108"),
        "haidian admin": make_person(Role.admin, "108"),
        "haidian station inspector": make_person(Role.inspector, "11010821"),
        "other operator": make_person(Role.operator, operator_id=haidian_operator.id),
    }
    return {"desk": desk, "ids": ids, "outsiders": outsiders}


def _issued_penalty(desk: Desk, make_person: Callable[..., Person]) -> dict[str, int]:
    """A penalty case against 东城's operator, taken to its decision document (registry/penalties)."""
    leader = make_person(Role.leader, "101")
    case = desk.client.post("/api/v1/penalties", headers=desk.wang.headers, json={
        "operator_id": desk.operator.id, "violation": "not_filed", "facts": "未按规定备案的事实"}).json()
    evidence = desk.client.post(f"/api/v1/penalties/{case['id']}/evidence", headers=desk.wang.headers,
                                data={"description": "笔录"}, files={"file": ("x.png", PNG, "image/png")}).json()
    for person, step, body in ((desk.li, "join", None), (desk.li, "propose", {"decision": "warning", "reason": "理由"}),
                               (leader, "approve", {}), (desk.wang, "issue", None)):
        answer = desk.client.post(f"/api/v1/penalties/{case['id']}/{step}", headers=person.headers, json=body)
        assert answer.status_code == 200, answer.text
    return {"case_id": case["id"], "evidence_id": evidence["id"]}


def _list_rows(response: Any) -> list[dict[str, Any]]:
    """A page's items, or the rows of a CSV export keyed by its English field-name row."""
    if response.headers["content-type"].startswith("text/csv"):
        lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        return [dict(zip(lines[1], line, strict=True)) for line in lines[2:]]
    return list(response.json()["items"])


def test_every_route_is_classified(client: TestClient) -> None:
    unclassified = [r for r in _api_routes(client) if r not in ROUTES]
    assert not unclassified, f"classify these routes in ROUTES: {unclassified}"
    stale = [r for r in ROUTES if r not in _api_routes(client)]
    assert not stale, f"routes no longer exist: {stale}"


def test_outsiders_get_404_on_every_object_route(client: TestClient, world: dict[str, Any]) -> None:
    ids = world["ids"]
    checked = 0
    for (method, path), (kind, body) in ROUTES.items():
        if kind == OPEN_ROUTE:
            continue
        url = path.format(**ids)
        extra = body(ids) if body else {}
        for who, person in world["outsiders"].items():
            response = client.request(method, url, headers=person.headers, **extra)
            if kind == OBJECT_ROUTE:
                assert response.status_code == 404, f"{who}: {method} {path} → {response.status_code} {response.text}"
                assert response.json()["error"]["code"] == "not_found"
                checked += 1
            elif kind == LIST_ROUTE:
                assert response.status_code == 200, f"{who}: {method} {path} → {response.status_code}"
                leaked = [row for row in _list_rows(response)
                          if str(row.get("operator_id", row.get("id"))) == str(ids["operator_id"])]
                assert not leaked, f"{who}: {method} {path} leaks 东城 rows"
            elif kind == CITY_ONLY:
                assert response.status_code == 403, f"{who}: {method} {path} → {response.status_code}"
    assert checked >= 18 * len(world["outsiders"])


def test_the_owner_is_not_refused_on_read_routes(client: TestClient, world: dict[str, Any]) -> None:
    """The 404s above are about scope: the responsible officer reads the same URLs fine."""
    ids, owner = world["ids"], world["desk"].wang
    for (method, path), (kind, _) in ROUTES.items():
        if method == "GET" and kind in (OBJECT_ROUTE, LIST_ROUTE) and "receipt" not in path:
            response = client.get(path.format(**ids), headers=owner.headers)
            assert response.status_code == 200, f"owner: GET {path} → {response.status_code} {response.text}"


def test_city_department_sees_everything(client: TestClient, world: dict[str, Any],
                                         make_person: Callable[..., Person]) -> None:
    supervisor = make_person(Role.supervisor, "001")
    ids = world["ids"]
    assert client.get(f"/api/v1/filings/{ids['filing_id']}", headers=supervisor.headers).status_code == 200
    listed = client.get("/api/v1/operators", headers=supervisor.headers).json()["items"]
    assert len(listed) == 2


def test_no_token_is_401_everywhere(client: TestClient, world: dict[str, Any]) -> None:
    for (method, path), (_, body) in ROUTES.items():
        if path.endswith("/auth/token"):
            continue
        extra = body(world["ids"]) if body else {}
        response = client.request(method, path.format(**world["ids"]), **extra)
        assert response.status_code == 401, f"{method} {path} → {response.status_code}"
