"""Importing one file: read it, check every row, store all-or-nothing (or the valid rows), audit it."""

from __future__ import annotations

import hashlib
from pathlib import PurePath

from sqlmodel import Session

from registry.actor import Actor
from registry.audit import service as audit
from registry.auth.models import Role
from registry.auth.scope import require_role
from registry.errors import InvalidInput
from registry.imports.cameras import import_cameras
from registry.imports.columns import COLUMNS, Kind
from registry.imports.records import import_filings, import_operators
from registry.imports.rows import ImportReport, Progress, RowErrors, no_progress
from registry.imports.sheets import Limits, Sheet, error_file, read_sheet
from registry.operators.service import OFFICER_WRITERS
from registry.settings import Settings

# Who may import each kind at all (the rows' own rules apply after); checked before the file is read.
IMPORT_ROLES = {Kind.operators: OFFICER_WRITERS, Kind.filings: (Role.operator, Role.intake, Role.reviewer),
                Kind.cameras: (Role.operator, Role.intake, Role.reviewer, Role.admin)}


def require_import_role(actor: Actor, kind: Kind) -> None:
    """Refuse (403) a user whose role can never import this kind, before any of the file is parsed."""
    require_role(actor.user, *IMPORT_ROLES[kind])


def run(session: Session, *, actor: Actor, kind: Kind, filename: str, data: bytes, settings: Settings,
        valid_only: bool = False, progress: Progress = no_progress, migration: bool = False) -> ImportReport:
    """Import a sheet in the caller's transaction; a refused file leaves nothing but its audit event."""
    require_import_role(actor, kind)
    sheet = read_sheet(kind, filename, data, limits_for(settings))
    return run_sheet(session, actor=actor, kind=kind, sheet=sheet, filename=filename, data=data, settings=settings,
                     valid_only=valid_only, progress=progress, migration=migration)


def require_migration(actor: Actor, kind: Kind) -> None:
    """Migration mode (existing cameras registered on filed filings, codes at once) is an administrator's, for cameras.

    Every other way to add a camera to a filed system is a change filing (第十条); the mode is named in the
    audit event (`import.migration`) so each use can be reviewed.
    """
    if kind != Kind.cameras:
        raise InvalidInput("迁移模式只用于导入摄像机 / migration mode is for cameras only", field="migration")
    require_role(actor.user, Role.admin)


def limits_for(settings: Settings) -> Limits:
    """The configured caps on an uploaded sheet."""
    return Limits(max_rows=settings.import_max_rows, max_unpacked_bytes=settings.import_max_unpacked_bytes)


def run_sheet(session: Session, *, actor: Actor, kind: Kind, sheet: Sheet, filename: str, data: bytes,
              settings: Settings, valid_only: bool = False, progress: Progress = no_progress,
              migration: bool = False) -> ImportReport:
    """Import a sheet already read (a page may complete it first, e.g. with its filing); as `run`."""
    require_import_role(actor, kind)
    if migration:
        require_migration(actor, kind)
    report = ImportReport(kind=kind.value, filename=PurePath(filename).name, sha256=hashlib.sha256(data).hexdigest(),
                          format=sheet.format, valid_only=valid_only, migration=migration, rows=len(sheet.rows),
                          ignored_columns=sheet.ignored)
    errors = RowErrors(COLUMNS[kind])
    savepoint = session.begin_nested()
    try:
        if kind == Kind.operators:
            import_operators(session, actor=actor, sheet=sheet, report=report, errors=errors, progress=progress)
        elif kind == Kind.filings:
            import_filings(session, actor=actor, sheet=sheet, report=report, errors=errors, settings=settings,
                           progress=progress)
        else:
            import_cameras(session, actor=actor, sheet=sheet, report=report, errors=errors, progress=progress)
    except BaseException:
        savepoint.rollback()
        raise
    refused = bool(errors) and not valid_only
    if refused:
        savepoint.rollback()
        report.created = report.codes_issued = 0
    else:
        savepoint.commit()
    report.committed = not refused
    for index, cells in errors.by_row.items():
        report.note(sheet.row_number(index), "invalid", "；".join(cells.values()))
    report.notes.sort(key=lambda n: n.row)
    if errors:
        report.error_file = error_file(sheet, errors.by_row)
        report.error_filename = f"{PurePath(report.filename).stem}-错误.{sheet.format}"
    action = "import.migration" if migration else "import"
    audit.append(session, actor=actor, action=action, object_type=kind.value, object_id=report.sha256,
                 details={"file": report.filename, "sha256": report.sha256, "format": sheet.format,
                          **report.counts(), **({"filings": report.per_filing} if report.per_filing else {})})
    return report
