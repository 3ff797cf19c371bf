"""What the filing page shows an officer of the filing unit (王 and 李, JOURNEYS §1): the actions his role and
the filing's state allow, the defects a correction notice may list, and the deployment map with every camera.

Only what is offered is decided here; the service refuses the same actions anyway (registry.filings.service).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.cameras.models import Camera
from registry.filings import drafts, mapimages
from registry.filings.models import AWAITING_DECISION, EDITABLE_STATES, Filing, FilingState, Material, MaterialKind
from registry.filings.paste_rows import PASTE_HEADERS
from registry.filings.service import DESK_ROLES
from registry.settings import Settings
from registry.ui import labels

# The defects a correction notice lists (补正材料通知单), in the order of the materials; "other" is free text.
# A defect the registry finds missing (registry.filings.service.completeness) is printed with its own message,
# which names the counts and the unplaced cameras.
DEFECTS: tuple[tuple[str, str], ...] = (
    ("form", "备案表填写不完整或未加盖单位公章"),
    ("location_diagram", "缺少单位位置示意图，或示意图未标明系统所在位置"),
    ("deployment_map", "布防图未标明全部摄像机的安装位置和监控范围"),
    ("cameras", "摄像机清单与布防图或申报数量不一致"),
    ("camera_count", "摄像机清单登记的台数与备案表申报的数量不一致"),
    ("camera_positions", "布防图未标注部分摄像机的安装位置"),
    ("camera_details", "摄像机清单缺少型号、序列号、MAC 地址或 IP 地址"),
    ("retention_days", "图像信息存储期限不足 30 日"),
    ("system_location", "系统地址或位置与实际情况不符"),
    ("authorization", "委托他人办理的，缺少加盖单位公章的委托办理备案登记授权书"),
)
DEFECT_NAMES = dict(DEFECTS)
OTHER = "other"


def suggested_defects(filing: Filing, missing: Sequence[str], kinds: set[str]) -> set[str]:
    """The defects the registry can see for itself, ticked when the notice form opens (the officer may untick)."""
    ticked = {m for m in missing if m in DEFECT_NAMES}
    if filing.retention_days < 30:
        ticked.add("retention_days")
    if filing.agent_name and MaterialKind.authorization.value not in kinds:
        ticked.add("authorization")
    if MaterialKind.form.value not in kinds:
        ticked.add("form")
    return ticked


@dataclass(frozen=True)
class DeskActions:
    """Which of the filing unit's actions this officer is offered on this filing now."""

    accept: bool
    correct: bool
    record_correction: bool
    review: bool
    review_refused: str | None  # why the re-check is not offered to this officer, if it would be otherwise
    review_waiting: str | None  # what the re-check still waits for (the verifying unit's 核对)
    reject: bool
    upload: bool
    edit_form: bool  # the officer who typed the filing in at the desk corrects it before acceptance


def desk_actions(actor: Actor, filing: Filing) -> DeskActions | None:
    """The actions offered to a desk officer of the filing's unit (None for anyone else)."""
    user = actor.user
    if user.role not in DESK_ROLES or user.unit_code != filing.filing_unit_code:
        return None
    state = filing.state
    awaiting_review = state in (FilingState.accepted, FilingState.corrected)
    own = filing.accepted_by_id == user.id
    verifier = filing.verified_by_id == user.id
    return DeskActions(
        accept=state == FilingState.submitted,
        correct=state == FilingState.accepted,
        record_correction=state == FilingState.correction_requested,
        review=awaiting_review and not own and not verifier,
        review_refused=("本备案由您受理，复核须由其他民警办理（两人审核）" if awaiting_review and own
                        else "本备案由您核对，复核须由其他民警办理" if awaiting_review and verifier else None),
        review_waiting=("尚未核对：须由核对单位先核对备案材料与现场，核对结果为“一致”后方可复核备案"
                        if filing.verification_result is None else
                        "核对结果为与现场不符：请出具补正通知或不予备案" if filing.verification_result != "matches"
                        else None),
        reject=state in AWAITING_DECISION,
        upload=state in EDITABLE_STATES,
        edit_form=drafts.desk_typed_by(actor, filing),
    )


def map_context(session: Session, settings: Settings, filing: Filing, material_id: int | None,
                page: int | None) -> dict[str, Any]:
    """The deployment-map pages of the filing and the one to show (read-only, markers drawn by placement.js)."""
    maps = session.exec(select(Material).where(Material.filing_id == filing.id)
                        .where(Material.kind == MaterialKind.deployment_map).order_by(col(Material.id))).all()
    pages = [(m, f) for m in maps for f in mapimages.frames(settings.materials_dir, m.sha256, m.mime)]
    current = next(((m, f) for m, f in pages if m.id == material_id and f.page == (page or 1)), None)
    if current is None and pages:
        placed = session.exec(select(Camera.map_material_id, Camera.map_page).where(Camera.filing_id == filing.id)
                              .where(col(Camera.map_material_id).is_not(None)).order_by(col(Camera.id))).first()
        current = next(((m, f) for m, f in pages if placed and (m.id, f.page) == tuple(placed)), pages[0])
    return {"map_pages": pages, "map_current": current}


def officer_context(session: Session, settings: Settings, actor: Actor, filing: Filing, *, missing: Sequence[str],
                    kinds: set[str], material_id: int | None = None, page: int | None = None) -> dict[str, Any]:
    """The officer's part of the filing page: actions, defects to tick, the map."""
    return {"desk": desk_actions(actor, filing), "defects": DEFECTS, "defect_names": DEFECT_NAMES,
            "suggested": suggested_defects(filing, missing, kinds),
            "material_kinds": labels.choices(MaterialKind), "paste_headers": PASTE_HEADERS,
            **map_context(session, settings, filing, material_id, page)}
