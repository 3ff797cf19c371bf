"""导入 on the lists whose rows the CLI imports (`camreg import operators|filings|cameras`): download the template,
upload the filled sheet, read the report (created, already present, differing, invalid) and, when rows were bad,
download the same sheet back with an 错误 column. The same service as the API and the CLI (registry.imports.service):
all-or-nothing unless 只导入正确的行 is ticked, each row under its own rules and the user's scope.

The error file is kept in the content store and offered through a link signed for this browser session and kind,
so no one else can fetch it by guessing its name.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from registry.actor import Actor
from registry.auth.models import Role, User
from registry.deps import PageActor, SessionDep, SettingsDep
from registry.errors import DomainError, NotFound
from registry.filings import materials
from registry.imports import service
from registry.imports.columns import Kind
from registry.imports.rows import ImportReport
from registry.imports.sheets import template
from registry.imports.views import MEDIA_TYPES
from registry.settings import Settings
from registry.ui.forms import FormErrors
from registry.ui.security import SESSION_COOKIE
from registry.ui.templating import render

router = APIRouter(include_in_schema=False)
_KEY = b"camreg list import errors v1"
MAX_NOTES = 30
NAMES = {Kind.operators: "使用单位", Kind.filings: "备案", Kind.cameras: "摄像机"}
LISTS = {Kind.operators: "/operators", Kind.filings: "/filings", Kind.cameras: "/cameras"}
STATUS_NAMES = {"invalid": "有误", "present": "已存在（相同）", "differing": "已存在（内容不同，未更改）"}


def import_action(user: User, kind: Kind) -> list[dict[str, str]]:
    """The list toolbar's 导入 button, for the roles that may import this kind."""
    return [{"url": f"/imports/{kind.value}", "label": "导入"}] if user.role in service.IMPORT_ROLES[kind] else []


def _signature(request: Request, kind: Kind, name: str) -> str:
    secret = hmac.new(_KEY, (request.cookies.get(SESSION_COOKIE) or "").encode(), hashlib.sha256).digest()
    return hmac.new(secret, f"{kind.value}|{name}".encode(), hashlib.sha256).hexdigest()


def error_link(request: Request, kind: Kind, name: str) -> str:
    """The signed link to an error file kept under `name` (its SHA-256 and format), for this session only."""
    return f"/imports/{kind.value}/errors/{name}?sig={_signature(request, kind, name)}"


def _page(request: Request, session: Any, actor: Actor, kind: Kind, *, errors: FormErrors | None = None,
          report: ImportReport | None = None, filename: str = "", error_link: str | None = None,
          valid_only: bool = False, migration: bool = False, status: int = 200) -> Response:
    notes = [(n.row, STATUS_NAMES.get(n.status, n.status), n.message) for n in (report.notes if report else [])]
    return render(request, "imports/import.html", {
        "title": f"导入{NAMES[kind]}", "kind": kind.value, "kind_name": NAMES[kind], "list_url": LISTS[kind],
        "errors": errors or FormErrors(), "report": report, "filename": filename, "error_link": error_link,
        "notes": notes[:MAX_NOTES], "more_notes": max(0, len(notes) - MAX_NOTES),
        "values": {"valid_only": "true" if valid_only else "", "migration": "true" if migration else ""},
        "may_migrate": kind == Kind.cameras and actor.user.role == Role.admin,
    }, actor=actor, session=session, status_code=status)


@router.get("/imports/{kind}", response_class=HTMLResponse)
def import_form(request: Request, session: SessionDep, actor: PageActor, kind: Kind) -> Response:
    """The upload form, with the template to fill."""
    service.require_import_role(actor, kind)
    return _page(request, session, actor, kind)


@router.get("/imports/{kind}/template.xlsx")
def import_template(actor: PageActor, kind: Kind) -> Response:
    """The empty sheet: Chinese and English header rows, drop-downs for coded columns."""
    service.require_import_role(actor, kind)
    return Response(template(kind, "xlsx"), media_type=MEDIA_TYPES["xlsx"], headers={
        "Content-Disposition": "attachment; filename*=UTF-8''" + quote(f"{NAMES[kind]}导入模板.xlsx")})


@router.post("/imports/{kind}", response_class=HTMLResponse)
async def import_upload(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                        kind: Kind) -> Response:
    """Import the sheet and show what happened to every row; nothing is stored when a row is bad (unless asked)."""
    service.require_import_role(actor, kind)
    form = await request.form()
    upload, valid_only = form.get("sheet"), form.get("valid_only") == "true"
    migration = form.get("migration") == "true"
    if migration:  # as `camreg import cameras --migration`: an administrator's, refused (403) to anyone else
        service.require_migration(actor, kind)
    errors = FormErrors()
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors.add("sheet", "请选择填好的表格（.xlsx 或 .csv）")
        return _page(request, session, actor, kind, errors=errors, valid_only=valid_only, status=422)
    data = await upload.read(settings.max_upload_bytes + 1)
    savepoint = session.begin_nested()
    try:
        if len(data) > settings.max_upload_bytes:
            raise DomainError(f"文件超过 {settings.max_upload_bytes // (1024 * 1024)} MB", field="sheet")
        report = service.run(session, actor=actor, kind=kind, filename=upload.filename, data=data,
                             settings=settings, valid_only=valid_only, migration=migration)
    except DomainError as exc:
        savepoint.rollback()
        if exc.status_code in (403, 404):
            raise
        errors.add("sheet", f"{upload.filename}：{exc.message.split(' / ')[0]}")
        return _page(request, session, actor, kind, errors=errors, valid_only=valid_only, status=422)
    savepoint.commit()
    link = None
    if report.error_file is not None:
        name = f"{materials.store(settings.materials_dir, report.error_file)}.{report.format}"
        link = error_link(request, kind, name)
    if not report.committed:
        errors.add("sheet", f"{upload.filename} 有 {report.invalid} 行有误，未导入任何一行。"
                            "请下载错误文件，按“错误”列改正后重新上传（或勾选“只导入正确的行”）。")
    return _page(request, session, actor, kind, errors=errors, report=report, filename=upload.filename,
                 error_link=link, valid_only=valid_only, migration=migration,
                 status=200 if report.committed else 422)


@router.get("/imports/{kind}/errors/{name}")
def import_errors(request: Request, actor: PageActor, settings: SettingsDep, kind: Kind, name: str,
                  sig: str = "") -> Response:
    """The error file of an import made in this browser session (the link is signed for it)."""
    service.require_import_role(actor, kind)
    return signed_error_file(settings, name, sig, _signature(request, kind, name), f"{NAMES[kind]}导入-错误")


def signed_error_file(settings: Settings, name: str, sig: str, expected: str, download_name: str) -> Response:
    """A stored error file `digest.fmt`, only with the signature its link was given (else the 404 of a guess)."""
    digest, _, fmt = name.partition(".")
    if fmt not in MEDIA_TYPES or len(digest) != 64 or not hmac.compare_digest(sig, expected):
        raise NotFound("错误文件不存在或已过期 / no such error file")
    path = materials.path_for(settings.materials_dir, digest)
    if not path.exists():
        raise NotFound("错误文件不存在或已过期 / no such error file")
    return Response(path.read_bytes(), media_type=MEDIA_TYPES[fmt], headers={
        "Content-Disposition": "attachment; filename*=UTF-8''" + quote(f"{download_name}.{fmt}"),
        "Cache-Control": "private, no-store"})
