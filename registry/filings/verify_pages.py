"""核对 pages: the verifying unit's queue of filings awaiting its check, and the 核对 form on a filing's page.

The form is a partial (`filings/_verify.html`) included by the filing page; its data comes from
`verify_context`, which the filing page's context calls. The rule lives in registry/filings/verification.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Select, func, literal
from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.auth.models import OFFICER_ROLES, User
from registry.auth.scope import CITY_UNIT, get_visible, require_role
from registry.deps import PageActor, SessionDep
from registry.errors import DomainError, Forbidden
from registry.exports.service import Filters, filtered_query
from registry.filings import verification
from registry.filings.models import CLOCK_RUNNING, Filing, VerificationCreate, VerificationResult
from registry.filings.pages import FILING_ROW_EXPORT
from registry.imports.columns import Kind
from registry.operators.models import Operator
from registry.scans.models import Scan
from registry.ui.forms import FormErrors, parse
from registry.ui.list_export import ExportColumn, export_list
from registry.ui.listing import Column, FilterField, ListSpec, Sort, show_list
from registry.ui.templating import redirect, render, zh_date

router = APIRouter(include_in_schema=False)
FORM_FIELDS = {"result", "notes", "scan_id"}
RESULT_CHOICES = ((VerificationResult.matches.value, "与现场相符"), (VerificationResult.differs.value, "与现场不符"))
NO_DEADLINE_YET = date(1900, 1, 1)


class QueueFilters(BaseModel):
    """The 待核对 queue: narrowed by a filing number, a name or a credit code."""

    q: str | None = Field(default=None, max_length=100)

    def to_export(self) -> Filters:
        """Filings whose 核对 is due (clock running, none recorded since acceptance or correction)."""
        return Filters(q=self.q, awaiting_verification=True)


QUEUE = ListSpec(
    url="/verifications", title="待核对", filters=QueueFilters,
    fields=(FilterField("q", "查找", placeholder="备案编号、使用单位名称或信用代码"),),
    sorts=(Sort("id", "登记顺序", col(Filing.id)),
           Sort("deadline", "办结期限", func.coalesce(col(Filing.deadline), literal(NO_DEADLINE_YET)),
                date.fromisoformat)),
    default_sort="deadline", id_column=col(Filing.id),
    columns=(Column("备案编号", "id"), Column("使用单位"), Column("系统名称"), Column("核对单位"),
             Column("受理日期"), Column("办结期限", "deadline"), Column("")),
    row_template="filings/_verify_row.html", export_url="/verifications/export",
)
QUEUE_EXPORT = (*FILING_ROW_EXPORT, ExportColumn("verifying_unit_code", "核对单位", lambda r: r.verifying_unit_code))


def queue_rows(user: User, filters: Filters) -> Select[Any]:
    """A unit's queue: what it verifies, and what it files (waiting for its stations); the city sees all."""
    if user.unit_code != CITY_UNIT:
        filters = replace(filters, queue_unit_code=user.unit_code or "-")
    query, _ = filtered_query(Kind.filings, user, filters, [
        Filing, col(Operator.name).label("operator_name"),
        col(Operator.verifying_unit_code).label("verifying_unit_code")])
    return query


@router.get("/verifications", response_class=HTMLResponse)
def verify_queue(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """Filings awaiting 核对 that this unit verifies or files, the nearest deadline first."""
    require_role(actor.user, *OFFICER_ROLES)
    return show_list(request, session, actor, QUEUE, lambda f: queue_rows(actor.user, f.to_export()))


@router.get("/verifications/export.{fmt}")
def verify_queue_export(request: Request, session: SessionDep, actor: PageActor,
                        fmt: Literal["csv", "xlsx"]) -> Response:
    """The 待核对 queue as CSV or Excel: exactly its rows, in its sort, audited."""
    require_role(actor.user, *OFFICER_ROLES)
    return export_list(request, session, actor, QUEUE, lambda f: queue_rows(actor.user, f.to_export()),
                       QUEUE_EXPORT, fmt, "verification-queue")


def can_verify(session: Session, actor: Actor, filing: Filing) -> bool:
    """Whether this user may record a 核对 of this filing now (the form is shown only then)."""
    return (actor.user.role in verification.VERIFY_ROLES and filing.state in CLOCK_RUNNING
            and actor.user.unit_code == verification.verifying_unit(session, filing))


def verify_context(session: Session, actor: Actor, filing: Filing, *, values: dict[str, Any] | None = None,
                   errors: FormErrors | None = None) -> dict[str, Any]:
    """What the 核对 card shows: the unit, every 核对 so far, and the form when this user may record one."""
    assert filing.id is not None
    history = verification.history(session, actor=actor, filing_id=filing.id)
    scans = session.exec(select(Scan).where(Scan.filing_id == filing.id).order_by(col(Scan.scanned_at).desc())).all()
    officers = {u.id: u.full_name for u in session.exec(select(User).where(
        col(User.id).in_([v.verified_by_id for v in history]))).all()} if history else {}
    return {"unit_code": verification.verifying_unit(session, filing), "history": history, "officers": officers,
            "scans": [(s.id, f"{zh_date(s.scanned_at, with_time=True)} · {s.device_count} 台设备") for s in scans],
            "results": RESULT_CHOICES, "can_verify": can_verify(session, actor, filing),
            "due": verification.is_due(filing), "values": values or {"result": "matches"},
            "errors": errors or FormErrors()}


@router.post("/filings/{filing_id}/verify", response_class=HTMLResponse)
async def verify(request: Request, session: SessionDep, actor: PageActor, filing_id: int) -> Response:
    """Record the 核对 from the filing page; errors come back beside the fields with what was typed."""
    from registry.filings.pages import detail_context

    filing = get_visible(session, Filing, filing_id, actor.user)
    values = {k: v for k, v in (await request.form()).items() if k in FORM_FIELDS and isinstance(v, str)}
    errors = FormErrors()
    data = parse(VerificationCreate, values, errors)
    if errors.general and values.get("result") == VerificationResult.differs.value:
        errors.add("notes", "与现场不符时须写明不符之处")  # the model's cross-field rule, shown beside its field
        errors.general = None
    if data is not None:
        try:
            verification.record(session, actor=actor, filing_id=filing_id, data=data)
        except Forbidden:
            raise
        except DomainError as exc:
            errors.add_domain(exc, FORM_FIELDS)
        else:
            said = "与现场相符" if data.result == VerificationResult.matches else "与现场不符"
            return redirect(f"/filings/{filing_id}", message=f"已记录核对结果：{said}。")
    context = detail_context(session, actor, filing)
    context["verification"] = verify_context(session, actor, filing, values=values, errors=errors)
    return render(request, "filings/detail.html", context, actor=actor, session=session, status_code=422)
