"""Synthetic filings with a plausible timeline, their materials, correction notices and gap-free numbers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np

from registry.filings import clock, lateness
from registry.timeutil import BEIJING
from registry.workdays import WorkCalendar

# Share of filings in each state; most of a mature registry is filed.
STATE_SHARES = {"filed": 0.90, "accepted": 0.03, "correction_requested": 0.02, "corrected": 0.01,
                "submitted": 0.03, "rejected": 0.01}
CORRECTED_BEFORE_FILING = 0.08
HISTORY_DAYS = 6 * 365
NETWORK_DIGITS = (8, 8, 8, 8, 8, 8, 8, 8, 7, 0)

FILING_COLUMNS = (
    "id", "system_name", "system_location", "system_in_use_date", "retention_days", "camera_count_declared",
    "camera_types_declared", "network_digit", "operator_id", "kind", "changes_filing_id", "state", "number",
    "filing_unit_code", "channel", "late", "late_days", "acceptance_date", "late_days_acceptance", "late_days_in_use",
    "submitted_at", "submitted_by_id", "accepted_at",
    "accepted_by_id", "deadline", "deadline_provisional", "deadline_calendar_version", "reviewed_by_id",
    "filed_at", "rejected_reason", "updated_at")
MATERIAL_COLUMNS = ("id", "filing_id", "kind", "sha256", "mime", "size", "filename", "uploaded_at", "uploaded_by_id")
NOTICE_COLUMNS = ("id", "filing_id", "number", "items", "issued_at", "issued_by_id", "due_date", "due_provisional",
                  "due_calendar_version", "corrected_at", "late")
COUNTER_COLUMNS = ("unit_code", "year", "kind", "last")
NOTICE_ITEMS = [{"item": "deployment_map", "message": "布防图未标注全部摄像机位置 / the map misses cameras"},
                {"item": "retention_days", "message": "存储期限不足30天 / retention under 30 days"}]


@dataclass
class Material:
    """One stored file the filler points every filing's material rows at."""

    sha256: str
    size: int


@dataclass
class Filings:
    """Filing rows and what the camera generator needs to know about each filing."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    materials: list[tuple[Any, ...]] = field(default_factory=list)
    notices: list[tuple[Any, ...]] = field(default_factory=list)
    counters: list[tuple[Any, ...]] = field(default_factory=list)
    operator_index: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    filed_order: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    network: list[int] = field(default_factory=list)
    submitted_at: list[datetime] = field(default_factory=list)
    deployment_map: list[int] = field(default_factory=list)


def _at(day: date, seconds: int) -> datetime:
    """A Beijing office-hours moment on `day` (09:00 + seconds), in UTC."""
    return datetime.combine(day, time(9), tzinfo=BEIJING).astimezone(UTC) + timedelta(seconds=seconds)


class _Deadlines:
    """Working-day deadlines from the registry's calendar, cached per start day."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self.calendar = calendar
        self.cache: dict[tuple[date, int], tuple[date, bool]] = {}

    def after(self, start: date, days: int) -> tuple[date, bool]:
        key = (start, days)
        if key not in self.cache:
            result = self.calendar.add_working_days(start, days)
            self.cache[key] = (result.date, result.provisional)
        return self.cache[key]

    def resumed(self, accepted: date, notice: date, corrected: date) -> tuple[date, bool]:
        """The decision deadline once the correction is recorded (registry/filings/clock.py)."""
        result = clock.decision_deadline(self.calendar, accepted=accepted, notice_issued=notice, corrected=corrected)
        return result.date, result.provisional


def _first_day(state: str, today: date, rng: np.random.Generator) -> date:
    """When a filing in `state` was submitted, so its whole history lies before today."""
    back = {"submitted": (1, 5), "accepted": (3, 12), "correction_requested": (6, 14), "corrected": (20, 30)}
    low, high = back.get(state, (40, HISTORY_DAYS))
    return today - timedelta(days=int(rng.integers(low, high + 1)))


def make_filings(rng: np.random.Generator, *, camera_counts: np.ndarray, operators: int, filing_units: list[str],
                 officers: Mapping[str, tuple[int, int]], maps: tuple[Material, Material], calendar: WorkCalendar,
                 today: date, late_filing_days: int) -> Filings:
    """`count` filings over `operators` operators; numbers are per filing unit and year, gap-free."""
    deadlines = _Deadlines(calendar)
    count = len(camera_counts)
    states = rng.choice(list(STATE_SHARES), size=count, p=list(STATE_SHARES.values()))
    out = Filings(operator_index=np.arange(count, dtype=np.int64) % operators)
    drafts: list[dict[str, Any]] = []
    for i in range(count):
        state, unit = str(states[i]), filing_units[int(out.operator_index[i])]
        intake, reviewer = officers[unit]
        submitted = _first_day(state, today, rng)
        in_use = submitted - timedelta(days=int(rng.integers(0, 46)))
        draft: dict[str, Any] = {"id": i + 1, "state": state, "unit": unit, "in_use": in_use,
                                 # 竣工验收合格 and going into use on the same day (registry/filings/lateness)
                                 "late": (lateness.days_after_acceptance(in_use, submitted, late_filing_days),
                                          lateness.days_after_in_use(in_use, submitted, late_filing_days)),
                                 "submitted_at": _at(submitted, int(rng.integers(0, 8 * 3600))),
                                 "intake": intake, "reviewer": reviewer, "network": int(rng.choice(NETWORK_DIGITS)),
                                 "cameras": int(camera_counts[i]), "version": calendar.calendar_version,
                                 "operator": int(out.operator_index[i]) + 1}
        if state != "submitted":
            accepted = min(submitted + timedelta(days=int(rng.integers(0, 3))), today - timedelta(days=1))
            draft["accepted_at"] = max(draft["submitted_at"], _at(accepted, int(rng.integers(0, 8 * 3600))))
            draft["deadline"] = deadlines.after(accepted, 15)
        corrected = state == "corrected" or (state == "filed" and rng.random() < CORRECTED_BEFORE_FILING)
        if state == "correction_requested" or corrected:
            draft["notice_at"] = draft["accepted_at"] + timedelta(hours=int(rng.integers(1, 30)))
            draft["notice_due"] = deadlines.after(draft["notice_at"].astimezone(BEIJING).date(), 10)
            if corrected:
                draft["corrected_at"] = draft["notice_at"] + timedelta(days=int(rng.integers(0, 12)))
                # The police clock stopped from the notice to the correction (第九条): it resumes from there.
                draft["deadline"] = deadlines.resumed(*(draft[k].astimezone(BEIJING).date()
                                                        for k in ("accepted_at", "notice_at", "corrected_at")))
        if state in ("filed", "rejected"):
            start = draft.get("corrected_at", draft["accepted_at"])
            draft["closed_at"] = start + timedelta(days=int(rng.integers(1, 16)), hours=int(rng.integers(0, 6)))
        drafts.append(draft)
    _number(drafts, out)
    for draft in drafts:
        _rows(draft, out, maps)
    filed = [d for d in drafts if d["state"] == "filed"]
    # Codes are issued in the order filings were filed; -1 marks filings whose cameras have no code yet.
    out.filed_order = np.full(count, -1, dtype=np.int64)
    for rank, draft in enumerate(sorted(filed, key=lambda d: (d["closed_at"], d["id"]))):
        out.filed_order[draft["id"] - 1] = rank
    return out


def _number(drafts: list[dict[str, Any]], out: Filings) -> None:
    """Hand out filing and notice numbers in the order they were taken: per unit and Beijing year, from 1."""
    last: dict[tuple[str, int, str], int] = defaultdict(int)
    for kind, moment, target in (("filing", "accepted_at", "number"), ("correction", "notice_at", "notice_number")):
        for draft in sorted((d for d in drafts if moment in d), key=lambda d: (d[moment], d["id"])):
            year = draft[moment].astimezone(BEIJING).year
            last[(draft["unit"], year, kind)] += 1
            draft[target] = f"{draft['unit']}{year:04d}{last[(draft['unit'], year, kind)]:06d}"
    out.counters = [(unit, year, kind, n) for (unit, year, kind), n in sorted(last.items())]


def _rows(draft: dict[str, Any], out: Filings, maps: tuple[Material, Material]) -> None:
    """The filing row, its two material rows and its correction notice, if any."""
    fid, state = draft["id"], draft["state"]
    deadline, provisional = draft.get("deadline", (None, False))
    closed = draft.get("closed_at")
    updated = closed or draft.get("corrected_at") or draft.get("notice_at") or draft.get("accepted_at") \
        or draft["submitted_at"]
    out.rows.append((
        fid, f"视频监控系统{fid:06d}", f"北京市示范路{fid % 500 + 1}号", draft["in_use"], 30 + fid % 4 * 30,
        draft["cameras"], "枪机、球机", draft["network"], draft["operator"], "new", None, state, draft.get("number"),
        draft["unit"], "desk",
        max(draft["late"]) > 0, max(draft["late"]), draft["in_use"], *draft["late"], draft["submitted_at"],
        draft["intake"],
        draft.get("accepted_at"), draft["intake"] if "accepted_at" in draft else None, deadline, provisional,
        draft["version"] if deadline else None, draft["reviewer"] if closed else None,
        closed if state == "filed" else None,
        "材料无法补齐 / materials could not be completed" if state == "rejected" else None, updated))
    out.network.append(draft["network"])
    out.submitted_at.append(draft["submitted_at"])
    for offset, (kind, material) in enumerate((("location_diagram", maps[0]), ("deployment_map", maps[1]))):
        out.materials.append((2 * fid - 1 + offset, fid, kind, material.sha256, "image/png", material.size,
                              f"{kind}.png", draft["submitted_at"], draft["intake"]))
    out.deployment_map.append(2 * fid)
    if "notice_at" in draft:
        due, due_provisional = draft["notice_due"]
        corrected = draft.get("corrected_at")
        out.notices.append((
            len(out.notices) + 1, fid, draft["notice_number"], NOTICE_ITEMS, draft["notice_at"], draft["intake"],
            due, due_provisional, draft["version"], corrected,
            corrected is not None and corrected.astimezone(BEIJING).date() > due))
