"""导入 on the list pages (issue 9 part 7: wherever the CLI imports): the operator, filing and camera lists offer it
to the roles that may import; the page gives the template, takes the filled sheet, and shows the report. A sheet
with a bad row stores nothing and offers the error file (signed for the session); 只导入正确的行 stores the rest;
the same file again creates no duplicates. Other roles are refused."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from registry.auth.models import Role
from registry.cameras.models import Camera
from registry.imports.columns import Kind
from registry.operators.models import Operator
from registry.uscc import make_uscc
from tests.registry.conftest import Person
from tests.registry.page_helpers import post_form, sign_in
from tests.registry.test_desk_pages import error_beside
from tests.registry.test_filing_workflow import Desk
from tests.registry.test_imports import _operator_row, camera_row, sheet_bytes


@pytest.fixture
def backend() -> str:
    """Page tests run on SQLite (the import service is tested on both backends)."""
    return "sqlite"


def _rows(bad: bool) -> list[dict[str, object]]:
    rows = [_operator_row(41), _operator_row(42), _operator_row(43)]
    if bad:
        rows[1]["uscc"] = "91110105MA00000000"  # a check digit that does not add up
    return rows


def _imported(engine: object) -> list[str]:
    with Session(engine) as session:  # type: ignore[arg-type]
        return sorted(session.exec(select(Operator.name).where(col(Operator.name).startswith("导入酒店4"))).all())


def test_the_operator_list_imports_a_sheet_all_or_nothing_with_the_error_file(
        client: TestClient, engine: object, make_person: Callable[..., Person]) -> None:
    wang = make_person(Role.intake, "101")
    token = sign_in(client, wang)
    for path, kind in (("/operators", "operators"), ("/filings", "filings"), ("/cameras", "cameras")):
        assert f'href="/imports/{kind}"' in client.get(path).text, path
    form = client.get("/imports/operators")
    assert form.status_code == 200 and "导入使用单位" in form.text
    sheet = load_workbook(io.BytesIO(client.get("/imports/operators/template.xlsx").content)).active
    assert sheet is not None and sheet["A1"].value == "单位名称" and sheet["A2"].value == "name"

    empty = post_form(client, "/imports/operators", token)
    assert empty.status_code == 422 and "请选择" in error_beside(empty.text, "sheet")
    bad = post_form(client, "/imports/operators", token, files={"sheet": ("单位.csv", sheet_bytes(
        Kind.operators, _rows(bad=True), "csv"), "text/csv")})
    assert bad.status_code == 422 and "1 行有误，未导入任何一行" in error_beside(bad.text, "sheet")
    assert _imported(engine) == []
    link = re.search(r'id="error-file" href="([^"]+)"', bad.text)
    assert link, bad.text
    error_file = client.get(link.group(1).replace("&amp;", "&"))
    assert error_file.status_code == 200
    lines = list(csv.reader(io.StringIO(error_file.content.decode("utf-8-sig"))))
    assert any("统一社会信用代码" in cell for line in lines for cell in line)
    assert client.get(link.group(1).split("?")[0] + "?sig=" + "0" * 64).status_code == 404  # unsigned: none

    some = post_form(client, "/imports/operators", token, {"valid_only": "true"}, files={"sheet": (
        "单位.csv", sheet_bytes(Kind.operators, _rows(bad=True), "csv"), "text/csv")})
    assert some.status_code == 200 and re.search(r'id="created">2<', some.text), some.text
    assert _imported(engine) == ["导入酒店41", "导入酒店43"]
    fixed = _rows(bad=False)
    fixed[1]["uscc"] = make_uscc(5042)
    done = post_form(client, "/imports/operators", token, files={"sheet": (
        "单位.xlsx", sheet_bytes(Kind.operators, fixed, "xlsx"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    assert done.status_code == 200 and re.search(r'id="created">1<', done.text)
    assert "已存在（相同）" in done.text
    assert _imported(engine) == ["导入酒店41", "导入酒店42", "导入酒店43"]


@pytest.mark.parametrize("role", [Role.inspector, Role.leader])
def test_roles_that_may_not_import_are_not_offered_it_and_are_refused(
        client: TestClient, make_person: Callable[..., Person], role: Role) -> None:
    person = make_person(role, "101")
    token = sign_in(client, person)
    assert 'href="/imports/' not in client.get("/operators").text
    for response in (client.get("/imports/operators"), client.get("/imports/cameras/template.xlsx"),
                     post_form(client, "/imports/operators", token, files={"sheet": (
                         "x.csv", sheet_bytes(Kind.operators, _rows(bad=False), "csv"), "text/csv")})):
        assert response.status_code == 403 and "无权办理" in response.text


def test_an_administrator_registers_existing_cameras_of_a_filed_system_in_migration_mode(
        client: TestClient, engine: object, make_person: Callable[..., Person],
        make_operator: Callable[..., Operator]) -> None:
    desk = Desk(client, make_operator(), make_person)
    fid = desk.submit_complete()
    number = desk.call(desk.wang, "POST", f"/filings/{fid}/accept")["body"]["number"]
    assert desk.file(fid)["body"]["state"] == "filed"
    sheet = ("清单.xlsx", sheet_bytes(Kind.cameras, [camera_row(n, number=number) for n in (71, 72)], "xlsx"))
    # An intake officer is not offered migration mode, and is refused it when he sends it anyway.
    token = sign_in(client, desk.wang)
    assert 'name="migration"' not in client.get("/imports/cameras").text
    refused = post_form(client, "/imports/cameras", token, {"migration": "true"}, files={"sheet": sheet})
    assert refused.status_code == 403
    admin = make_person(Role.admin, "101")
    token = sign_in(client, admin)
    assert 'name="migration"' in client.get("/imports/cameras").text
    assert 'name="migration"' not in client.get("/imports/operators").text
    done = post_form(client, "/imports/cameras", token, {"migration": "true"}, files={"sheet": sheet})
    assert done.status_code == 200 and re.search(r'id="created">2<', done.text), done.text
    with Session(engine) as session:  # type: ignore[arg-type]
        codes = session.exec(select(Camera.code).where(Camera.filing_id == fid)
                             .where(col(Camera.name).in_(["导入71", "导入72"]))).all()
        assert len(codes) == 2 and all(code and len(code) == 20 for code in codes)
