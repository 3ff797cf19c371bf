"""Scan routes: upload a scan for a filing, list a site's scans, read a reconciliation as JSON, HTML or CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import HTMLResponse, PlainTextResponse
from sqlmodel import col, select

from discovery.reconcile import reconciliation_from_dict
from discovery.reconcile_render import render_csv, render_html
from registry.auth.scope import get_visible
from registry.deps import CurrentActor, SessionDep, SettingsDep
from registry.errors import TooLarge
from registry.filings.models import Filing
from registry.responses import errors, files
from registry.scans import service
from registry.scans.models import Scan, ScanPublic

router = APIRouter(tags=["scans"], responses=errors(401, 422))


@router.post("/filings/{filing_id}/scans", response_model=ScanPublic, status_code=201,
             responses=errors(403, 404, 413))
async def upload_scan(session: SessionDep, settings: SettingsDep, actor: CurrentActor, filing_id: int,
                      file: Annotated[UploadFile, File(description="the JSON written by camreg scan")]) -> Scan:
    """Store a scan of the filing's site, reconciled with its cameras and compared with the last scan."""
    data = await file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise TooLarge(f"扫描报告超过上限 / the report exceeds {settings.max_upload_bytes} bytes", field="file")
    get_visible(session, Filing, filing_id, actor.user)
    report = service.parse_upload(data, file.filename or "scan.json", max_devices=settings.scan_max_devices)
    return service.record(session, actor=actor, filing_id=filing_id, report=report)


@router.get("/filings/{filing_id}/scans", response_model=list[ScanPublic], responses=errors(404))
def list_scans(session: SessionDep, actor: CurrentActor, filing_id: int) -> list[Scan]:
    """The scans of the filing's site, newest first."""
    filing = get_visible(session, Filing, filing_id, actor.user)
    query = select(Scan).where(Scan.operator_id == filing.operator_id).order_by(col(Scan.scanned_at).desc())
    return list(session.exec(query).all())


@router.get("/scans/{scan_id}", response_model=ScanPublic, responses=errors(404))
def get_scan(session: SessionDep, actor: CurrentActor, scan_id: int) -> Scan:
    """One stored scan."""
    return get_visible(session, Scan, scan_id, actor.user)


@router.get("/scans/{scan_id}/reconciliation", responses=errors(404))
def scan_reconciliation(session: SessionDep, actor: CurrentActor, scan_id: int) -> dict[str, Any]:
    """Every filed camera and scanned device, classified."""
    return get_visible(session, Scan, scan_id, actor.user).reconciliation


@router.get("/scans/{scan_id}/reconciliation.html", response_class=HTMLResponse, responses=errors(404))
def scan_reconciliation_html(session: SessionDep, actor: CurrentActor, scan_id: int) -> HTMLResponse:
    """The reconciliation as a printable page."""
    scan = get_visible(session, Scan, scan_id, actor.user)
    filing = session.get_one(Filing, scan.filing_id)
    result = reconciliation_from_dict(scan.reconciliation)
    subtitle = f"备案编号 {filing.number} · 扫描 {scan.scanned_at:%Y-%m-%d %H:%M} · {scan.host}"
    return HTMLResponse(render_html(result, subtitle=subtitle))


@router.get("/scans/{scan_id}/reconciliation.csv", response_class=PlainTextResponse,
            responses=files("text/csv") | errors(404))
def scan_reconciliation_csv(session: SessionDep, actor: CurrentActor, scan_id: int) -> PlainTextResponse:
    """The reconciliation as CSV (UTF-8 with BOM for Excel)."""
    scan = get_visible(session, Scan, scan_id, actor.user)
    body = render_csv(reconciliation_from_dict(scan.reconciliation))
    return PlainTextResponse(body, media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="scan-{scan_id}.csv"'})
