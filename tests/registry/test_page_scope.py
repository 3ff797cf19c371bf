"""Every page route, opened by users of other units and roles: 404 for 东城's objects, 403 for refused roles.

Like tests/registry/test_scope.py for the API: every page route must be classified in PAGE_ROUTES, so a
new page without a classification fails here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry.auth.models import Role
from registry.inspections.periods import first_due_half
from registry.timeutil import beijing_today
from tests.registry.conftest import Person
from tests.registry.page_helpers import page_routes, sign_in
from tests.registry.test_scope import world  # noqa: F401  (the shared scenario fixture)

OBJECT = "object"    # names a 东城 object: outsiders get the 404 page
LIST = "list"        # a list: outsiders get 200 and none of 东城's rows
OPEN = "open"        # not unit data: sign-in, the home page
Body = Callable[[dict[str, Any]], dict[str, Any]] | None
# Figures, not rows: no operator name to find, so the owner check below cannot see 东城 in them.
# (The calendar page lists only provisional deadlines, and the shared scenario has none.)
AGGREGATES = ("/maps", "/dashboard", "/admin/calendar", "/statistics")
# Reached only through a link signed for the session that made it (an import's error file): 404 without it.
SIGNED_LINKS = {"/apply/{filing_id}/cameras/errors/{name}"}
OFFICER_ROLES = (Role.intake, Role.reviewer, Role.inspector, Role.supervisor, Role.admin, Role.leader)
NOT_DESK = (Role.inspector, Role.supervisor, Role.admin, Role.leader, Role.operator)
# A step of a penalty case only its own officers take: a newly made user of any role is refused.
ALL_ROLES = (*OFFICER_ROLES, Role.operator)
NOT_LEADERS = tuple(r for r in ALL_ROLES if r != Role.leader)
NOT_ADMINS = tuple(r for r in ALL_ROLES if r != Role.admin)
NOT_INSPECTORS = (Role.admin, Role.leader, Role.operator)
NOT_CAMERA_IMPORTERS = (Role.inspector, Role.supervisor, Role.leader)
NOT_REVIEWERS = (Role.intake, Role.inspector, Role.admin, Role.leader, Role.operator)

# (method, path) → (kind, form data for POSTs, roles of 东城 that are refused with 403 — empty: none).
PAGE_ROUTES: dict[tuple[str, str], tuple[str, Body, tuple[Role, ...]]] = {
    ("GET", "/login"): (OPEN, None, ()),
    ("POST", "/login"): (OPEN, None, ()),
    ("POST", "/logout"): (OPEN, None, ()),
    ("GET", "/account/password"): (OPEN, None, ()),
    ("POST", "/account/password"): (OPEN, None, ()),
    ("GET", "/"): (OPEN, None, ()),
    ("GET", "/filings"): (LIST, None, ()),
    ("GET", "/filings/export.{fmt}"): (LIST, None, ()),
    ("GET", "/filings/{filing_id}"): (OBJECT, None, ()),
    # 核对 (registry/filings/verify_pages.py): the queue for officers; the step only by the verifying unit
    # (东城's own officers are of the filing unit, not the station, so every role of 101 is refused).
    ("GET", "/verifications"): (LIST, None, (Role.operator,)),
    ("GET", "/verifications/export.{fmt}"): (LIST, None, (Role.operator,)),
    ("POST", "/filings/{filing_id}/verify"): (OBJECT, lambda ids: {"result": "matches"}, ALL_ROLES),
    ("GET", "/materials/{material_id}"): (OBJECT, None, ()),
    ("GET", "/filings/{filing_id}/documents/{document_kind}.pdf"): (OBJECT, None, ()),
    # Public on purpose: anyone holding a document checks it (tests/registry/test_documents.py).
    ("GET", "/verify"): (OPEN, None, ()),
    ("GET", "/verify/{token}"): (OPEN, None, ()),
    ("GET", "/operators"): (LIST, None, ()),
    ("GET", "/operators/export.{fmt}"): (LIST, None, ()),
    ("GET", "/operators/{operator_id}"): (OBJECT, None, ()),
    ("GET", "/cameras"): (LIST, None, ()),
    ("GET", "/cameras/export.{fmt}"): (LIST, None, ()),
    ("GET", "/cameras/{camera_id}"): (OBJECT, None, ()),
    ("GET", "/search"): (LIST, None, ()),
    ("POST", "/operators/{operator_id}/scans"): (OBJECT, lambda ids: {"filing_id": "1"}, (Role.operator,)),
    ("GET", "/operators/{operator_id}/filed-cameras.json"): (OBJECT, None, (Role.operator,)),
    ("GET", "/scans/{scan_id}"): (OBJECT, None, ()),
    ("GET", "/scans/{scan_id}/export.csv"): (OBJECT, None, ()),
    # Public geography (district outlines) for the small maps; signed-in users only.
    ("GET", "/geo/districts.geojson"): (OPEN, None, ()),
    ("GET", "/dashboard"): (LIST, None, (Role.operator,)),
    # 统计报表 (registry/statistics/pages.py): the unit's own figures (another unit's is a 403: test_statistics.py).
    ("GET", "/statistics"): (LIST, None, (Role.operator,)),
    ("GET", "/statistics/export.xlsx"): (LIST, None, (Role.operator,)),
    ("GET", "/maps/city"): (LIST, None, ()),
    ("GET", "/maps/district/{district_code}"): (LIST, None, ()),
    ("GET", "/maps/operator/{operator_id}"): (OBJECT, None, ()),
    # The operator's own pages (registry/filings/apply_*.py, placement_pages.py): officers are refused.
    ("GET", "/apply"): (OPEN, None, OFFICER_ROLES),
    ("GET", "/apply/new"): (OPEN, None, OFFICER_ROLES),
    ("POST", "/apply/new"): (OPEN, None, OFFICER_ROLES),
    ("GET", "/apply/route"): (OPEN, None, OFFICER_ROLES),
    ("GET", "/apply/districts.geojson"): (OPEN, None, OFFICER_ROLES),
    ("GET", "/apply/{filing_id}"): (OBJECT, None, OFFICER_ROLES),
    ("GET", "/apply/{filing_id}/form"): (OBJECT, None, OFFICER_ROLES),
    ("POST", "/apply/{filing_id}/form"): (OBJECT, lambda ids: {"system_name": "改名"}, OFFICER_ROLES),
    ("POST", "/apply/{filing_id}/submit"): (OBJECT, None, OFFICER_ROLES),
    ("POST", "/apply/{filing_id}/corrected"): (OBJECT, None, OFFICER_ROLES),
    ("POST", "/apply/{filing_id}/change"): (OBJECT, None, OFFICER_ROLES),
    ("POST", "/apply/{filing_id}/discard"): (OBJECT, None, OFFICER_ROLES),
    ("POST", "/apply/{filing_id}/materials"): (OBJECT, lambda ids: {"kind": "other"}, OFFICER_ROLES),
    ("POST", "/apply/{filing_id}/materials/{material_id}/delete"): (OBJECT, None, OFFICER_ROLES),
    ("POST", "/apply/{filing_id}/cameras"): (OBJECT, lambda ids: {"cam_name": "x"}, OFFICER_ROLES),
    ("POST", "/apply/{filing_id}/cameras/paste"): (OBJECT, lambda ids: {"cameras_text": "a\tb"}, OFFICER_ROLES),
    ("POST", "/apply/{filing_id}/cameras/{camera_id}/delete"): (OBJECT, None, OFFICER_ROLES),
    ("POST", "/apply/{filing_id}/cameras/{camera_id}/placement"): (OBJECT, lambda ids: {"map_x": "1"}, OFFICER_ROLES),
    ("GET", "/apply/{filing_id}/placement"): (OBJECT, None, OFFICER_ROLES),
    ("GET", "/apply/{filing_id}/cameras/template.xlsx"): (OBJECT, None, OFFICER_ROLES),
    ("POST", "/apply/{filing_id}/cameras/import"): (OBJECT, None, OFFICER_ROLES),
    ("GET", "/apply/{filing_id}/cameras/errors/{name}"): (OBJECT, None, OFFICER_ROLES),
    ("GET", "/materials/{material_id}/pages/{page}"): (OBJECT, None, ()),
    # The filing unit's desk (registry/filings/desk_pages.py): intake and review officers only.
    ("GET", "/desk"): (LIST, None, NOT_DESK),
    ("GET", "/desk/export.{fmt}"): (LIST, None, NOT_DESK),
    ("GET", "/desk/recheck"): (LIST, None, NOT_DESK),
    ("GET", "/desk/recheck/export.{fmt}"): (LIST, None, NOT_DESK),
    # Desk intake (registry/filings/desk_intake.py): find or register the operator at the window, type in its filing,
    # paste its camera list on the filing's page.
    ("GET", "/desk/new"): (LIST, None, NOT_DESK),
    ("POST", "/desk/operators"): (OPEN, lambda ids: {"name": "窗口宾馆"}, NOT_DESK),
    ("GET", "/desk/route"): (OPEN, None, NOT_DESK),
    ("GET", "/desk/new/{operator_id}"): (OBJECT, None, NOT_DESK),
    ("GET", "/desk/new/{operator_id}/route"): (OBJECT, None, NOT_DESK),
    ("POST", "/desk/new/{operator_id}"): (OBJECT, lambda ids: {"system_name": "x"}, NOT_DESK),
    ("POST", "/filings/{filing_id}/cameras/paste"): (OBJECT, lambda ids: {"cameras_text": "x"}, NOT_DESK),
    ("POST", "/filings/{filing_id}/cameras"): (OBJECT, lambda ids: {"cam_name": "x"}, NOT_DESK),
    ("GET", "/filings/{filing_id}/form"): (OBJECT, None, NOT_DESK),
    ("POST", "/filings/{filing_id}/form"): (OBJECT, lambda ids: {"system_name": "改名"}, NOT_DESK),
    ("POST", "/filings/{filing_id}/cameras/import"): (OBJECT, None, NOT_DESK),
    ("POST", "/filings/{filing_id}/cameras/{camera_id}/delete"): (OBJECT, None, NOT_DESK),
    # 导入 on the lists (registry/imports/pages.py), opened for cameras: the rows' own scope applies inside the import
    # (tests/registry/test_imports.py); roles that may never import cameras are refused.
    ("GET", "/imports/{kind}"): (OPEN, None, NOT_CAMERA_IMPORTERS),
    ("POST", "/imports/{kind}"): (OPEN, None, NOT_CAMERA_IMPORTERS),
    ("GET", "/imports/{kind}/template.xlsx"): (OPEN, None, NOT_CAMERA_IMPORTERS),
    ("GET", "/imports/{kind}/errors/{name}"): (OPEN, None, NOT_CAMERA_IMPORTERS),
    ("POST", "/filings/{filing_id}/accept"): (OBJECT, None, NOT_DESK),
    ("POST", "/filings/{filing_id}/correction"): (OBJECT, lambda ids: {"defects": "form"}, NOT_DESK),
    ("POST", "/filings/{filing_id}/corrected"): (OBJECT, None, NOT_DESK),
    ("POST", "/filings/{filing_id}/materials"): (OBJECT, lambda ids: {"kind": "other"}, NOT_DESK),
    ("POST", "/filings/{filing_id}/review"): (OBJECT, None, NOT_DESK),
    ("POST", "/filings/{filing_id}/reject"): (OBJECT, lambda ids: {"reason": "x"}, NOT_DESK),
    # The footage-access register (registry/footage/pages.py): the police list, the operator's own register.
    ("GET", "/footage"): (LIST, None, (Role.operator,)),
    ("GET", "/footage/export.{fmt}"): (LIST, None, (Role.operator,)),
    ("GET", "/footage/{access_id}"): (OBJECT, None, ()),
    ("GET", "/footage/new"): (OPEN, None, (Role.admin, Role.operator)),
    ("POST", "/footage/new"): (OPEN, None, (Role.admin, Role.operator)),
    ("GET", "/apply/footage"): (OPEN, None, OFFICER_ROLES),
    ("GET", "/apply/footage/export.{fmt}"): (OPEN, None, OFFICER_ROLES),
    ("GET", "/apply/footage/new"): (OPEN, None, OFFICER_ROLES),
    ("POST", "/apply/footage/new"): (OPEN, lambda ids: {"reason": "x"}, OFFICER_ROLES),
    # Penalty cases (registry/penalties/pages.py): officers' pages; each step refused to those who may not take it.
    ("GET", "/penalties"): (LIST, None, (Role.operator,)),
    ("GET", "/penalties/export.{fmt}"): (LIST, None, (Role.operator,)),
    ("GET", "/penalties/new"): (OPEN, None, (Role.admin, Role.operator)),
    ("POST", "/penalties/new"): (OPEN, None, (Role.admin, Role.operator)),
    ("GET", "/penalties/{case_id}"): (OBJECT, None, (Role.operator,)),
    ("POST", "/penalties/{case_id}/join"): (OBJECT, None, (Role.admin, Role.operator)),
    ("POST", "/penalties/{case_id}/evidence"): (OBJECT, lambda ids: {"description": "笔录"}, ALL_ROLES),
    ("POST", "/penalties/{case_id}/propose"): (OBJECT, lambda ids: {"decision": "warning", "reason": "理由"},
                                                ALL_ROLES),
    ("POST", "/penalties/{case_id}/approve"): (OBJECT, lambda ids: {"opinion": "同意"}, NOT_LEADERS),
    ("POST", "/penalties/{case_id}/return"): (OBJECT, lambda ids: {"opinion": "退回"}, NOT_LEADERS),
    ("POST", "/penalties/{case_id}/issue"): (OBJECT, None, ALL_ROLES),
    ("GET", "/penalties/{case_id}/evidence/{evidence_id}"): (OBJECT, None, (Role.operator,)),
    ("GET", "/penalties/{case_id}/decision.pdf"): (OBJECT, None, ()),
    ("GET", "/apply/penalties"): (OPEN, None, OFFICER_ROLES),
    ("GET", "/apply/penalties/{case_id}"): (OBJECT, None, OFFICER_ROLES),
    ("POST", "/apply/penalties/{case_id}/statement"): (OBJECT, lambda ids: {"text": "陈述"}, OFFICER_ROLES),
    # Inspections (registry/inspections/pages.py): the unit's lists; the record's steps only by its own officers.
    ("GET", "/inspections/due"): (LIST, None, (Role.leader, Role.operator)),
    ("GET", "/inspections/due/export.{fmt}"): (LIST, None, (Role.leader, Role.operator)),
    ("GET", "/inspections"): (LIST, None, (Role.operator,)),
    ("GET", "/inspections/export.{fmt}"): (LIST, None, (Role.operator,)),
    ("GET", "/inspections/new"): (OPEN, None, NOT_INSPECTORS),
    ("POST", "/inspections/new"): (OPEN, lambda ids: {"operator_id": ids["operator_id"]}, NOT_INSPECTORS),
    ("GET", "/inspections/{inspection_id}"): (OBJECT, None, (Role.operator,)),
    ("POST", "/inspections/{inspection_id}/items"): (OBJECT, lambda ids: {"result_signage": "ok"}, ALL_ROLES),
    ("POST", "/inspections/{inspection_id}/record"): (OBJECT, lambda ids: {"signature": "signed"}, ALL_ROLES),
    ("POST", "/inspections/{inspection_id}/scan"): (OBJECT, lambda ids: {"scan_id": ids["scan_id"]}, ALL_ROLES),
    ("POST", "/inspections/{inspection_id}/photos"): (OBJECT, None, ALL_ROLES),
    ("GET", "/inspections/{inspection_id}/photos/{photo_id}"): (OBJECT, None, (Role.operator,)),
    ("GET", "/inspections/{inspection_id}/record.pdf"): (OBJECT, None, ()),
    ("GET", "/apply/inspections"): (OPEN, None, OFFICER_ROLES),
    ("GET", "/apply/inspections/{inspection_id}"): (OBJECT, None, OFFICER_ROLES),
    # Rectification, the 科信 review and the city's spot checks (registry/inspections/supervision_pages.py): the
    # notice was issued by 东城's station, so 东城's own officers may read it but not follow it up.
    ("GET", "/rectifications"): (LIST, None, (Role.leader, Role.operator)),
    ("GET", "/rectifications/export.{fmt}"): (LIST, None, (Role.leader, Role.operator)),
    ("GET", "/rectifications/{rectification_id}"): (OBJECT, None, (Role.operator,)),
    ("POST", "/rectifications/{rectification_id}/follow-up"): (OBJECT, lambda ids: {
        "inspection_id": ids["inspection_id"], "outcome": "closed", "note": "x"}, ALL_ROLES),
    ("GET", "/rectifications/{rectification_id}/notice.pdf"): (OBJECT, None, ()),
    ("GET", "/inspections/review"): (LIST, None, (Role.leader, Role.operator)),
    ("POST", "/inspections/{inspection_id}/review"): (OBJECT, lambda ids: {"comment": "x"}, NOT_REVIEWERS),
    # The city department's (001) only: every user of 东城 is refused, so they are not 东城's objects.
    ("GET", "/spot-checks"): (OPEN, None, ALL_ROLES),
    ("GET", "/spot-checks/export.{fmt}"): (OPEN, None, ALL_ROLES),
    ("POST", "/spot-checks"): (OPEN, lambda ids: {"size": "1"}, ALL_ROLES),
    ("GET", "/spot-checks/{draw_id}"): (OPEN, None, ALL_ROLES),
    ("POST", "/spot-checks/{draw_id}/findings"): (OPEN, lambda ids: {
        "inspection_id": ids["inspection_id"], "conforming": "yes", "finding": "x"}, ALL_ROLES),
    # The administrator's pages (registry/admin): accounts scoped like the API's, units, calendar, layers.
    ("GET", "/admin/users"): (LIST, None, NOT_ADMINS),
    ("GET", "/admin/users/export.{fmt}"): (LIST, None, NOT_ADMINS),
    ("GET", "/admin/users/new"): (OPEN, None, NOT_ADMINS),
    ("POST", "/admin/users/new"): (OPEN, lambda ids: {"username": "intruder", "role": "intake"}, NOT_ADMINS),
    ("GET", "/admin/users/{user_id}"): (OBJECT, None, NOT_ADMINS),
    ("POST", "/admin/users/{user_id}"): (OBJECT, lambda ids: {"full_name": "改名"}, NOT_ADMINS),
    ("POST", "/admin/users/{user_id}/disable"): (OBJECT, None, NOT_ADMINS),
    ("POST", "/admin/users/{user_id}/enable"): (OBJECT, None, NOT_ADMINS),
    ("POST", "/admin/users/{user_id}/unlock"): (OBJECT, None, NOT_ADMINS),
    ("POST", "/admin/users/{user_id}/password-reset"): (OBJECT, None, NOT_ADMINS),
    ("GET", "/admin/units"): (OPEN, None, NOT_ADMINS),
    ("GET", "/admin/units/{code}"): (OPEN, None, NOT_ADMINS),
    ("POST", "/admin/units/{code}"): (OPEN, lambda ids: {"name": "改名分局"}, NOT_ADMINS),
    ("GET", "/admin/calendar"): (LIST, None, NOT_ADMINS),
    ("POST", "/admin/calendar"): (OPEN, None, NOT_ADMINS),
    ("GET", "/admin/layers"): (OPEN, None, NOT_ADMINS),
    ("POST", "/admin/layers"): (OPEN, None, NOT_ADMINS),
    # 799号令 checks (registry/checks/pages.py): the term list is the city's, not a unit's data (a unit's
    # administrator reads it, only the city's edits); staff kept by the operator, read by its police.
    ("GET", "/admin/prohibited-terms"): (OPEN, None, NOT_ADMINS),
    ("POST", "/admin/prohibited-terms"): (OPEN, lambda ids: {"term": "机房"}, NOT_ADMINS),
    ("POST", "/admin/prohibited-terms/{term_id}/remove"): (OPEN, None, NOT_ADMINS),
    ("GET", "/apply/staff"): (OPEN, None, OFFICER_ROLES),
    ("POST", "/apply/staff"): (OPEN, lambda ids: {"name": "李值班", "duty": "watch"}, OFFICER_ROLES),
    ("POST", "/apply/staff/{staff_id}/trainings"): (OBJECT, lambda ids: {"trained_on": "2026-01-05",
                                                                         "content": "799号令培训"}, OFFICER_ROLES),
    ("POST", "/apply/staff/{staff_id}/leave"): (OBJECT, None, OFFICER_ROLES),
    ("GET", "/operators/{operator_id}/staff"): (OBJECT, None, (Role.operator,)),
}
# 东城's intake officer accepted every filing of the scenario himself: by the two-person rule his re-check
# queue is empty, so the owner's leak check cannot see a row there (tests/registry/test_desk_pages.py does).
OWNER_EMPTY = {"/desk/recheck", "/desk/recheck/export.{fmt}"}
# Opened only for a filing in one state: the form typed in at the desk, before acceptance (the scenario's filing
# was submitted online; tests/registry/test_desk_intake_pages.py opens it as its officer).
OWNER_ELSEWHERE = {"/filings/{filing_id}/form"}


# Lists that show nothing without a query: the query every test sends (all test operators are 测试酒店N).
# The due list of the half-year in which the scenario's operator, filed today, is first due.
QUERIES = {"/search": "?q=测试酒店", "/desk/new": "?q=测试酒店",
           "/inspections/due": f"?half={first_due_half(beijing_today())}",
           "/inspections/due/export.{fmt}": f"?half={first_due_half(beijing_today())}"}


def _url(path: str, ids: dict[str, Any]) -> str:
    url = path.format(**{**ids, "district_code": "110101", "page": 1, "kind": "cameras", "name": "0" * 64 + ".csv"})
    return url + QUERIES.get(path, "")


def _leaks(response: Any, world: dict[str, Any]) -> list[str]:  # noqa: F811
    """东城's operator or filing showing in a list page, a map or an export."""
    operator = world["desk"].operator
    if response.headers["content-type"].startswith("text/csv"):
        lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        owner = lines[1].index("operator_id") if len(lines) > 1 and "operator_id" in lines[1] else None
        return [",".join(r) for r in lines[2:] if operator.uscc in r or operator.name in r
                or (owner is not None and r[owner] == str(operator.id))]
    text = response.text
    return [needle for needle in (operator.uscc, f">{operator.name}<", operator.name + "\\u") if needle in text]


def test_every_page_route_is_classified(client: TestClient) -> None:
    routes = page_routes(client.app)
    unclassified = [r for r in routes if r not in PAGE_ROUTES]
    assert not unclassified, f"classify these page routes in PAGE_ROUTES: {unclassified}"
    stale = [r for r in PAGE_ROUTES if r not in routes]
    assert not stale, f"page routes no longer exist: {stale}"


def test_outsiders_get_the_404_page_and_no_rows(client: TestClient, world: dict[str, Any]) -> None:  # noqa: F811
    ids, checked = world["ids"], 0
    for who, person in world["outsiders"].items():
        token = sign_in(client, person)
        for (method, path), (kind, body, refused) in PAGE_ROUTES.items():
            if kind == OPEN:
                continue
            data = {**(body(ids) if body else {}), "csrf_token": token}
            response = client.request(method, _url(path, ids), data=data if method == "POST" else None,
                                      follow_redirects=False)
            if person.user.role in refused:  # a role refused the page everywhere: 403 says nothing of 东城
                assert response.status_code in ((403,) if kind == LIST else (403, 404)), f"{who}: {method} {path}"
                checked += response.status_code == 404
                continue
            if kind == OBJECT:
                assert response.status_code == 404, f"{who}: {method} {path} → {response.status_code}"
                assert "页面不存在" in response.text and response.headers["content-type"].startswith("text/html")
                checked += 1
            else:
                assert response.status_code == 200, f"{who}: {method} {path} → {response.status_code}"
                assert not _leaks(response, world), f"{who}: {method} {path} shows 东城's data"
    assert checked >= 4 * len(world["outsiders"])


def test_the_owner_reads_every_page(client: TestClient, world: dict[str, Any],  # noqa: F811
                                   make_person: Callable[..., Person]) -> None:
    """The 404s above are about scope: 东城's intake officer (the operator on its own pages, 东城's administrator
    on the administrator's) opens the same URLs."""
    desk, admin = world["desk"], make_person(Role.admin, "101")
    for (method, path), (kind, _, refused) in PAGE_ROUTES.items():
        if method == "GET" and kind in (OBJECT, LIST) and path not in SIGNED_LINKS | OWNER_ELSEWHERE:
            sign_in(client, desk.wang if Role.intake not in refused else
                    desk.hotel if Role.operator not in refused else admin)
            response = client.get(_url(path, world["ids"]), follow_redirects=False)
            assert response.status_code == 200, f"owner: GET {path} → {response.status_code}"
            if kind == LIST and not path.startswith(AGGREGATES) and path not in OWNER_EMPTY:
                assert _leaks(response, world), f"the leak check would not see 东城's rows on {path}"


@pytest.mark.parametrize("role", [Role.intake, Role.reviewer, Role.inspector, Role.supervisor, Role.admin,
                                  Role.leader, Role.operator])
def test_refused_roles_get_the_403_page(client: TestClient, world: dict[str, Any],  # noqa: F811
                                        make_person: Callable[..., Person], role: Role) -> None:
    """东城's own users whose role may not take an action: refused by the server, with a page saying so."""
    ids = world["ids"]
    person = (make_person(role, operator_id=world["desk"].operator.id) if role == Role.operator
              else make_person(role, "101"))
    token = sign_in(client, person)
    for (method, path), (_, body, refused) in PAGE_ROUTES.items():
        if role not in refused:
            continue
        data = {**(body(ids) if body else {}), "csrf_token": token}
        response = client.request(method, _url(path, ids), data=data if method == "POST" else None,
                                  follow_redirects=False)
        assert response.status_code == 403, f"{role}: {method} {path} → {response.status_code}"
        assert "无权办理" in response.text


def test_signed_out_pages_go_to_the_login_page(client: TestClient, world: dict[str, Any]) -> None:  # noqa: F811
    for (method, path), (kind, _, _) in PAGE_ROUTES.items():
        if kind != OPEN and method == "GET":
            response = client.get(_url(path, world["ids"]), follow_redirects=False)
            assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), path
