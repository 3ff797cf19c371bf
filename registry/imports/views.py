"""Import routes: download a template, upload a sheet and get the report (with the error file if any)."""

from __future__ import annotations

import base64
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from registry.deps import CurrentActor, SessionDep, SettingsDep
from registry.errors import TooLarge
from registry.imports import service
from registry.imports.columns import Kind
from registry.imports.sheets import template
from registry.responses import errors, files

router = APIRouter(prefix="/imports", tags=["imports"], responses=errors(401, 422))

MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "text/csv; charset=utf-8"}
Format = Literal["xlsx", "csv"]


class RowNotePublic(BaseModel):
    """A row that was not simply created: invalid, or already present (identical or differing)."""

    row: int
    status: str
    message: str


class ImportReportPublic(BaseModel):
    """What happened to a file; when `committed` is false nothing was stored (all-or-nothing)."""

    kind: str
    filename: str
    sha256: str
    format: str
    valid_only: bool
    migration: bool
    rows: int
    created: int
    present: int
    differing: int
    invalid: int
    codes_issued: int
    committed: bool
    ignored_columns: list[str]
    notes: list[RowNotePublic]
    error_file_name: str | None
    error_file_media_type: str | None
    error_file_base64: str | None


@router.get("/templates/{kind}.{fmt}", response_class=Response,
            responses=files(*MEDIA_TYPES.values(), description="the template"))
def download_template(_actor: CurrentActor, kind: Kind, fmt: Format) -> Response:
    """An empty sheet to fill: Chinese header row, English field-name row, drop-downs for coded columns."""
    return Response(template(kind, fmt), media_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{kind.value}-template.{fmt}"'})


@router.post("/{kind}", response_model=ImportReportPublic, responses=errors(403, 404, 409, 413))
def upload(session: SessionDep, settings: SettingsDep, actor: CurrentActor, kind: Kind,
           file: Annotated[UploadFile, File(description=".xlsx or .csv (UTF-8 or GB18030)")],
           valid_only: Annotated[bool, Form(description="store the valid rows even if others are bad")] = False,
           migration: Annotated[bool, Form(description="administrators only: register existing cameras on filed "
                                                       "filings with codes at once (audited as import.migration); "
                                                       "otherwise a filed filing takes cameras by a change filing")]
           = False) -> ImportReportPublic:
    """Import a sheet; all-or-nothing unless `valid_only`; re-importing the same file creates no duplicates."""
    service.require_import_role(actor, kind)
    if migration:
        service.require_migration(actor, kind)
    data = file.file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise TooLarge(f"文件超过上限 / the file exceeds {settings.max_upload_bytes} bytes", field="file")
    report = service.run(session, actor=actor, kind=kind, filename=file.filename or "upload.csv", data=data,
                         settings=settings, valid_only=valid_only, migration=migration)
    error = report.error_file
    return ImportReportPublic(
        **{k: v for k, v in vars(report).items() if k not in ("notes", "error_file", "error_filename")},
        notes=[RowNotePublic(**vars(n)) for n in report.notes], error_file_name=report.error_filename,
        error_file_media_type=MEDIA_TYPES[report.format] if error else None,
        error_file_base64=base64.b64encode(error).decode() if error else None)
