"""Reconciliation: compare the cameras of a filing with a scan (pure functions, no I/O).

Rules (the README of the discovery package repeats them):

1. A filed camera and a scanned device get a score from the keys both sides know. Agreement adds
   the key's weight: endpoint UUID 40, serial 35, MAC 35, IP 30, hardware id 5. Disagreement on UUID,
   serial or MAC subtracts 20; a different IP subtracts nothing (addresses move).
2. A pair is a candidate when its score reaches 45 — more than any single key can give, so no key
   decides alone: cheap cameras share serials and MACs, and clones that agree on the same keys score
   the same, which rule 3 reports as ambiguous instead of guessing.
3. Pairs are settled best score first. A pair whose filed camera or device has another unsettled
   candidate within 5 points is ambiguous (the whole tied group is); otherwise the two are the same device.
4. The same device is `matched` when no attribute both sides know differs, else `changed`, listing each
   difference (ip, mac, serial, endpoint_uuid, manufacturer, model, firmware, hardware_id).
5. Filed cameras left over are `missing`; scanned devices left over are `unfiled`.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from discovery.hwaddr import normalise_mac, parse_mac
from discovery.models import Device, FiledCamera, Status
from discovery.retention import RetentionCheck, check_retention

WEIGHTS = {"endpoint_uuid": 40.0, "serial": 35.0, "mac": 35.0, "ip": 30.0, "hardware_id": 5.0}
CONTRADICTION = {"endpoint_uuid": 20.0, "serial": 20.0, "mac": 20.0}
THRESHOLD = 45.0
TIE_MARGIN = 5.0
COMPARED = ("ip", "mac", "serial", "endpoint_uuid", "manufacturer", "model", "firmware", "hardware_id")


class Outcome(StrEnum):
    """How one filed camera or scanned device came out."""

    MATCHED = "matched"
    CHANGED = "changed"
    MISSING = "missing"
    UNFILED = "unfiled"
    AMBIGUOUS = "ambiguous"


@dataclass
class Difference:
    """One attribute that differs between the filing and what was seen."""

    attribute: str
    filed: str
    seen: str


@dataclass
class Candidate:
    """A scanned device that fits an ambiguous filed camera, with its score and agreeing keys."""

    address: str
    endpoint_uuid: str
    score: float
    keys: list[str]


@dataclass
class Entry:
    """One line of a reconciliation."""

    outcome: Outcome
    filed: FiledCamera | None = None
    device: Device | None = None
    score: float = 0.0
    matched_on: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    note: str = ""


@dataclass
class Reconciliation:
    """The result: entries in a stable order (filed cameras by code, then unfiled devices by address), and
    the footage each device holds against the filing's declared retention (`discovery.retention`)."""

    entries: list[Entry]
    retention: list[RetentionCheck] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Entries per outcome (every outcome present, zeros included)."""
        c = Counter(e.outcome.value for e in self.entries)
        return {o.value: c.get(o.value, 0) for o in Outcome}

    def by_outcome(self, outcome: Outcome) -> list[Entry]:
        """Entries with that outcome."""
        return [e for e in self.entries if e.outcome is outcome]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for `camreg reconcile --json` and the API)."""
        return {"counts": self.counts(), "entries": [_jsonable(dataclasses.asdict(e)) for e in self.entries],
                "retention": [dataclasses.asdict(r) for r in self.retention],
                "retention_flagged": sum(1 for r in self.retention if r.flagged)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value.value if isinstance(value, StrEnum) else value


def norm_mac(mac: str) -> str:
    """Canonical lower-case colon form; '' for empty."""
    return normalise_mac(mac)


def _device_macs(d: Device) -> set[str]:
    """The valid MACs a scan reports; garbage an older scanner took for a MAC is no evidence either way."""
    return {m for m in (parse_mac(x) for x in d.macs) if m}


def _norm(value: str) -> str:
    return " ".join(value.split()).lower()


def _keys_of_filed(f: FiledCamera) -> dict[str, set[str]]:
    return {
        "endpoint_uuid": {_norm(f.endpoint_uuid)} - {""},
        "serial": {_norm(f.serial)} - {""},
        "mac": {norm_mac(f.mac)} - {""},
        "ip": {f.ip.strip()} - {""},
        "hardware_id": {_norm(f.hardware_id)} - {""},
    }


def _keys_of_device(d: Device) -> dict[str, set[str]]:
    return {
        "endpoint_uuid": {_norm(d.endpoint_uuid)} - {""},
        "serial": {_norm(d.serial)} - {""},
        "mac": _device_macs(d),
        "ip": {d.address.strip()} - {""},
        "hardware_id": {_norm(d.hardware_id)} - {""},
    }


def score_pair(fk: dict[str, set[str]], dk: dict[str, set[str]]) -> tuple[float, list[str]]:
    """Score of one filed/scanned pair and the keys that agree (rule 1)."""
    score, agreed = 0.0, []
    for key, weight in WEIGHTS.items():
        if not fk[key] or not dk[key]:
            continue
        if fk[key] & dk[key]:
            score += weight
            agreed.append(key)
        else:
            score -= CONTRADICTION.get(key, 0.0)
    return round(score, 2), agreed


def differences(f: FiledCamera, d: Device) -> list[Difference]:
    """Attributes both sides know that differ (rule 4)."""
    out = []
    seen_values = {
        "ip": d.address,
        "serial": d.serial,
        "endpoint_uuid": d.endpoint_uuid,
        "manufacturer": d.manufacturer,
        "model": d.model,
        "firmware": d.firmware,
        "hardware_id": d.hardware_id,
    }
    for attr in COMPARED:
        if attr == "mac":
            macs = _device_macs(d)
            if f.mac and macs and norm_mac(f.mac) not in macs:
                out.append(Difference("mac", norm_mac(f.mac), ", ".join(sorted(macs))))
            continue
        filed, seen = getattr(f, attr), seen_values[attr]
        same = filed.strip() == seen.strip() if attr == "ip" else _norm(filed) == _norm(seen)
        if filed and seen and not same:
            out.append(Difference(attr, filed, seen))
    return out


def reconcile(filed: Sequence[FiledCamera], devices: Sequence[Device], *,
              declared_retention_days: int | None = None) -> Reconciliation:
    """Classify every filed camera and every scanned device (rules in the module docstring), and check the
    footage each device holds against 30 days and the declared retention."""
    devices = [d for d in devices if d.status is not Status.OUT_OF_SCOPE]
    fkeys = [_keys_of_filed(f) for f in filed]
    dkeys = [_keys_of_device(d) for d in devices]
    pairs = []
    for i, fk in enumerate(fkeys):
        for j, dk in enumerate(dkeys):
            s, agreed = score_pair(fk, dk)
            if s >= THRESHOLD:
                pairs.append((s, i, j, agreed))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    f_done: dict[int, Entry] = {}
    d_done: set[int] = set()
    best_lost: dict[int, tuple[float, int]] = {}
    for s, i, j, agreed in pairs:
        if i in f_done or j in d_done:
            if j not in d_done and i in f_done:
                best_lost.setdefault(j, (s, i))
            continue
        group_f, group_d = _tied_group(pairs, i, j, s, f_done, d_done)
        if len(group_f) == 1 and len(group_d) == 1:
            diffs = differences(filed[i], devices[j])
            f_done[i] = Entry(Outcome.CHANGED if diffs else Outcome.MATCHED, filed[i], devices[j], s, agreed, diffs)
            d_done.add(j)
            continue
        for gi in sorted(group_f):
            cands = [
                Candidate(devices[pj].address, devices[pj].endpoint_uuid, ps, pk)
                for ps, pi, pj, pk in pairs
                if pi == gi and pj in group_d
            ]
            f_done[gi] = Entry(
                Outcome.AMBIGUOUS,
                filed[gi],
                None,
                max((c.score for c in cands), default=0.0),
                candidates=cands,
                note=f"{len(cands)} scanned devices fit equally well",
            )
        d_done |= group_d
    entries = [f_done.get(i) or Entry(Outcome.MISSING, filed[i]) for i in range(len(filed))]
    entries.sort(key=lambda e: e.filed.code if e.filed else "")
    for j, d in enumerate(devices):
        if j in d_done:
            continue
        note = ""
        if j in best_lost:
            s, i = best_lost[j]
            note = f"resembles filed camera {filed[i].code} (score {s:g}), which matched another device better"
        entries.append(Entry(Outcome.UNFILED, device=d, note=note))
    return Reconciliation(entries, check_retention(devices, declared_retention_days))


def _tied_group(
    pairs: list[tuple[float, int, int, list[str]]], i: int, j: int, s: float, f_done: dict[int, Entry], d_done: set[int]
) -> tuple[set[int], set[int]]:
    """Filed and device indices connected to (i, j) by unsettled candidates within the tie margin."""
    group_f, group_d = {i}, {j}
    grew = True
    while grew:
        grew = False
        for ps, pi, pj, _ in pairs:
            if ps < s - TIE_MARGIN or pi in f_done or pj in d_done:
                continue
            if (pi in group_f) != (pj in group_d):
                group_f.add(pi)
                group_d.add(pj)
                grew = True
    return group_f, group_d


# ---------------------------------------------------------------- scan to scan


@dataclass
class ScanDiff:
    """What changed between two scans of one site."""

    new: list[Device] = field(default_factory=list)
    gone: list[Device] = field(default_factory=list)
    changed: list[tuple[Device, Device, list[Difference]]] = field(default_factory=list)
    unchanged: int = 0
    ambiguous: list[Device] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return _jsonable(
            {
                "new": [d.to_dict() for d in self.new],
                "gone": [d.to_dict() for d in self.gone],
                "changed": [
                    {"before": a.to_dict(), "after": b.to_dict(), "differences": [dataclasses.asdict(x) for x in df]}
                    for a, b, df in self.changed
                ],
                "unchanged": self.unchanged,
                "ambiguous": [d.to_dict() for d in self.ambiguous],
            }
        )


def as_filed(device: Device, code: str) -> FiledCamera:
    """A scanned device seen as if it had been filed (for scan-to-scan comparison)."""
    return FiledCamera(
        code=code,
        ip=device.address,
        mac=device.macs[0] if device.macs else "",
        serial=device.serial,
        endpoint_uuid=device.endpoint_uuid,
        manufacturer=device.manufacturer,
        model=device.model,
        firmware=device.firmware,
        hardware_id=device.hardware_id,
    )


def diff_scans(previous: Sequence[Device], current: Sequence[Device]) -> ScanDiff:
    """What changed since the previous scan of the site, with the same matching rules."""
    by_code = {f"{i:06d}": d for i, d in enumerate(previous)}
    result = reconcile([as_filed(d, code) for code, d in by_code.items()], current)
    diff = ScanDiff()
    for e in result.entries:
        before = by_code[e.filed.code] if e.filed else None
        if e.outcome is Outcome.MATCHED:
            diff.unchanged += 1
        elif e.outcome is Outcome.CHANGED and before and e.device:
            diff.changed.append((before, e.device, e.differences))
        elif e.outcome is Outcome.MISSING and before:
            diff.gone.append(before)
        elif e.outcome is Outcome.UNFILED and e.device:
            diff.new.append(e.device)
        elif before:
            diff.ambiguous.append(before)
    return diff


def reconciliation_from_dict(data: dict[str, Any]) -> Reconciliation:
    """Inverse of `Reconciliation.to_dict` (for reconciliations stored as JSON)."""

    def entry(e: dict[str, Any]) -> Entry:
        return Entry(
            outcome=Outcome(e["outcome"]),
            filed=FiledCamera(**e["filed"]) if e.get("filed") else None,
            device=Device.from_dict(e["device"]) if e.get("device") else None,
            score=float(e.get("score", 0.0)),
            matched_on=list(e.get("matched_on", [])),
            differences=[Difference(**d) for d in e.get("differences", [])],
            candidates=[Candidate(**c) for c in e.get("candidates", [])],
            note=str(e.get("note", "")),
        )

    return Reconciliation([entry(e) for e in data.get("entries", [])],
                          [RetentionCheck(**r) for r in data.get("retention", [])])
