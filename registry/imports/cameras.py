"""Bulk camera registration: validate in bulk, route in one pass, one locked counter update per code prefix.

Cameras on an open filing are listed without codes, which come when the filing is filed. A filed
filing takes new cameras only through a change filing (第十条), except in migration mode: an
administrator of the filing unit (or the city) registering a department's existing cameras, which get
their 20-digit codes at once; the import is audited as `import.migration`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlmodel import Session, select

from maps.datums import to_wgs84
from registry.actor import Actor
from registry.auth.models import Role
from registry.auth.scope import CITY_UNIT, clause_for
from registry.camera_codes import CameraCodeError, code_prefix, format_code, type_code_for
from registry.cameras import identity
from registry.cameras.identity import Device
from registry.cameras.models import Camera, CameraCreate, CameraStatus
from registry.filings.models import EDITABLE_STATES, Filing, FilingState
from registry.imports.bulk import bulk_insert
from registry.imports.columns import CAMERA_COLUMNS
from registry.imports.records import chunks, fetch_in
from registry.imports.rows import ImportReport, Progress, RowErrors, differences, validate_rows
from registry.imports.sheets import Sheet
from registry.numbering.service import take_serials
from registry.operators.models import Operator
from registry.routing import locate_many
from registry.timeutil import utcnow
from registry.units.models import PoliceUnit, UnitKind

CAMERA_FIELDS = set(CameraCreate.model_fields) - {"existing_code"}
FILED_REFUSAL = ("已备案的系统增加摄像机须办理变更备案（第十条）；存量数据迁移由管理员以迁移模式导入 / "
                 "cameras are added to a filed filing only through a change filing "
                 "(an administrator may import existing ones in migration mode)")
# A code field a prefix check names, and the sheet column the user should fix.
CODE_FIELD_COLUMN = {"type": "device_type", "device_type": "device_type", "district": "lon", "grassroots": "lon"}


@dataclass(frozen=True)
class Target:
    """A filing cameras are added to, whether the actor may add them, and the code fields (plain values:
    ORM attribute access per row would cost more than the rest of the row's work)."""

    filing_id: int
    operator_id: int
    industry_code: str
    edition: str
    network: str
    coded: bool  # filed filings get codes now; open ones when they are filed
    refusal: str | None

    @classmethod
    def of(cls, filing: Filing, operator: Operator, refusal: str | None) -> Target:
        """The plain values of a filing and its operator."""
        assert filing.id is not None and operator.id is not None
        return cls(filing.id, operator.id, operator.industry_code, operator.industry_edition,
                   str(filing.network_digit), filing.state == FilingState.filed, refusal)


def _refusal(actor: Actor, filing: Filing, migration: bool) -> str | None:
    user = actor.user
    if filing.state == FilingState.filed:
        if not migration:  # rows already there are reported as present; a new row is refused (FILED_REFUSAL)
            if user.role not in (Role.intake, Role.reviewer, Role.admin) or user.unit_code != filing.filing_unit_code:
                return (f"已备案的备案只有受理单位 {filing.filing_unit_code} 的民警可以核对导入 / only officers of the "
                        f"filing unit {filing.filing_unit_code} may import against a filed filing")
            return None
        if user.role != Role.admin or user.unit_code not in (filing.filing_unit_code, CITY_UNIT):
            return (f"迁移模式只限受理单位 {filing.filing_unit_code} 或市局的管理员 / "
                    f"migration mode is for administrators of the filing unit {filing.filing_unit_code} "
                    "or the city department")
        return None
    if migration:
        return (f"迁移模式只用于已备案的备案，此备案状态为 {filing.state.value} / migration mode registers cameras on "
                "filed filings only")
    if filing.state not in EDITABLE_STATES:
        return f"备案状态为 {filing.state.value}，不能添加摄像机 / the filing is {filing.state.value}"
    if user.role == Role.operator:
        return None
    if user.role not in (Role.intake, Role.reviewer) or user.unit_code != filing.filing_unit_code:
        return (f"只有使用单位或受理单位 {filing.filing_unit_code} 的窗口民警可以添加 / only the operator or a desk "
                f"officer of unit {filing.filing_unit_code} may add cameras")
    return None


def _targets(session: Session, actor: Actor, parsed: list[tuple[Any, dict[str, Any]]], errors: RowErrors,
             migration: bool = False) -> list[Target | None]:
    """The target filing of each row, or None (with the reason recorded on the filing cell)."""
    scope = clause_for(Filing, actor.user)
    numbers = {v["filing_number"] for _, v in parsed if "filing_number" in v}
    ids = {v["filing_id"] for _, v in parsed if "filing_id" in v}
    found = {f.id: f for f in fetch_in(session, Filing, Filing.number, numbers, scope)}
    found |= {f.id: f for f in fetch_in(session, Filing, Filing.id, ids, scope)}
    by_number = {f.number: f.id for f in found.values() if f.number}
    operators = {o.id: o for o in fetch_in(session, Operator, Operator.id, {f.operator_id for f in found.values()})}
    targets = {fid: Target.of(f, operators[f.operator_id], _refusal(actor, f, migration)) for fid, f in found.items()}
    out: list[Target | None] = []
    for index, (_, values) in enumerate(parsed):
        number, fid = values.get("filing_number"), values.get("filing_id")
        resolved = by_number.get(number) if number is not None else fid
        target = targets.get(resolved)
        if number is None and fid is None:
            errors.add(index, "filing_number", "备案编号或备案ID必填一项 / give the filing number or the filing id")
        elif target is None:
            name, given = ("filing_number", number) if number is not None else ("filing_id", fid)
            errors.add(index, name, f"备案 {given} 不存在（或不在您的管辖范围）/ no filing {given} in your "
                                    "responsibility")
        elif number is not None and fid is not None and resolved != fid:
            errors.add(index, "filing_id", f"与备案编号 {number} 不是同一备案 / is not the filing numbered {number}")
        elif target.refusal:
            errors.add(index, "filing_number" if number is not None else "filing_id", target.refusal)
        out.append(target if index not in errors else None)
    return out


def _locate(parsed: list[tuple[CameraCreate | None, dict[str, Any]]], rows: list[int], errors: RowErrors
            ) -> dict[int, tuple[float, float, str, str | None]]:
    """WGS-84 position, district and station of each row, all rows routed in one vectorised call."""
    models = [parsed[i][0] for i in rows]
    lons = np.asarray([m.lon for m in models if m is not None], dtype=np.float64)
    lats = np.asarray([m.lat for m in models if m is not None], dtype=np.float64)
    datums = np.array([parsed[i][1].get("datum", "wgs84") for i in rows])
    for datum in set(datums.tolist()) - {"wgs84", "cgcs2000"}:
        mask = datums == datum
        lons[mask], lats[mask] = to_wgs84(lons[mask], lats[mask], datum)
    places = locate_many(lons.tolist(), lats.tolist()) if rows else []
    located = {}
    for index, lon, lat, place in zip(rows, lons.tolist(), lats.tolist(), places, strict=True):
        if place is None:
            errors.add(index, "lon", f"位置 ({lon:.6f}, {lat:.6f}) 不在北京市辖区内 / the location is outside Beijing")
        else:
            located[index] = (lon, lat, place[0], place[1])
    return located


def _existing(session: Session, filing_ids: set[int]) -> dict[tuple[Any, ...], Any]:
    """Active cameras of the filings, keyed the way rows are matched."""
    table = Camera.__table__  # type: ignore[attr-defined]
    known: dict[tuple[Any, ...], Any] = {}
    for part in chunks(sorted(filing_ids)):
        query = select(table).where(table.c.filing_id.in_(part)).where(table.c.status == CameraStatus.active)
        for row in session.execute(query):
            known.setdefault(match_key(row.filing_id, row.serial, row.mac, row.name), row)
    return known


def match_key(filing_id: int, serial: str | None, mac: str | None, name: str) -> tuple[Any, ...]:
    """Same filing and same serial+MAC, or same filing and same name when there is no serial."""
    return (filing_id, "serial", serial, mac) if serial else (filing_id, "name", name)


def import_cameras(session: Session, *, actor: Actor, sheet: Sheet, report: ImportReport, errors: RowErrors,
                   progress: Progress) -> bool:
    """Check every row, then (if allowed) store the good new ones; returns whether anything may be stored."""
    parsed = validate_rows(sheet, CAMERA_COLUMNS, CameraCreate, errors, model_fields=CAMERA_FIELDS,
                           progress=progress)
    targets = _targets(session, actor, parsed, errors, report.migration)
    candidates = [i for i, (m, _) in enumerate(parsed) if m is not None and targets[i] is not None]
    stations = {u.code: u.station_number or "00" for u in session.exec(
        select(PoliceUnit).where(PoliceUnit.kind == UnitKind.station)).all()}
    located = _locate(parsed, candidates, errors)
    known = _existing(session, {t.filing_id for t in targets if t is not None})
    type_codes: dict[tuple[str, str], str | CameraCodeError] = {}
    prefixes: dict[int, str] = {}
    prefix_cache: dict[tuple[str, ...], str | CameraCodeError] = {}
    seen: dict[tuple[Any, ...], int] = {}
    new_rows: list[int] = []
    for index in candidates:
        model, target = parsed[index][0], targets[index]
        assert model is not None and target is not None
        if index not in located:
            continue
        kind = (model.device_type, target.edition)
        if kind not in type_codes:
            try:
                type_codes[kind] = type_code_for(*kind)
            except CameraCodeError as exc:
                type_codes[kind] = exc
        type_code = type_codes[kind]
        if isinstance(type_code, CameraCodeError):
            errors.add(index, "device_type", type_code.message)
            continue
        key = match_key(target.filing_id, model.serial, model.mac, model.name)
        if key in seen:
            first = sheet.row_number(seen[key])
            errors.add(index, "serial" if model.serial else "name", f"与第 {first} 行重复 / duplicate of row {first}")
            continue
        seen[key] = index
        if key in known:
            given = {k: v for k, v in model.model_dump().items() if k in parsed[index][1]}
            changed = differences(known[key], {**given, "lon": located[index][0], "lat": located[index][1]},
                                  CAMERA_COLUMNS)
            row = sheet.row_number(index)
            if changed:
                report.note(row, "differs", "已存在，未更新；不同的列 / already present, not updated; differs in: "
                            + "、".join(changed))
            else:
                report.note(row, "present", "已存在，内容相同 / already present, unchanged")
            continue
        if target.coded and not report.migration:
            errors.add(index, "filing_number" if "filing_number" in parsed[index][1] else "filing_id", FILED_REFUSAL)
            continue
        if target.coded:
            _, _, district, station = located[index]
            parts = (district, stations.get(station or "", "00"), target.industry_code, type_code, target.network,
                     target.edition)
            if parts not in prefix_cache:
                try:
                    prefix_cache[parts] = code_prefix(district=parts[0], grassroots=parts[1], industry=parts[2],
                                                      type_code=parts[3], network=parts[4], edition=parts[5])
                except CameraCodeError as exc:
                    prefix_cache[parts] = exc
            prefix = prefix_cache[parts]
            if isinstance(prefix, CameraCodeError):
                errors.add(index, CODE_FIELD_COLUMN.get(prefix.field), f"无法编码 / cannot issue a code: {prefix}")
                continue
            prefixes[index] = prefix
        new_rows.append(index)
    if errors and not report.valid_only:
        return False
    # A coded row is a camera becoming active under a code: refused if it is active under another (409).
    coded = [m for m in (parsed[i][0] for i in new_rows if i in prefixes) if m is not None]
    identity.check_devices(session, [Device(m.name, m.serial, m.mac, m.onvif_uuid) for m in coded])
    _store(session, parsed=parsed, targets=targets, located=located, prefixes=prefixes,
           rows=new_rows, report=report, progress=progress)
    return True


def _store(session: Session, *, parsed: list[tuple[CameraCreate | None, dict[str, Any]]],
           targets: list[Target | None], located: dict[int, tuple[float, float, str, str | None]],
           prefixes: dict[int, str], rows: list[int], report: ImportReport, progress: Progress) -> None:
    """Allocate serials (one counter update per prefix, in a fixed order) and insert with executemany."""
    codes: dict[int, str] = {}
    by_prefix: dict[str, list[int]] = defaultdict(list)
    for index in rows:
        if index in prefixes:
            by_prefix[prefixes[index]].append(index)
    for prefix in sorted(by_prefix):  # fixed lock order: two imports never wait on each other in a cycle
        group = by_prefix[prefix]
        for index, serial in zip(group, take_serials(session, prefix=prefix, count=len(group)), strict=True):
            codes[index] = format_code(prefix, serial)
    now = utcnow()
    records: list[dict[str, Any]] = []
    for index in rows:
        model, target = parsed[index][0], targets[index]
        assert model is not None and target is not None
        lon, lat, district, station = located[index]
        record = {k: v for k, v in model.__dict__.items() if k in CAMERA_FIELDS}
        record.update(lon=lon, lat=lat, filing_id=target.filing_id, operator_id=target.operator_id,
                      district_code=district, station_id=station, code=codes.get(index),
                      code_edition=target.edition if index in codes else "2016",
                      status=CameraStatus.active, existing_code=None, created_at=now, removed_at=None)
        records.append(record)
    bulk_insert(session, Camera.__table__, records,  # type: ignore[attr-defined]
                lambda done, total: progress("store", done, total))
    progress("store", len(records), len(records))
    report.created, report.codes_issued = len(records), len(codes)
    # One audit event for the file (written by the caller) carries the count per filing.
    report.per_filing = dict(Counter(r["filing_id"] for r in records))
    session.flush()

