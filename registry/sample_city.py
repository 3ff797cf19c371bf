"""Load the sample city (`sample_data/city/`) by replaying its history through the registry's services.

Every operator, filing, correction and review goes through the same service functions the API uses, so
routing, numbers, deadlines, camera codes and the audit chain are all real. Events are replayed in
global time order (backdated with ``now=``), so filing numbers rise with acceptance time, gap-free per
unit and year. Each event is one transaction holding whole actions on one filing.
"""

from __future__ import annotations

import csv
import json
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.auth.models import Role, User
from registry.cameras.models import Camera, CameraCreate
from registry.filings import service as filings
from registry.filings import verification
from registry.filings.models import (
    CorrectionItem,
    CorrectionNotice,
    Filing,
    FilingCreate,
    MaterialKind,
    VerificationCreate,
    VerificationResult,
)
from registry.operators import service as operators
from registry.operators.models import Operator, OperatorCreate, PlaceKind, SystemKind
from registry.settings import Settings
from registry.units.models import PoliceUnit

Progress = Callable[[int, int], None]
CITY_CLERK = "sample_city_clerk"
CAMERA_FIELDS = ("name", "position_text", "lon", "lat", "azimuth", "hfov", "range_m", "mount_height_m",
                 "device_type", "form_factor", "manufacturer", "model", "serial", "mac", "ip", "onvif_uuid",
                 "indoor", "public_area")
# Order of a filing's events that share a timestamp.
SUBMIT, ACCEPT, CORRECTION, CORRECTED, DECIDE = range(5)


def _place_kind(row: dict[str, str]) -> PlaceKind | None:
    """The row's place kind; files older than the column built their government systems on roads, squares
    and communities, so a government row without the column is a public place (routed as before)."""
    if "place_kind" not in row:
        return None if row["system_kind"] == SystemKind.ordinary else PlaceKind.public_place
    return PlaceKind(row["place_kind"]) if row["place_kind"] else None


class SampleCityError(ValueError):
    """The sample-city files are malformed (names the file, the line and the field)."""


@dataclass
class SampleCityReport:
    """What a load did, and the registry's totals afterwards."""

    operators_loaded: int = 0
    operators_skipped: int = 0
    filings_loaded: int = 0
    events: int = 0
    users_created: int = 0
    seconds: float = 0.0
    states: dict[str, int] = field(default_factory=dict)
    cameras: int = 0
    correction_notices: int = 0
    mismatches: list[str] = field(default_factory=list)


@dataclass
class City:
    """The parsed files: operators and filings in file order, cameras grouped by filing."""

    directory: Path
    operators: list[dict[str, str]]
    filings: list[dict[str, Any]]
    cameras: dict[str, list[dict[str, str]]]
    camera_rows: dict[str, dict[str, str]]


def _read_csv(path: Path, required: set[str]) -> list[dict[str, str]]:
    if not path.exists():
        raise SampleCityError(f"{path}: file missing (run scripts/generate_sample_city.py)")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = required - set(reader.fieldnames or ())
        if missing:
            raise SampleCityError(f"{path.name}: missing columns {', '.join(sorted(missing))}")
        return list(reader)


def read_city(directory: Path, limit: int | None = None) -> City:
    """Parse the files, keeping the first `limit` operators and everything that belongs to them."""
    operators_rows = _read_csv(directory / "operators.csv", {"ref", "name", "uscc", "lon", "lat", "has_account"})
    if limit is not None:
        operators_rows = operators_rows[:limit]
    wanted = {row["ref"] for row in operators_rows}
    filings_list: list[dict[str, Any]] = []
    with (directory / "filings.jsonl").open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SampleCityError(f"filings.jsonl line {line_no}: not JSON ({exc})") from exc
            for key in ("ref", "operator", "form", "submitted_at", "final_state", "deployment_maps"):
                if key not in record:
                    raise SampleCityError(f"filings.jsonl line {line_no}: field {key!r} missing")
            if record["operator"] in wanted:
                filings_list.append(record)
    refs = {f["ref"] for f in filings_list}
    cameras: dict[str, list[dict[str, str]]] = {}
    camera_rows: dict[str, dict[str, str]] = {}
    for row in _read_csv(directory / "cameras.csv", {"ref", "filing_ref", "deferred", "sheet", *CAMERA_FIELDS}):
        if row["filing_ref"] in refs:
            cameras.setdefault(row["filing_ref"], []).append(row)
            camera_rows[row["ref"]] = row
    return City(directory, operators_rows, filings_list, cameras, camera_rows)


def _form_scan() -> bytes:
    """The sample city's stand-in for a signed and sealed 备案表 (the files have none): a one-page A4 PDF
    saying it is synthetic, the same bytes for every filing (stored once, by SHA-256)."""
    text = b"BT /F1 14 Tf 72 770 Td (Sample city: stand-in for the signed and sealed filing form) Tj ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
               b"/Contents 5 0 R >>", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text)]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


FORM_SCAN = _form_scan()


def _when(text: str) -> datetime:
    """A timestamp from the files as aware UTC (the database keeps UTC)."""
    return datetime.fromisoformat(text).astimezone(UTC)


def _camera(row: dict[str, str], map_ids: list[int], overrides: dict[str, str] | None = None,
            existing_code: str | None = None) -> CameraCreate:
    values: dict[str, Any] = {k: (row[k] if row[k] != "" else None) for k in CAMERA_FIELDS}
    values.update(overrides or {})
    values["indoor"], values["public_area"] = row["indoor"] == "1", row["public_area"] == "1"
    if row["sheet"]:
        values.update(map_material_id=map_ids[int(row["sheet"]) - 1], map_page=1, map_x=float(row["map_x"]),
                      map_y=float(row["map_y"]))
    try:
        return CameraCreate(**values, existing_code=existing_code)
    except ValueError as exc:
        raise SampleCityError(f"cameras.csv camera {row['ref']}: {exc}") from exc


class _Replay:
    """The mapping from file references to database rows, and the accounts that act."""

    def __init__(self, settings: Settings, city: City, report: SampleCityReport) -> None:
        self.settings, self.city, self.report = settings, city, report
        self.operators = {row["ref"]: row for row in city.operators}
        self.operator_ids: dict[str, int] = {}
        self.units: dict[str, str] = {}
        self.filing_ids: dict[str, int] = {}
        self.camera_ids: dict[str, int] = {}
        self.users: dict[str, User] = {}
        self.images: dict[str, bytes] = {}

    def image(self, name: str) -> bytes:
        """A plan's bytes, read once."""
        if name not in self.images:
            path = self.city.directory / "plans" / name
            if not path.exists():
                raise SampleCityError(f"plans/{name}: file missing")
            self.images[name] = path.read_bytes()
        return self.images[name]

    def user(self, session: Session, username: str, **fields: Any) -> User:
        """An account of the sample city, created on first use with a password nobody can use.

        The hash is not an Argon2 hash, so every login fails until an administrator sets a password;
        hashing ~250 random passwords with Argon2 would cost the load ~25 s for nothing.
        """
        if username not in self.users:
            user = session.exec(select(User).where(User.username == username)).first()
            if user is None:
                user = User(username=username, password_hash="!unusable:" + secrets.token_hex(16), **fields)
                session.add(user)
                session.flush()
                self.report.users_created += 1
            self.users[username] = user
        return self.users[username]

    def officer(self, session: Session, unit_code: str, role: Role) -> Actor:
        """The sample intake officer or reviewer of a filing unit (two people, so the re-check rule holds), or the
        inspector of a verifying unit who records the 核对."""
        username = f"sample_{unit_code}_{role.value}"
        if username not in self.users:
            unit = session.get_one(PoliceUnit, unit_code)
            label = {Role.intake: "科信 受理", Role.reviewer: "科信 复核"}.get(role, " 核对")
            self.user(session, username, full_name=f"{unit.name}{label}（样例）", role=role, unit_code=unit_code)
        return Actor(self.users[username])

    def submitter(self, session: Session, filing: dict[str, Any]) -> Actor:
        """The operator's own account for online filings, else the filing unit's intake officer."""
        op = self.operators[filing["operator"]]
        if filing["channel"] == "online" and op["has_account"] == "1":
            return Actor(self.user(session, f"sample_op_{op['ref'].lower()}", full_name=f"{op['name']} 备案专员",
                                   role=Role.operator, operator_id=self.operator_ids[op["ref"]]))
        return self.officer(session, self.unit_of(filing), Role.intake)

    def unit_of(self, filing: dict[str, Any]) -> str:
        """The filing unit the registry routed the filing's operator to."""
        return self.units[filing["operator"]]

    def operator(self, session: Session, ref: str, at: datetime) -> None:
        """Register the operator (routed by the service) the first time one of its filings arrives."""
        if ref in self.operator_ids:
            return
        row = self.operators[ref]
        clerk = Actor(self.user(session, CITY_CLERK, full_name="样例城市 数据录入", role=Role.admin, unit_code="001"))
        try:
            data = OperatorCreate(
                name=row["name"], uscc=row["uscc"], address=row["address"], industry_code=row["industry_code"],
                industry_edition=row["industry_edition"], affiliation_code=row["affiliation_code"] or None,
                system_kind=SystemKind(row["system_kind"]),
                place_kind=_place_kind(row),
                contact_name=row["contact_name"],
                contact_phone=row["contact_phone"], lon=float(row["lon"]), lat=float(row["lat"]))
        except ValueError as exc:
            raise SampleCityError(f"operators.csv operator {ref}: {exc}") from exc
        operator = operators.create(session, actor=clerk, data=data)
        operator.created_at = operator.updated_at = at
        session.add(operator)
        assert operator.id is not None
        self.operator_ids[ref] = operator.id
        self.units[ref] = operator.filing_unit_code
        self.report.operators_loaded += 1

    def upload(self, session: Session, actor: Actor, filing_id: int, kind: MaterialKind, name: str,
               at: datetime, data: bytes | None = None) -> int:
        """Upload one plan image (or the given bytes) as a material of the filing."""
        material = filings.upload_material(session, actor=actor, filing_id=filing_id, kind=kind, filename=name,
                                           data=self.image(name) if data is None else data, settings=self.settings)
        material.uploaded_at = at
        session.add(material)
        assert material.id is not None
        return material.id

    def add_cameras(self, session: Session, actor: Actor, filing: dict[str, Any], items: list[CameraCreate],
                    refs: list[str | None], at: datetime) -> None:
        """List cameras on the filing and remember the rows of the new ones."""
        if not items:
            return
        rows = filings.add_cameras(session, actor=actor, filing_id=self.filing_ids[filing["ref"]], items=items)
        ids = [camera.id for camera in rows]
        # One statement backdates them all (setting the attribute would issue an UPDATE per camera).
        session.execute(update(Camera).where(col(Camera.id).in_(ids)).values(created_at=at))
        for ref, camera_id in zip(refs, ids, strict=True):
            if ref is not None and camera_id is not None:
                self.camera_ids[ref] = camera_id

    def submit(self, session: Session, filing: dict[str, Any], at: datetime) -> None:
        """Submission: the form, the location diagram, the deployment maps and the camera list."""
        self.operator(session, filing["operator"], at)
        actor = self.submitter(session, filing)
        parent = self.filing_ids.get(filing["changes"]) if filing.get("changes") else None
        number = session.get_one(Filing, parent).number if parent else None
        try:
            # The files give a change the date its changed system went into use: that is its date of change.
            changed = {"change_date": filing["form"]["system_in_use_date"]} if number else {}
            if not number and "acceptance_date" not in filing["form"]:  # files made before the date was asked
                changed["acceptance_date"] = filing["form"]["system_in_use_date"]
            data = FilingCreate(**filing["form"], **changed, operator_id=self.operator_ids[filing["operator"]],
                                changes_filing_number=number)
        except ValueError as exc:
            raise SampleCityError(f"filings.jsonl filing {filing['ref']}: {exc}") from exc
        row = filings.submit(session, actor=actor, data=data, settings=self.settings, now=at)
        assert row.id is not None
        self.filing_ids[filing["ref"]] = row.id
        # The 备案表 (第七条), signed and sealed, is one of the materials; the files carry none, so a stand-in.
        self.upload(session, actor, row.id, MaterialKind.form, f"备案表-{filing['ref']}.pdf", at, FORM_SCAN)
        if not filing.get("defer_location_diagram"):
            self.upload(session, actor, row.id, MaterialKind.location_diagram, filing["location_diagram"], at)
        maps = [self.upload(session, actor, row.id, MaterialKind.deployment_map, name, at)
                for name in filing["deployment_maps"]]
        items: list[CameraCreate] = []
        refs: list[str | None] = []
        changes = filing.get("keep_changes") or {}
        kept = filing.get("keep") or []
        codes = dict(session.exec(select(Camera.id, Camera.code).where(
            col(Camera.id).in_([self.camera_ids[ref] for ref in kept]))).all()) if kept else {}
        for ref in kept:
            code = codes[self.camera_ids[ref]]
            items.append(_camera(self.city.camera_rows[ref], maps, changes.get(ref), existing_code=code))
            refs.append(None)  # the kept camera keeps its own row once the change is filed
        for cam in self.city.cameras.get(filing["ref"], []):
            if cam["deferred"] != "1":
                items.append(_camera(cam, maps))
                refs.append(cam["ref"])
        self.add_cameras(session, actor, filing, items, refs, at)

    def corrected(self, session: Session, filing: dict[str, Any], at: datetime) -> None:
        """The operator's correction: what was held back, a revised deployment map if cameras were missing."""
        actor = self.submitter(session, filing)
        filing_id = self.filing_ids[filing["ref"]]
        if filing.get("defer_location_diagram"):
            self.upload(session, actor, filing_id, MaterialKind.location_diagram, filing["location_diagram"], at)
        held = [cam for cam in self.city.cameras.get(filing["ref"], []) if cam["deferred"] == "1"]
        if held:
            maps = [self.upload(session, actor, filing_id, MaterialKind.deployment_map, name, at)
                    for name in filing["deployment_maps"]]
            self.add_cameras(session, actor, filing, [_camera(cam, maps) for cam in held],
                             [cam["ref"] for cam in held], at)
        filings.submit_correction(session, actor=actor, filing_id=filing_id, now=at)

    def run(self, session: Session, step: int, filing: dict[str, Any], at: datetime) -> None:
        """Replay one event of one filing."""
        if step == SUBMIT:
            self.submit(session, filing, at)
            return
        filing_id = self.filing_ids[filing["ref"]]
        unit = self.unit_of(filing)
        if step == ACCEPT:
            filings.accept(session, actor=self.officer(session, unit, Role.intake), filing_id=filing_id, now=at)
        elif step == CORRECTION:
            items = [CorrectionItem(**item) for item in filing["correction"]["items"]]
            filings.request_correction(session, actor=self.officer(session, unit, Role.intake), filing_id=filing_id,
                                       items=items, settings=self.settings, now=at)
        elif step == CORRECTED:
            self.corrected(session, filing, at)
        elif filing.get("filed_at"):
            # 核对 by the verifying unit (the station, or the filing unit itself), then 复查/复核 and filing.
            verifying = session.get_one(Operator, session.get_one(Filing, filing_id).operator_id).verifying_unit_code
            verification.record(session, actor=self.officer(session, verifying, Role.inspector), filing_id=filing_id,
                                data=VerificationCreate(result=VerificationResult.matches,
                                                        notes="现场核对：备案材料与现场一致（样例）"), now=at)
            filings.review(session, actor=self.officer(session, unit, Role.reviewer), filing_id=filing_id,
                           settings=self.settings, now=at)
        else:
            row = filings.reject(session, actor=self.officer(session, unit, Role.reviewer), filing_id=filing_id,
                                 reason=filing["rejected_reason"])
            row.updated_at = at  # reject() has no `now`: keep the history's date rather than the load's
            session.add(row)


def _events(filings_list: list[dict[str, Any]]) -> list[tuple[datetime, int, int, dict[str, Any]]]:
    """Every event of every filing, in global time order (ties: workflow order, then file order)."""
    events = []
    for index, filing in enumerate(filings_list):
        correction = filing.get("correction") or {}
        moments = ((SUBMIT, filing["submitted_at"]), (ACCEPT, filing.get("accepted_at")),
                   (CORRECTION, correction.get("issued_at")), (CORRECTED, correction.get("corrected_at")),
                   (DECIDE, filing.get("filed_at") or filing.get("rejected_at")))
        events += [(_when(text), step, index, filing) for step, text in moments if text]
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    return events


def load_sample_city(engine: Engine, settings: Settings, *, directory: Path | None = None, limit: int | None = None,
                     progress: Progress | None = None) -> SampleCityReport:
    """Replay the sample city into the registry; operators already present (and their filings) are skipped.

    `directory` defaults to ``settings.sample_data_dir / "city"``; `limit` keeps the first N operators;
    `progress(done, total)` is called after each replayed event.
    """
    started = time.perf_counter()
    city = read_city(directory or settings.sample_data_dir / "city", limit)
    report = SampleCityReport()
    with Session(engine) as session:
        present = set(session.exec(select(Operator.uscc).where(
            col(Operator.uscc).in_([row["uscc"] for row in city.operators]))).all())
    skipped = {row["ref"] for row in city.operators if row["uscc"] in present}
    report.operators_skipped = len(skipped)
    todo = [f for f in city.filings if f["operator"] not in skipped]
    replay = _Replay(settings, city, report)
    events = _events(todo)
    for done, (at, step, _index, filing) in enumerate(events, start=1):
        with Session(engine, expire_on_commit=False) as session:
            replay.run(session, step, filing, at)
            session.commit()
        if progress is not None:
            progress(done, len(events))
    report.events, report.filings_loaded = len(events), len(todo)
    _totals(engine, report, replay, todo)
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def _totals(engine: Engine, report: SampleCityReport, replay: _Replay, todo: list[dict[str, Any]]) -> None:
    """Registry-wide counts, and any filing whose replayed state or lateness differs from the files."""
    with Session(engine) as session:
        report.states = dict(sorted(Counter(session.exec(select(Filing.state)).all()).items()))
        report.cameras = session.exec(select(func.count()).select_from(Camera)).one()
        report.correction_notices = session.exec(select(func.count()).select_from(CorrectionNotice)).one()
        rows = {f.id: f for f in session.exec(select(Filing).where(
            col(Filing.id).in_(list(replay.filing_ids.values())))).all()}
    # The files end a changed filing as filed; once its change is filed the registry marks it superseded (第十条).
    changed = {f["changes"] for f in todo if f.get("changes") and f["final_state"] == "filed"}
    for filing in todo:
        row = rows.get(replay.filing_ids.get(filing["ref"], -1))
        expected = "superseded" if filing["ref"] in changed else filing["final_state"]
        if row is None or row.state != expected:
            report.mismatches.append(f"{filing['ref']}: state {row.state if row else None}, "
                                     f"expected {expected}")
        elif "expect_late" in filing and row.late != filing["expect_late"]:
            report.mismatches.append(f"{filing['ref']}: late={row.late}, expected {filing['expect_late']}")


def demo_operator_id(session: Session) -> int | None:
    """A hotel filed with 东城分局 (the demo officers' unit) for the demo operator account, if loaded."""
    query = select(Operator.id).where(Operator.filing_unit_code == "101").order_by(col(Operator.id))
    return session.exec(query.where(col(Operator.name).contains("酒店"))).first() or session.exec(query).first()
