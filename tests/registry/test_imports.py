"""Imports: templates, error files that mark exactly the bad cells, all-or-nothing, valid-only, no duplicates."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from registry.audit.models import AuditEvent
from registry.auth.models import Role
from registry.camera_codes import validate_code
from registry.cameras.models import Camera
from registry.commands.data import import_app
from registry.filings.models import Filing, FilingState
from registry.imports.columns import COLUMNS, Kind, parse_cell
from registry.operators.models import Operator
from registry.settings import Settings
from registry.uscc import make_uscc
from tests.registry.conftest import DONGCHENG_POINT, Person
from tests.registry.test_filing_workflow import Desk


def sheet_bytes(kind: Kind, rows: list[dict[str, Any]], fmt: str, *, extra: list[str] | None = None) -> bytes:
    """A sheet in the template layout (Chinese row, English row) holding these rows."""
    columns = COLUMNS[kind]
    lines = [[c.zh for c in columns] + (extra or []), [c.field for c in columns] + (extra or [])]
    lines += [[row.get(c.field) for c in columns] + [row.get(e) for e in extra or []] for row in rows]
    if fmt == "csv":
        out = io.StringIO(newline="")
        csv.writer(out).writerows(lines)
        return ("\ufeff" + out.getvalue()).encode()
    book = Workbook()
    ws = book.active
    assert ws is not None
    for line in lines:
        ws.append(line)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client: TestClient, person: Person, kind: Kind, data: bytes, fmt: str, *,
           valid_only: bool = False, migration: bool | None = None) -> dict[str, Any]:
    """Import as `person`; an administrator imports in migration mode unless told otherwise."""
    migrate = person.user.role == Role.admin if migration is None else migration
    response = client.post(f"/api/v1/imports/{kind.value}", headers=person.headers,
                           files={"file": (f"upload.{fmt}", data)},
                           data={"valid_only": str(valid_only).lower(), "migration": str(migrate).lower()})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def camera_row(n: int, *, number: str | None = None, filing_id: int | None = None, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "filing_number": number, "filing_id": filing_id, "name": f"导入{n}", "position_text": f"东侧走廊{n}",
        "lon": DONGCHENG_POINT[0] + n * 1e-5, "lat": DONGCHENG_POINT[1], "device_type": "网络摄像机",
        "form_factor": "球机", "serial": f"IMP{n:05d}", "mac": f"00-AA-BB-CC-DD-{n:02X}", "ip": f"198.18.0.{n}",
        "indoor": "否"}
    row.update(changes)
    return row


@pytest.fixture
def desk(client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> Desk:
    return Desk(client, make_operator(), make_person)


@pytest.fixture
def filed(desk: Desk, make_person: Callable[..., Person]) -> dict[str, Any]:
    """东城's filed filing (two coded cameras), an open one, and 东城's administrator (migration mode)."""
    fid = desk.submit_complete()
    number = desk.call(desk.wang, "POST", f"/filings/{fid}/accept")["body"]["number"]
    assert desk.file(fid)["body"]["state"] == "filed"
    return {"id": fid, "number": number, "open_id": desk.submit_complete(), "clerk": make_person(Role.admin, "101")}


def _cameras(engine: Engine, filing_id: int) -> list[Camera]:
    with Session(engine) as session:
        return list(session.exec(select(Camera).where(Camera.filing_id == filing_id).order_by(col(Camera.id))).all())


BAD = {  # sheet row (1-based, after the two header rows) -> (column, bad value)
    4: ("lon", 121.47),
    5: ("mac", "00:11:22"),
    6: ("device_type", "扫地机"),
    7: ("name", None),
    8: ("filing_number", "1019999000001"),
    9: ("azimuth", "abc"),
}


def _mixed_rows(number: str) -> list[dict[str, Any]]:
    rows = []
    for sheet_row in range(3, 11):
        n = sheet_row
        row = camera_row(n, number=number)
        if sheet_row in BAD:
            name, value = BAD[sheet_row]
            row[name] = value
        rows.append(row)
    return rows


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_template_round_trip(client: TestClient, desk: Desk, filed: dict[str, Any], engine: Engine,
                             fmt: str) -> None:
    response = client.get(f"/api/v1/imports/templates/cameras.{fmt}", headers=desk.wang.headers)
    assert response.status_code == 200
    columns = COLUMNS[Kind.cameras]
    row = camera_row(1, number=filed["number"])
    if fmt == "xlsx":
        book = load_workbook(io.BytesIO(response.content))
        ws = book.worksheets[0]
        assert [c.value for c in ws[1]] == [c.zh for c in columns]
        assert [c.value for c in ws[2]] == [c.field for c in columns]
        assert ws.data_validations.dataValidation, "coded columns offer drop-downs"
        ws.append([row.get(c.field) for c in columns])
        buffer = io.BytesIO()
        book.save(buffer)
        data = buffer.getvalue()
    else:
        lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert lines == [[c.zh for c in columns], [c.field for c in columns]]
        data = response.content + ",".join("" if row.get(c.field) is None else str(row[c.field])
                                           for c in columns).encode() + b"\r\n"
    body = upload(client, filed["clerk"], Kind.cameras, data, fmt)
    assert body["committed"] and body["created"] == 1 and body["codes_issued"] == 1, body
    cameras = _cameras(engine, filed["id"])
    assert len({c.code for c in cameras}) == 3 and all(validate_code(c.code or "").valid for c in cameras)
    new = cameras[-1]
    assert new.mac == "00:aa:bb:cc:dd:01" and new.form_factor == "dome" and new.station_id is not None
    same_prefix = [int((c.code or "")[14:]) for c in cameras[:-1] if (c.code or "")[:14] == (new.code or "")[:14]]
    assert int((new.code or "")[14:]) > max(same_prefix, default=0)


def test_error_file_marks_exactly_the_bad_cells(client: TestClient, desk: Desk, filed: dict[str, Any],
                                               engine: Engine) -> None:
    body = upload(client, filed["clerk"], Kind.cameras, sheet_bytes(Kind.cameras, _mixed_rows(filed["number"]), "xlsx"),
                  "xlsx")
    assert not body["committed"] and body["created"] == 0 and body["invalid"] == len(BAD)
    assert len(_cameras(engine, filed["id"])) == 2, "all-or-nothing: nothing stored"
    ws = load_workbook(io.BytesIO(base64.b64decode(body["error_file_base64"]))).worksheets[0]
    fields = [c.value for c in ws[2]]
    assert fields[-1] == "errors" and ws.cell(1, len(fields)).value == "错误"
    marked = {(cell.row, fields[cell.column - 1]) for row in ws.iter_rows(min_row=3) for cell in row
              if cell.fill.fgColor.rgb and str(cell.fill.fgColor.rgb).endswith("FFC7CE")}
    assert marked == {(r, name) for r, (name, _) in BAD.items()}
    for sheet_row in range(3, 11):
        message = ws.cell(sheet_row, len(fields)).value
        if sheet_row in BAD:
            zh = next(c.zh for c in COLUMNS[Kind.cameras] if c.field == BAD[sheet_row][0])
            assert message and f"{zh} ({BAD[sheet_row][0]})" in message, message
        else:
            assert not message
    assert "不在北京" in ws.cell(4, len(fields)).value and "扫地机" in ws.cell(6, len(fields)).value


def test_valid_only_then_fix_and_reimport_without_duplicates(client: TestClient, desk: Desk, filed: dict[str, Any],
                                                            engine: Engine) -> None:
    rows = _mixed_rows(filed["number"])
    body = upload(client, filed["clerk"], Kind.cameras, sheet_bytes(Kind.cameras, rows, "csv"), "csv", valid_only=True)
    assert body["committed"] and body["created"] == 2 and body["codes_issued"] == 2 and body["invalid"] == len(BAD)
    error_lines = list(csv.reader(io.StringIO(base64.b64decode(body["error_file_base64"]).decode("utf-8-sig"))))
    assert error_lines[1][-1] == "errors" and [bool(line[-1]) for line in error_lines[2:]] == [
        r in BAD for r in range(3, 11)]
    again = upload(client, filed["clerk"], Kind.cameras, sheet_bytes(Kind.cameras, rows, "csv"), "csv", valid_only=True)
    assert again["created"] == 0 and again["present"] == 2 and again["invalid"] == len(BAD)
    # The user fixes the marked cells in the error file (its 错误 column stays) and uploads it again.
    fixed = [camera_row(r, number=filed["number"], errors=line[-1]) for r, line in zip(range(3, 11), error_lines[2:],
                                                                                       strict=True)]
    data = sheet_bytes(Kind.cameras, fixed, "csv", extra=["errors"])
    body = upload(client, filed["clerk"], Kind.cameras, data, "csv")
    assert body["committed"] and body["created"] == len(BAD) and body["present"] == 2, body
    cameras = _cameras(engine, filed["id"])
    assert len(cameras) == 2 + 8 and len({c.code for c in cameras}) == 10


def test_reimport_reports_differences_and_updates_nothing(client: TestClient, desk: Desk, filed: dict[str, Any],
                                                         engine: Engine) -> None:
    rows = [camera_row(1, number=filed["number"]), camera_row(2, number=filed["number"], serial=None)]
    assert upload(client, filed["clerk"], Kind.cameras, sheet_bytes(Kind.cameras, rows, "csv"), "csv")["created"] == 2
    rows[0]["position_text"] = "改到西侧"
    body = upload(client, filed["clerk"], Kind.cameras, sheet_bytes(Kind.cameras, rows, "csv"), "csv")
    assert body["created"] == 0 and body["present"] == 1 and body["differing"] == 1
    assert "安装位置 (position_text)" in next(n["message"] for n in body["notes"] if n["status"] == "differs")
    assert "改到西侧" not in {c.position_text for c in _cameras(engine, filed["id"])}


def test_camera_locations_in_gcj02_are_stored_in_wgs84(client: TestClient, desk: Desk, filed: dict[str, Any],
                                                       engine: Engine) -> None:
    from maps.datums import wgs84_to_gcj02

    lon, lat = wgs84_to_gcj02(DONGCHENG_POINT[0], DONGCHENG_POINT[1])
    rows = [camera_row(1, number=filed["number"], lon=lon, lat=lat, datum="GCJ02")]
    assert upload(client, filed["clerk"], Kind.cameras, sheet_bytes(Kind.cameras, rows, "csv"), "csv")["created"] == 1
    stored = _cameras(engine, filed["id"])[-1]
    assert abs(stored.lon - DONGCHENG_POINT[0]) < 1e-5 and abs(stored.lat - DONGCHENG_POINT[1]) < 1e-5


def test_title_line_above_the_header_is_kept_in_the_error_file(client: TestClient, desk: Desk,
                                                                filed: dict[str, Any]) -> None:
    rows = [camera_row(1, number=filed["number"]), camera_row(2, number=filed["number"], lat=99)]
    data = "东城分局摄像机登记表\r\n".encode() + sheet_bytes(Kind.cameras, rows, "csv").removeprefix(b"\xef\xbb\xbf")
    body = upload(client, filed["clerk"], Kind.cameras, data, "csv")
    assert not body["committed"] and [n["row"] for n in body["notes"]] == [5]
    lines = list(csv.reader(io.StringIO(base64.b64decode(body["error_file_base64"]).decode("utf-8-sig"))))
    assert lines[0][0] == "东城分局摄像机登记表" and lines[1][-1] == "错误" and lines[2][-1] == "errors"
    assert not lines[3][-1] and "纬度 (lat)" in lines[4][-1]


def test_duplicate_rows_in_one_file(client: TestClient, desk: Desk, filed: dict[str, Any]) -> None:
    rows = [camera_row(1, number=filed["number"]), camera_row(1, number=filed["number"], name="另一个名字")]
    body = upload(client, filed["clerk"], Kind.cameras, sheet_bytes(Kind.cameras, rows, "csv"), "csv")
    assert not body["committed"] and body["notes"][0]["row"] == 4
    assert "duplicate of row 3" in body["notes"][0]["message"]


def test_scope_of_camera_imports(client: TestClient, desk: Desk, filed: dict[str, Any],
                                 make_person: Callable[..., Person], engine: Engine) -> None:
    rows = [camera_row(1, number=filed["number"]), camera_row(2, filing_id=filed["open_id"])]
    data = sheet_bytes(Kind.cameras, rows, "csv")
    haidian = upload(client, make_person(Role.intake, "108"), Kind.cameras, data, "csv")
    assert haidian["invalid"] == 2 and all("不存在" in n["message"] for n in haidian["notes"])
    hotel = upload(client, desk.hotel, Kind.cameras, data, "csv", valid_only=True)
    assert hotel["created"] == 1 and hotel["codes_issued"] == 0, "the operator may add to its open filing only"
    assert "only officers of the filing unit" in hotel["notes"][0]["message"]
    assert [c.code for c in _cameras(engine, filed["open_id"])][-1] is None, "codes come when the filing is filed"


@pytest.mark.parametrize(("name", "cell", "value"), [
    ("industry_code", 4, "04"), ("affiliation_code", 11.0, "011"), ("contact_phone", 1065123456, "1065123456"),
    ("system_kind", "市政府建设", "city_government"), ("system_kind", "District_Government", "district_government"),
    ("place_kind", "单位内部（办公楼等）", "internal"), ("place_kind", "交通道路", "road"),
    ("place_kind", "Public_Place", "public_place"),
])
def test_cells_excel_mangles_are_read_back(name: str, cell: object, value: str) -> None:
    column = next(c for c in COLUMNS[Kind.operators] if c.field == name)
    assert parse_cell(column, cell) == value


def _operator_row(n: int, **changes: Any) -> dict[str, Any]:
    row = {"name": f"导入酒店{n}", "uscc": make_uscc(5000 + n), "address": f"北京市东城区导入路{n}号",
           "industry_code": "50", "contact_name": "钱经理", "contact_phone": "010-6500 0000",
           "lon": DONGCHENG_POINT[0], "lat": DONGCHENG_POINT[1], "system_kind": "一般"}
    row.update(changes)
    return row


def test_operators_and_filings_all_or_nothing_and_idempotent(client: TestClient, make_person: Callable[..., Person],
                                                             engine: Engine) -> None:
    wang = make_person(Role.intake, "101")
    rows = [_operator_row(1), _operator_row(2, uscc=make_uscc(5002)[:-1] + "0"), _operator_row(3)]
    if rows[1]["uscc"] == make_uscc(5002):
        rows[1]["uscc"] = make_uscc(5002)[:-1] + "1"
    refused = upload(client, wang, Kind.operators, sheet_bytes(Kind.operators, rows, "xlsx"), "xlsx")
    assert not refused["committed"] and refused["invalid"] == 1 and "(uscc)" in refused["notes"][0]["message"]
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Operator)).one() == 0
    rows[1]["uscc"] = make_uscc(5002)
    assert upload(client, wang, Kind.operators, sheet_bytes(Kind.operators, rows, "xlsx"), "xlsx")["created"] == 3
    rows[2]["contact_name"] = "孙经理"
    again = upload(client, wang, Kind.operators, sheet_bytes(Kind.operators, rows, "xlsx"), "xlsx")
    assert again["created"] == 0 and again["present"] == 2 and again["differing"] == 1
    assert "联系人 (contact_name)" in again["notes"][-1]["message"]
    filings = [{"operator_uscc": r["uscc"], "system_name": "视频监控系统", "system_location": r["address"],
                "system_in_use_date": "2026年1月5日", "acceptance_date": "2025-12-30",
                "retention_days": 30, "camera_count_declared": 10,
                "camera_types_declared": "枪机×10"} for r in rows]
    filings.append({**filings[0], "operator_uscc": make_uscc(9999)})
    body = upload(client, wang, Kind.filings, sheet_bytes(Kind.filings, filings, "csv"), "csv", valid_only=True)
    assert body["created"] == 3 and body["invalid"] == 1 and "(operator_uscc)" in body["notes"][0]["message"]
    again = upload(client, wang, Kind.filings, sheet_bytes(Kind.filings, filings, "csv"), "csv", valid_only=True)
    assert again["created"] == 0 and again["present"] == 3
    with Session(engine) as session:
        stored = session.exec(select(Filing)).all()
        assert len(stored) == 3 and {f.state for f in stored} == {FilingState.submitted}
        imports = session.exec(select(AuditEvent).where(AuditEvent.action == "import")
                               .order_by(col(AuditEvent.seq))).all()
    assert [e.details["committed"] for e in imports] == [False, True, True, True, True]
    assert imports[0].actor == wang.user.username and len(imports[0].details["sha256"]) == 64


def test_bad_file_level_input_is_a_clear_error(client: TestClient, make_person: Callable[..., Person]) -> None:
    wang = make_person(Role.intake, "101")
    response = client.post("/api/v1/imports/cameras", headers=wang.headers,
                           files={"file": ("x.csv", "名称,经度\n".encode())})
    assert response.status_code == 422 and "安装位置 (position_text)" in response.json()["error"]["message"]
    operators = client.post("/api/v1/imports/operators", headers=make_person(Role.inspector, "101").headers,
                            files={"file": ("x.csv", sheet_bytes(Kind.operators, [_operator_row(1)], "csv"))})
    assert operators.status_code == 403


def test_cli_template_and_import(desk: Desk, filed: dict[str, Any], settings: Settings, engine: Engine,
                                 monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("CAMREG_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("CAMREG_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    template = tmp_path / "t.xlsx"
    assert runner.invoke(import_app, ["template", "cameras", "--out", str(template)]).exit_code == 0
    book = load_workbook(template)
    ws = book.worksheets[0]
    ws.append([camera_row(1, number=filed["number"]).get(c.field) for c in COLUMNS[Kind.cameras]])
    ws.append([camera_row(2, number=filed["number"], lon=0).get(c.field) for c in COLUMNS[Kind.cameras]])
    book.save(template)
    clerk = filed["clerk"].user.username
    result = runner.invoke(import_app, ["cameras", str(template), "--user", clerk, "--migration"])
    assert result.exit_code == 1 and (tmp_path / "t-错误.xlsx").exists(), result.output
    result = runner.invoke(import_app, ["cameras", str(template), "--user", clerk, "--migration",
                                        "--valid-only", "--json"])
    assert result.exit_code == 0, result.output
    assert '"created": 1' in result.output and len(_cameras(engine, filed["id"])) == 3
    unknown = runner.invoke(import_app, ["cameras", str(template), "--user", "nobody"])
    assert unknown.exit_code == 1 and "nobody" in unknown.output
