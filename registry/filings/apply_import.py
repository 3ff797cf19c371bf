"""The camera template on the operator's filing page: download it, fill it in Excel, upload it; a file with
bad rows stores nothing and comes back as the same sheet with an 错误 column (registry/imports).

The uploaded sheet needs no filing column: rows naming no filing are this filing's, and rows without a
position take the system's location. The error file is kept in the content store and offered through a
link signed for this browser's session, so no one else can fetch it by guessing.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.datastructures import UploadFile

from registry.actor import Actor
from registry.deps import PageActor, SessionDep, SettingsDep
from registry.errors import DomainError
from registry.filings import materials
from registry.filings.apply_pages import own_filing, show
from registry.filings.models import Filing
from registry.imports import service as imports
from registry.imports.columns import Kind
from registry.imports.pages import signed_error_file
from registry.imports.rows import ImportReport
from registry.imports.sheets import Sheet, read_sheet, template
from registry.imports.views import MEDIA_TYPES
from registry.settings import Settings
from registry.ui.forms import FormErrors
from registry.ui.security import SESSION_COOKIE
from registry.ui.templating import redirect

router = APIRouter(include_in_schema=False)
_KEY = b"camreg camera import errors v1"
MAX_NOTES = 20


def _signature(request: Request, filing_id: int, name: str) -> str:
    secret = hmac.new(_KEY, (request.cookies.get(SESSION_COOKIE) or "").encode(), hashlib.sha256).digest()
    return hmac.new(secret, f"{filing_id}|{name}".encode(), hashlib.sha256).hexdigest()


def complete(sheet: Sheet, filing: Filing) -> None:
    """Rows that name no filing are this one's; rows without a position are at the system's location."""
    width = max([len(r) for r in sheet.header_rows + sheet.rows] or [0])
    for name in ("filing_id", "lon", "lat"):
        if name not in sheet.positions:
            sheet.positions[name] = width
            width += 1
    site = {"lon": filing.site_lon, "lat": filing.site_lat}
    for row in sheet.rows:
        row.extend([None] * (width - len(row)))
        if sheet.value(row, "filing_number") in (None, "") and sheet.value(row, "filing_id") in (None, ""):
            row[sheet.positions["filing_id"]] = str(filing.id)
        if sheet.value(row, "lon") in (None, "") and sheet.value(row, "lat") in (None, "") and site["lon"] is not None:
            row[sheet.positions["lon"]], row[sheet.positions["lat"]] = str(site["lon"]), str(site["lat"])


async def import_into(session: Session, *, actor: Actor, settings: Settings, filing: Filing,
                      upload: UploadFile) -> ImportReport:
    """Read the uploaded template (stopping at the size cap) and add its rows to this filing, every row or none."""
    assert upload.filename is not None
    data = await upload.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise DomainError(f"文件超过 {settings.max_upload_bytes // (1024 * 1024)} MB", field="sheet")
    sheet = read_sheet(Kind.cameras, upload.filename, data, imports.limits_for(settings))
    complete(sheet, filing)
    return imports.run_sheet(session, actor=actor, kind=Kind.cameras, sheet=sheet, filename=upload.filename,
                             data=data, settings=settings)


def keep_error_file(settings: Settings, report: ImportReport) -> tuple[str, list[str]]:
    """Store the sheet handed back with its 错误 column; its stored name and the first bad rows' notes."""
    assert report.error_file is not None
    name = f"{materials.store(settings.materials_dir, report.error_file)}.{report.format}"
    return name, [f"第 {n.row} 行：{n.message}" for n in report.notes if n.status == "invalid"][:MAX_NOTES]


@router.get("/apply/{filing_id}/cameras/template.xlsx")
def camera_template(session: SessionDep, actor: PageActor, filing_id: int) -> Response:
    """The camera template (Chinese and English header rows, drop-downs) for this filing's list."""
    own_filing(session, actor, filing_id)
    return Response(template(Kind.cameras, "xlsx"), media_type=MEDIA_TYPES["xlsx"],
                    headers={"Content-Disposition": "attachment; filename*=UTF-8''" + quote("摄像机清单模板.xlsx")})


@router.post("/apply/{filing_id}/cameras/import", response_class=HTMLResponse)
async def import_cameras(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                         filing_id: int) -> Response:
    """Add every row of the uploaded template, or none: bad rows come back marked in the error file."""
    filing = own_filing(session, actor, filing_id)
    upload = (await request.form()).get("sheet")
    errors = FormErrors()
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors.add("sheet", "请选择填好的摄像机清单（.xlsx 或 .csv）")
        return show(request, session, settings, actor, filing, errors, status=422)
    try:
        report = await import_into(session, actor=actor, settings=settings, filing=filing, upload=upload)
    except DomainError as exc:
        errors.add("sheet", f"{upload.filename}：{exc.message.split(' / ')[0]}")
        return show(request, session, settings, actor, filing, errors, status=422)
    if report.committed:
        return redirect(f"/apply/{filing_id}#cameras", message=f"已从 {upload.filename} 导入 {report.created} 台摄像机")
    name, notes = keep_error_file(settings, report)
    errors.add("sheet", f"{upload.filename} 有 {report.invalid} 行有误，未导入任何摄像机。"
                        "请下载错误文件，按“错误”列改正后重新上传。")
    link = f"/apply/{filing_id}/cameras/errors/{name}?sig={_signature(request, filing_id, name)}"
    return show(request, session, settings, actor, filing, errors, status=422,
                extra={"import_errors": {"link": link, "notes": notes, "more": report.invalid > len(notes)}})


@router.get("/apply/{filing_id}/cameras/errors/{name}")
def error_file(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor, filing_id: int,
               name: str, sig: str = "") -> Response:
    """The error file of an import made in this browser session (the link is signed for it)."""
    own_filing(session, actor, filing_id)
    return signed_error_file(settings, name, sig, _signature(request, filing_id, name), "摄像机清单-错误")
