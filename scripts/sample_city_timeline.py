"""When things happen in the sample city: each operator's chain of filings and their workflow events.

Officers act on Chinese working days in office hours; operators file online at any hour. Events after
AS_OF are cut off, which leaves the recent filings open in every state of the workflow.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from sample_city_cameras import SiteCameras
from sample_city_plans import Plan

from registry.filings import lateness
from registry.timeutil import BEIJING
from registry.workdays import WorkCalendar

AS_OF = datetime(2026, 11, 20, 18, 0, tzinfo=BEIJING)
FIRST_DAY = date(2021, 1, 4)
REG_799 = date(2025, 4, 1)
CORRECTION_ITEMS = (
    ("deployment_map", "布防图未标注全部摄像机安装位置，请补充标注后重新提交"),
    ("location_diagram", "未提交单位位置示意图（须标明周边道路及出入口）"),
    ("camera_list", "摄像机清单缺少设备序列号、MAC地址等信息"),
    ("form", "备案表“系统竣工验收日期”栏填写不完整"),
    ("contact", "备案表所留联系人电话无法接通，请提供有效联系方式"),
    ("signage", "未说明视频监控提示标识设置情况"),
)
REJECT_REASONS = ("备案材料与现场情况严重不符，不予备案", "经核查该系统已拆除，不予备案",
                  "备案材料无法补正完整，不予备案，请重新备案")
LATE_CORRECTION_REJECT = "逾期未补正材料，不予备案，请重新备案"


class Timeline:
    """Working-day arithmetic on the official calendar (the chinese_calendar package)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.calendar = WorkCalendar()

    def workday(self, day: date) -> date:
        """`day`, or the next working day after it."""
        while not self.calendar.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add(self, day: date, n: int) -> date:
        """The n-th working day after `day`."""
        return self.calendar.add_working_days(day, n).date

    def office(self, day: date, earliest: datetime | None = None) -> datetime:
        """A moment in office hours on `day` (after `earliest` if that is the same day)."""
        minute = self.rng.randint(9 * 60, 16 * 60 + 40)
        moment = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=BEIJING)
        if earliest is not None and moment <= earliest:
            moment = earliest + timedelta(minutes=self.rng.randint(8, 45))
        return moment

    def anytime(self, day: date) -> datetime:
        """A moment between 08:00 and 22:00 (operators file online in the evening too)."""
        minute = self.rng.randint(8 * 60, 21 * 60 + 59)
        return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=BEIJING)


def _first_submission(rng: random.Random, recent: bool) -> tuple[date, date]:
    """(in-use date, submission date) of an operator's first filing."""
    if recent:
        submitted = AS_OF.date() - timedelta(days=rng.randint(0, 20))
        return submitted - timedelta(days=rng.randint(3, 40)), submitted
    if rng.random() < 0.3:
        # Running before 799号令: 90 days from 2025-04-01 to file; most made it, some did not.
        in_use = date(2012, 1, 1) + timedelta(days=rng.randint(0, 4700))
        if rng.random() < 0.8:
            return in_use, REG_799 + timedelta(days=rng.randint(1, 88))
        return in_use, REG_799 + timedelta(days=rng.randint(92, 260))
    if rng.random() < 0.12:
        # New systems still going through the workflow when the sample city was generated.
        submitted = AS_OF.date() - timedelta(days=rng.randint(0, 30))
    else:
        submitted = FIRST_DAY + timedelta(days=rng.randint(0, (AS_OF.date() - FIRST_DAY).days - 1))
    delay = rng.randint(2, 29) if rng.random() < 0.82 else rng.randint(31, 200)
    return submitted - timedelta(days=delay), submitted


def _workflow(rng: random.Random, tl: Timeline, submitted: datetime, desk: bool) -> dict[str, Any]:
    """The events after submission, before cutting at AS_OF."""
    if desk:
        accepted = submitted + timedelta(minutes=rng.randint(10, 50))
    else:
        accepted = tl.office(tl.add(submitted.date(), rng.choice((1, 1, 2, 3, 5, 8))))
    events: dict[str, Any] = {"accepted_at": accepted}
    roll = rng.random()
    if roll < 0.05:
        events["rejected_at"] = tl.office(tl.add(accepted.date(), rng.randint(2, 8)))
        events["rejected_reason"] = rng.choice(REJECT_REASONS)
        return events
    if roll < 0.015 + 0.05 and accepted > AS_OF - timedelta(days=120):
        return events  # an officer sat on it: accepted, overdue, never reviewed
    if roll < 0.42:
        on_the_spot = desk and rng.random() < 0.5
        issued = (tl.office(accepted.date(), accepted) if on_the_spot
                  else tl.office(tl.add(accepted.date(), rng.randint(1, 4))))
        chosen = rng.sample(CORRECTION_ITEMS, rng.choice((1, 1, 2, 2, 3)))
        correction: dict[str, Any] = {"issued_at": issued, "items": [{"item": i, "message": m} for i, m in chosen]}
        events["correction"] = correction
        answer = rng.random()
        if answer < 0.93:
            days = rng.randint(1, 9) if answer < 0.78 else rng.randint(12, 25)
            corrected = tl.office(tl.add(issued.date(), days))
            correction["corrected_at"] = corrected
            if rng.random() < 0.04:
                events["rejected_at"] = tl.office(tl.add(corrected.date(), rng.randint(1, 6)))
                events["rejected_reason"] = rng.choice(REJECT_REASONS)
            else:
                events["filed_at"] = tl.office(tl.add(corrected.date(), rng.randint(2, 12)), corrected)
        else:
            events["rejected_at"] = tl.office(tl.add(issued.date(), rng.randint(30, 45)))
            events["rejected_reason"] = LATE_CORRECTION_REJECT
        return events
    events["filed_at"] = tl.office(tl.add(accepted.date(), rng.choice((1, 2, 3, 5, 8, 10, 12, 14, 17))), accepted)
    return events


def _delayed(events: dict[str, Any], delta: timedelta, desk: bool) -> dict[str, Any]:
    """The same workflow, later by `delta` (a busy desk or a slow operator); a desk filing is accepted at once."""
    moved = {k: v + delta if isinstance(v, datetime) and not (desk and k == "accepted_at") else v
             for k, v in events.items()}
    if events.get("correction"):
        moved["correction"] = {k: v + delta if isinstance(v, datetime) else v for k, v in events["correction"].items()}
    return moved


def _cut(events: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Drop everything after AS_OF; the last remaining event gives the final state."""
    state = "submitted"
    out: dict[str, Any] = {"accepted_at": None, "correction": None, "filed_at": None, "rejected_at": None,
                           "rejected_reason": None}
    if events["accepted_at"] > AS_OF:
        return out, state
    out["accepted_at"], state = events["accepted_at"], "accepted"
    correction = events.get("correction")
    if correction:
        if correction["issued_at"] > AS_OF:
            return out, state
        kept = {"issued_at": correction["issued_at"], "items": correction["items"], "corrected_at": None}
        out["correction"], state = kept, "correction_requested"
        if correction.get("corrected_at") and correction["corrected_at"] <= AS_OF:
            kept["corrected_at"], state = correction["corrected_at"], "corrected"
    for key, final in (("filed_at", "filed"), ("rejected_at", "rejected")):
        if events.get(key) and events[key] <= AS_OF:
            out[key], state = events[key], final
            if final == "rejected":
                out["rejected_reason"] = events["rejected_reason"]
    return out, state


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


def filing_chain(rng: random.Random, tl: Timeline, op: dict[str, Any], site: SiteCameras, size: int, *,
                 location: Plan, first_ref: int, recent: bool = False) -> list[dict[str, Any]]:
    """Every filing of one operator: the first, a re-filing after a rejection, then changes, in order."""
    filings: list[dict[str, Any]] = []
    in_use, day = _first_submission(rng, recent)
    active: list[str] = []  # cameras of the latest filed filing
    parent: str | None = None
    refiled_from: str | None = None
    previous_refs: list[str] = []
    while True:
        ref = f"F{first_ref + len(filings):05d}"
        desk = op["has_account"] == "0" or rng.random() < 0.1
        submitted = tl.office(tl.workday(day)) if desk else tl.anytime(day)
        if submitted > AS_OF:
            break
        flow = _workflow(rng, tl, submitted, desk)
        if submitted > AS_OF - timedelta(days=30) and rng.random() < 0.4:
            flow = _delayed(flow, timedelta(weeks=rng.randint(1, 3)), desk)  # the year-end backlog
        events, state = _cut(flow)
        correction = events["correction"]
        items = {i["item"] for i in correction["items"]} if correction else set()
        keep, keep_changes, new_count = [], {}, size
        if parent is not None:
            keep = [r for r in active if rng.random() < 0.93]
            keep_changes = {r: site.readdress(r) for r in keep if rng.random() < 0.05}
            new_count = rng.randint(0 if keep else 1, max(2, size // 4))
        deferred = max(1, new_count // 5) if "deployment_map" in items and new_count >= 4 else 0
        if refiled_from is not None:
            new_refs = site.copy(ref, previous_refs)
        else:
            new_refs = site.new(ref, new_count, submitted.year, deferred=deferred) if new_count else []
        filings.append(_iso({
            "ref": ref, "operator": op["ref"], "kind": "change" if parent else "new", "changes": parent,
            "refiles": refiled_from, "channel": "desk" if desk else "online",
            "form": {"system_name": f"{op['name']}视频监控系统", "system_location": op["address"],
                     "system_in_use_date": in_use.isoformat(), "retention_days": rng.choice((30, 30, 30, 60, 90)),
                     "camera_count_declared": len(keep) + len(new_refs),
                     "camera_types_declared": _types(site, keep + new_refs),
                     "network_digit": 6 if op["system_kind"] != "ordinary" else 8,
                     # 竣工验收合格 on the day it went into use (第七条 and 799号令 count from the same day)
                     **({} if parent else {"acceptance_date": in_use.isoformat()})},
            "location_diagram": f"{location.name}.png",
            "deployment_maps": [f"{p.name}.png" for p in site.sheets],
            "keep": keep, "keep_changes": keep_changes,
            "defer_location_diagram": "location_diagram" in items,
            "submitted_at": submitted, **events, "final_state": state,
            "expect_late": lateness.same_dates(in_use, submitted.date(), 30) > 0,
        }))
        refiled_from = None
        if state == "filed":
            active, parent = keep + new_refs, ref
        elif state == "rejected" and parent is None and not filings[-1]["refiles"] and rng.random() < 0.8:
            refiled_from, previous_refs = ref, new_refs
            day = events["rejected_at"].date() + timedelta(days=rng.randint(10, 40))
            continue
        if state != "filed" and state != "rejected":
            break
        if parent is None or rng.random() > 0.5:
            break
        day = events["filed_at"].date() if state == "filed" else events["rejected_at"].date()
        day += timedelta(days=rng.randint(150, 600))
        lag = rng.randint(2, 28) if rng.random() < 0.85 else rng.randint(35, 120)
        in_use = day - timedelta(days=lag)
    return filings


def _types(site: SiteCameras, refs: list[str]) -> str:
    names = {"fixed": "枪机", "dome": "半球", "ptz": "球机"}
    counts: dict[str, int] = {}
    for ref in refs:
        row = site.by_ref[ref]
        label = "NVR" if row["device_type"] == "nvr" else ("模拟" if row["device_type"] == "camera" else "") + \
            names[row["form_factor"]]
        counts[label] = counts.get(label, 0) + 1
    return "，".join(f"{k}×{v}" for k, v in sorted(counts.items())) or "无"
