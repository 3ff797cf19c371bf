"""Input that used to hurt the server: workbook bombs, endless uploads, control characters, hostile scan reports."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.engine import Engine

from registry.app import create_app
from registry.auth.models import Role
from registry.auth.scope import CITY_UNIT
from registry.db import make_engine
from registry.errors import InvalidInput, TooLarge
from registry.filings import materials
from registry.imports.columns import COLUMNS, Kind
from registry.imports.sheets import Limits, read_sheet
from registry.operators.models import Operator
from registry.scans.service import parse_upload
from registry.settings import Settings
from tests.registry.conftest import Person, operator_data

XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
        '+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
        'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
        'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
        'name="cameras" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
}


def _inline(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def bomb_xlsx(rows: int, *, dimension: str | None = None) -> bytes:
    """A hand-made workbook: the camera template's header rows, then `rows` one-cell rows (compresses ~400×)."""
    header = "".join(_inline(f"{chr(65 + i)}1", c.zh) for i, c in enumerate(COLUMNS[Kind.cameras]))
    body = '<row><c t="inlineStr"><is><t>x</t></is></c></row>' * rows  # no references: openpyxl counts
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             f'spreadsheetml/2006/main">{dim}<sheetData><row r="1">{header}</row>{body}</sheetData></worksheet>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, part in {**XLSX_PARTS, "xl/worksheets/sheet1.xml": sheet}.items():
            archive.writestr(name, part)
    return buffer.getvalue()


# ---- workbooks ---------------------------------------------------------------------------------------------

def test_rows_are_capped_while_streaming() -> None:
    with pytest.raises(TooLarge, match="more than 100 rows"):
        read_sheet(Kind.cameras, "bomb.xlsx", bomb_xlsx(150), Limits(max_rows=100))
    assert len(read_sheet(Kind.cameras, "ok.xlsx", bomb_xlsx(90), Limits(max_rows=100)).rows) == 90


def test_reading_stops_at_the_row_cap() -> None:
    from registry.imports.sheets import _collect

    pulled = 0

    def many() -> Any:
        nonlocal pulled
        for _ in range(100_000):
            pulled += 1
            yield ["x", None]

    with pytest.raises(TooLarge):
        _collect(many(), 1000)
    assert pulled < 1100  # stopped there, instead of building every row before counting them


def test_unpacked_size_is_capped_before_parsing() -> None:
    data = bomb_xlsx(5000)
    unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    assert unpacked > 50 * len(data)  # a zip bomb in miniature
    with pytest.raises(TooLarge, match="unpacks"):
        read_sheet(Kind.cameras, "bomb.xlsx", data, Limits(max_unpacked_bytes=unpacked - 1))


def test_a_forged_dimension_does_not_pad_rows() -> None:
    # The sheet claims 16,384 columns: trusting it turned each row into 16,384 cells (gigabytes for a big sheet).
    sheet = read_sheet(Kind.cameras, "wide.xlsx", bomb_xlsx(50, dimension="A1:XFD1048576"))
    assert max(len(row) for row in sheet.rows) == 1


@pytest.mark.slow
def test_the_300000_row_workbook_is_refused_by_default(client: TestClient,
                                                       make_person: Callable[..., Person]) -> None:
    data = bomb_xlsx(300_000)
    assert len(data) < 1_000_000  # the reported file was 792 KB
    wang = make_person(Role.intake, "101")
    answer = client.post("/api/v1/imports/cameras", headers=wang.headers, files={"file": ("bomb.xlsx", data)})
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"]["field"] == "file" and "200000" in answer.json()["error"]["message"]


def test_role_is_checked_before_the_file_is_read(client: TestClient, make_person: Callable[..., Person]) -> None:
    inspector = make_person(Role.inspector, "101")
    for kind in Kind:
        answer = client.post(f"/api/v1/imports/{kind.value}", headers=inspector.headers,
                             files={"file": ("bomb.xlsx", b"PK\x03\x04 not a workbook at all")})
        assert answer.status_code == 403, (kind, answer.text)


def test_csv_rows_are_capped(client: TestClient, make_person: Callable[..., Person], settings: Settings,
                             engine: Engine) -> None:
    small = TestClient(create_app(settings.model_copy(update={"import_max_rows": 10}), engine))
    header = ",".join(c.zh for c in COLUMNS[Kind.operators])
    body = (header + "\n" + "x\n" * 11).encode()
    answer = small.post("/api/v1/imports/operators", headers=make_person(Role.intake, "101").headers,
                        files={"file": ("many.csv", body)})
    assert answer.status_code == 413 and "10" in answer.json()["error"]["message"]


# ---- uploads stop at the cap ----------------------------------------------------------------------------

def _post_endless(app: Any, path: str, *, content_length: int | None, total: int = 500 * 2**20) -> tuple[int, int]:
    """POST a multipart body of `total` bytes through ASGI; the status and how many bytes the app pulled."""
    import anyio

    chunk = b"x" * 65536
    boundary = "camregboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n%PDF-").encode()
    pulled = 0
    sent = {"head": False}
    status: dict[str, int] = {}
    headers = [(b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
               (b"authorization", b"Bearer nobody")]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "path": path,
             "raw_path": path.encode(), "query_string": b"", "headers": headers, "scheme": "http",
             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1234), "root_path": ""}

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        body = chunk if sent["head"] else head
        sent["head"] = True
        pulled += len(body)
        return {"type": "http.request", "body": body, "more_body": pulled < total}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status["code"] = message["status"]

    anyio.run(app, scope, receive, send)
    return status["code"], pulled


@pytest.mark.parametrize("path", ["/api/v1/filings/1/materials", "/api/v1/filings/1/scans", "/api/v1/imports/cameras"])
def test_uploads_stop_at_the_cap(settings: Settings, engine: Engine, path: str) -> None:
    cap = 2**20
    app = create_app(settings.model_copy(update={"max_upload_bytes": cap}), engine)
    code, pulled = _post_endless(app, path, content_length=None)
    assert code == 413 and pulled < cap + 256 * 1024, pulled  # not the 500 MB that were coming
    code, pulled = _post_endless(app, path, content_length=500 * 2**20)
    assert code == 413 and pulled == 0  # refused from its Content-Length, nothing read


def test_the_413_is_the_error_shape(client: TestClient, settings: Settings, engine: Engine,
                                    make_person: Callable[..., Person]) -> None:
    small = TestClient(create_app(settings.model_copy(update={"max_upload_bytes": 1000}), engine))
    answer = small.post("/api/v1/filings/1/materials", headers=make_person(Role.admin, CITY_UNIT).headers,
                        data={"kind": "other"}, files={"file": ("a.pdf", b"%PDF-" + b"x" * 200_000)})
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "too_large" and "1000" in answer.json()["error"]["message"]


# ---- control characters --------------------------------------------------------------------------------

@pytest.mark.parametrize(("field", "value"), [("name", "测试\u0001酒店"), ("address", "东城区\x1b[31m测试路1号"),
                                              ("contact_name", "赵\u0085经理"), ("name", "两行\n名称")])
def test_control_characters_are_refused_on_the_way_in(client: TestClient, make_person: Callable[..., Person],
                                                      field: str, value: str) -> None:
    wang = make_person(Role.intake, "101")
    body = json.loads(operator_data(1).model_dump_json()) | {field: value}
    answer = client.post("/api/v1/operators", headers=wang.headers, json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field and "U+" in answer.json()["error"]["message"]


def test_free_text_keeps_its_line_breaks(client: TestClient, make_person: Callable[..., Person],
                                         make_operator: Callable[..., Operator]) -> None:
    from registry.filings.models import CorrectionItem

    assert CorrectionItem(item="retention_days", message="第一行\n第二行").message == "第一行\n第二行"
    with pytest.raises(ValueError, match="U\\+0007"):
        CorrectionItem(item="retention_days", message="响铃\a")


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_stored_control_character_no_longer_breaks_exports(client: TestClient, engine: Engine,
                                                             make_person: Callable[..., Person],
                                                             make_operator: Callable[..., Operator], fmt: str) -> None:
    operator = make_operator()
    with engine.begin() as conn:  # stored before inputs were checked (or by another tool)
        conn.execute(text("UPDATE operator SET name = :n WHERE id = :i"), {"n": "旧\u0001数据", "i": operator.id})
    answer = client.get(f"/api/v1/exports/operators.{fmt}", headers=make_person(Role.admin, CITY_UNIT).headers)
    assert answer.status_code == 200, answer.text
    if fmt == "xlsx":
        names = [row[1] for row in load_workbook(io.BytesIO(answer.content)).worksheets[0].iter_rows(
            min_row=3, values_only=True)]
    else:
        names = [line.split(",")[1] for line in answer.content.decode("utf-8-sig").splitlines()[2:]]
    assert names == ["旧\\u0001数据"]


# ---- scan reports ----------------------------------------------------------------------------------------

def test_hostile_scan_reports_are_clear_errors() -> None:
    with pytest.raises(InvalidInput, match="nested deeper"):
        parse_upload(b"[" * 200_000)
    with pytest.raises(InvalidInput, match="number of 5000 characters"):
        parse_upload(b'{"format": ' + b"9" * 5000 + b"}")
    with pytest.raises(InvalidInput, match="nested deeper"):
        parse_upload(b'{"format": "camreg-scan-report", "options": ' + b'{"a": ' * 40 + b"1" + b"}" * 41)
    with pytest.raises(InvalidInput, match="NaN"):
        parse_upload(b'{"duration_s": NaN}')
    devices = [{"address": f"192.0.2.{i}"} for i in range(6)]
    with pytest.raises(TooLarge, match="6 devices"):
        parse_upload(json.dumps({"format": "camreg-scan-report", "devices": devices}).encode(), max_devices=5)


# ---- files readable by the service only ---------------------------------------------------------------

def test_database_and_materials_are_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    engine = make_engine(settings)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    database = settings.data_dir / "camreg.sqlite3"
    assert mode(settings.data_dir) == 0o700 and mode(database) == 0o600
    for suffix in ("-wal", "-shm"):
        assert mode(database.with_name(database.name + suffix)) == 0o600
    engine.dispose()
    digest = materials.store(settings.materials_dir, b"%PDF-1.4 test")
    stored = materials.path_for(settings.materials_dir, digest)
    assert mode(stored) == 0o600
    for directory in (settings.materials_dir, stored.parent, stored.parent.parent):
        assert mode(directory) == 0o700, directory


def test_an_existing_database_is_tightened(tmp_path: Path) -> None:
    database = tmp_path / "camreg.sqlite3"
    database.touch(mode=0o644)
    database.chmod(0o644)
    make_engine(Settings(data_dir=tmp_path)).dispose()
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


# ---- formulas in exports -------------------------------------------------------------------------------

FORMULA_NAME = '=HYPERLINK("http://x","点我")'


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_exports_write_formulas_as_text(client: TestClient, make_person: Callable[..., Person],
                                        make_operator: Callable[..., Operator], fmt: str) -> None:
    make_operator(name=FORMULA_NAME, contact_name="@SUM(1+1)", address="+东城区测试路1号")
    wang = make_person(Role.intake, "101")
    answer = client.get(f"/api/v1/exports/operators.{fmt}", headers=wang.headers)
    assert answer.status_code == 200
    if fmt == "xlsx":
        ws = load_workbook(io.BytesIO(answer.content)).worksheets[0]
        cells = {ws.cell(2, c).value: ws.cell(3, c) for c in range(1, ws.max_column + 1)}
        for name, value in (("name", FORMULA_NAME), ("contact_name", "@SUM(1+1)"), ("address", "+东城区测试路1号")):
            assert cells[name].value == value and cells[name].data_type == "s", name  # text, never a formula
            assert cells[name].quotePrefix
    else:
        import csv

        lines = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
        row = dict(zip(lines[1], lines[2], strict=True))
        assert row["name"] == "'" + FORMULA_NAME and row["contact_name"] == "'@SUM(1+1)"
        assert row["address"] == "'+东城区测试路1号"
    # The export still imports as the same operator: the apostrophe is not part of the value.
    again = client.post("/api/v1/imports/operators", headers=wang.headers,
                        files={"file": (f"operators.{fmt}", answer.content)})
    assert again.status_code == 200, again.text
    assert again.json()["present"] == 1 and again.json()["differing"] == 0, again.json()["notes"]


def test_import_error_files_do_not_echo_formulas(client: TestClient, make_person: Callable[..., Person]) -> None:
    import base64

    header = ",".join(c.zh for c in COLUMNS[Kind.operators])
    body = f"{header}\n\"{FORMULA_NAME.replace(chr(34), chr(34) * 2)}\",bad\n".encode()
    answer = client.post("/api/v1/imports/operators", headers=make_person(Role.intake, "101").headers,
                         files={"file": ("bad.csv", body)})
    assert answer.status_code == 200 and not answer.json()["committed"]
    echoed = base64.b64decode(answer.json()["error_file_base64"]).decode("utf-8-sig")
    assert f"'{FORMULA_NAME}".replace('"', '""') in echoed
