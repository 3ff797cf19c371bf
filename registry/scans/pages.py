"""Scans in the app: upload a scan on the operator's page, read its reconciliation, download the filed cameras."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import col, select
from starlette.datastructures import UploadFile

from discovery.reconcile import Outcome, reconciliation_from_dict
from discovery.reconcile_render import ATTRIBUTES, LABELS, render_csv
from registry.auth.models import User
from registry.auth.scope import get_visible, require_role
from registry.deps import PageActor, SessionDep, SettingsDep
from registry.errors import DomainError
from registry.filings.models import Filing, FilingState
from registry.operators.models import Operator
from registry.operators.pages import detail_page
from registry.scans import filed_file, service
from registry.scans.models import Scan
from registry.timeutil import beijing_today
from registry.ui.forms import FormErrors
from registry.ui.templating import redirect, render

router = APIRouter(include_in_schema=False)
# The order an inspector reads a reconciliation in: what needs action first, what agrees last.
OUTCOME_ORDER = (Outcome.CHANGED, Outcome.MISSING, Outcome.UNFILED, Outcome.AMBIGUOUS, Outcome.MATCHED)


@router.post("/operators/{operator_id}/scans", response_class=HTMLResponse)
async def upload_scan(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                      operator_id: int) -> Response:
    """Store a scan of one of the operator's sites (the API's service), then show its reconciliation."""
    operator = get_visible(session, Operator, operator_id, actor.user)
    require_role(actor.user, *service.SCAN_ROLES)
    form = await request.form()
    values = {"filing_id": str(form.get("filing_id", ""))}
    errors = FormErrors()
    filing = _site(session, operator, values["filing_id"], errors)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors.add("file", "请选择 camreg scan 生成的扫描报告（JSON 文件）")
    if errors or filing is None or not isinstance(upload, UploadFile):
        return _refused(request, session, actor, operator, values, errors)
    data = await upload.read(settings.max_upload_bytes + 1)
    try:
        if len(data) > settings.max_upload_bytes:
            raise DomainError(f"文件超过上限 {settings.max_upload_bytes // 1_000_000} MB", field="file")
        report = service.parse_upload(data, upload.filename or "scan.json", max_devices=settings.scan_max_devices)
        scan = service.record(session, actor=actor, filing_id=filing.id or 0, report=report)
    except DomainError as exc:
        errors.add("file", f"{upload.filename}：{exc.message.split(' / ')[0]}")
        return _refused(request, session, actor, operator, values, errors)
    counts = "，".join(f"{LABELS[o][0]} {scan.counts.get(o.value, 0)}" for o in OUTCOME_ORDER)
    return redirect(f"/scans/{scan.id}", message=f"扫描已保存并比对：{counts}")


def _site(session: Any, operator: Operator, text: str, errors: FormErrors) -> Filing | None:
    """The filed system of this operator the scan is of."""
    filing = session.get(Filing, int(text)) if text.isdigit() and len(text) < 19 else None
    if filing is None or filing.operator_id != operator.id:
        errors.add("filing_id", "请选择扫描的场所（已备案的系统）")
        return None
    if filing.state != FilingState.filed:
        errors.add("filing_id", "只能对已备案的系统进行核查比对")
        return None
    return filing


def _refused(request: Request, session: Any, actor: Any, operator: Operator, values: dict[str, str],
             errors: FormErrors) -> HTMLResponse:
    return detail_page(request, session, actor, operator, extra={"scan_values": values, "scan_errors": errors},
                       status_code=422)


def _visible_scan(session: Any, scan_id: int, user: User) -> Scan:
    return get_visible(session, Scan, scan_id, user)


@router.get("/scans/{scan_id}", response_class=HTMLResponse)
def scan_page(request: Request, session: SessionDep, actor: PageActor, scan_id: int) -> Response:
    """A stored scan's reconciliation: counts, what needs action first, footage held, changes since the last scan."""
    scan = _visible_scan(session, scan_id, actor.user)
    filing = session.get_one(Filing, scan.filing_id)
    operator = session.get_one(Operator, scan.operator_id)
    result = reconciliation_from_dict(scan.reconciliation)
    groups = [(o, LABELS[o][0], result.by_outcome(o)) for o in OUTCOME_ORDER]
    uploader = session.get(User, scan.uploaded_by_id)
    later = session.exec(select(Scan.id).where(Scan.previous_scan_id == scan.id).order_by(col(Scan.id))).first()
    context = {"scan": scan, "filing": filing, "operator": operator, "result": result, "groups": groups,
               "attributes": ATTRIBUTES, "changes": scan.changes_since_previous, "uploader": uploader,
               "next_scan_id": later, "title": f"核查比对 {filing.number}"}
    return render(request, "scans/detail.html", context, actor=actor, session=session)


@router.get("/scans/{scan_id}/export.csv")
def scan_csv(session: SessionDep, actor: PageActor, scan_id: int) -> Response:
    """The reconciliation as CSV for Excel (formulas neutralised, UTF-8 with BOM)."""
    scan = _visible_scan(session, scan_id, actor.user)
    body = "\ufeff" + render_csv(reconciliation_from_dict(scan.reconciliation))
    return Response(body.encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="scan-{scan_id}.csv"'})


@router.get("/operators/{operator_id}/filed-cameras.json")
def filed_cameras_file(session: SessionDep, actor: PageActor, operator_id: int) -> Response:
    """The operator's filed cameras for the laptop: `camreg reconcile NUMBER SCAN.json --filed THIS_FILE` offline."""
    operator, data = filed_file.build(session, actor=actor, operator_id=operator_id)
    name = f"filed-cameras-{operator.uscc}-{beijing_today().isoformat()}.json"
    return Response(json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
