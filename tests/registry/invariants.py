"""Whole-registry invariants: numbers and codes unique and gap-free, nothing half-stored.

Checked after the many-workers run (with a worker killed mid-way) and on a bulk-filled city.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import Connection, text
from sqlmodel import Session

from registry.audit import service as audit


def _sequences(conn: Connection, table: str, kind: str) -> list[str]:
    """Numbers of one kind are 1..n per (unit, year), and the counter row says n."""
    problems: list[str] = []
    numbers = [r[0] for r in conn.execute(text(f"SELECT number FROM {table} WHERE number IS NOT NULL"))]
    duplicates = [n for n, c in Counter(numbers).items() if c > 1]
    if duplicates:
        problems.append(f"{table}: numbers used twice: {duplicates[:5]}")
    seqs: dict[tuple[str, int], list[int]] = defaultdict(list)
    for number in numbers:
        seqs[(number[:3], int(number[3:7]))].append(int(number[7:]))
    counters = {(u, int(y)): int(last) for u, y, last in conn.execute(
        text("SELECT unit_code, year, last FROM number_counter WHERE CAST(kind AS VARCHAR(16)) = :k"), {"k": kind})}
    for key in sorted(set(seqs) | set(counters)):
        got = sorted(seqs.get(key, []))
        if got != list(range(1, len(got) + 1)):
            holes = sorted(set(range(1, max(got, default=0) + 1)) - set(got))
            problems.append(f"{table} {key}: sequence has holes {holes[:10]}")
        if counters.get(key, 0) != len(got):
            problems.append(f"{table} {key}: counter says {counters.get(key, 0)}, {len(got)} numbers stored")
    return problems


def _codes(conn: Connection) -> list[str]:
    """Camera codes unique; per 14-digit prefix the serials are 1..last with last = the counter."""
    problems: list[str] = []
    codes = [r[0] for r in conn.execute(text("SELECT code FROM camera WHERE code IS NOT NULL"))]
    duplicates = [c for c, n in Counter(codes).items() if n > 1]
    if duplicates:
        problems.append(f"camera codes issued twice: {duplicates[:5]}")
    serials: dict[str, list[int]] = defaultdict(list)
    for code in codes:
        serials[code[:14]].append(int(code[14:]))
    counters = {p: int(last) for p, last in conn.execute(text("SELECT prefix, last FROM camera_serial_counter"))}
    for prefix in sorted(set(serials) | set(counters)):
        got = sorted(serials.get(prefix, []))
        if got != list(range(1, len(got) + 1)) or counters.get(prefix, 0) != len(got):
            problems.append(f"prefix {prefix}: serials {got[:3]}…{got[-3:]} ({len(got)}) vs counter "
                            f"{counters.get(prefix, 0)}")
    return problems


def _states(conn: Connection) -> list[str]:
    """Each filing's state agrees with its number, deadline, notice and its cameras' codes."""
    checks = {
        "submitted without number ⇔ no number": "(state = 'submitted') <> (number IS NULL)",
        "a number comes with a deadline": "(number IS NULL) <> (deadline IS NULL)",
        "filed by a second officer": "state = 'filed' AND (reviewed_by_id IS NULL OR reviewed_by_id = accepted_by_id)",
        "filed has a filing time": "(state = 'filed') <> (filed_at IS NOT NULL)",
        "a notice only after acceptance": "state IN ('submitted', 'accepted') AND EXISTS "
                                          "(SELECT 1 FROM correction_notice n WHERE n.filing_id = filing.id)",
        "correction requested has an open notice": "state = 'correction_requested' AND NOT EXISTS (SELECT 1 FROM "
                                                   "correction_notice n WHERE n.filing_id = filing.id "
                                                   "AND n.corrected_at IS NULL)",
        "corrected has a closed notice": "state = 'corrected' AND NOT EXISTS (SELECT 1 FROM correction_notice n "
                                         "WHERE n.filing_id = filing.id AND n.corrected_at IS NOT NULL)",
        "filed: every active camera has its code": "state = 'filed' AND EXISTS (SELECT 1 FROM camera c WHERE "
                                                   "c.filing_id = filing.id AND c.status = 'active' "
                                                   "AND c.code IS NULL)",
        "not filed: no camera has a new code": "state <> 'filed' AND EXISTS (SELECT 1 FROM camera c WHERE "
                                               "c.filing_id = filing.id AND c.code IS NOT NULL "
                                               "AND c.existing_code IS NULL)",
    }
    problems = []
    for rule, condition in checks.items():
        bad = [r[0] for r in conn.execute(text(f"SELECT id FROM filing WHERE {condition} ORDER BY id LIMIT 5"))]
        if bad:
            problems.append(f"{rule}: broken for filings {bad}")
    return problems


def _audit_matches_state(conn: Connection) -> list[str]:
    """Every workflow step wrote its audit event in the same transaction: counts agree one to one."""
    grouped = conn.execute(text("SELECT action, count(*) FROM audit_event GROUP BY action")).all()
    events: dict[str, int] = {str(action): int(n) for action, n in grouped}
    facts = {
        "filing.submit": "SELECT count(*) FROM filing",
        "filing.accept": "SELECT count(*) FROM filing WHERE number IS NOT NULL",
        "filing.correction_notice": "SELECT count(*) FROM correction_notice",
        "filing.corrected": "SELECT count(*) FROM correction_notice WHERE corrected_at IS NOT NULL",
        "filing.file": "SELECT count(*) FROM filing WHERE state = 'filed'",
    }
    problems = []
    for action, query in facts.items():
        stored = conn.execute(text(query)).scalar_one()
        if events.get(action, 0) != stored:
            problems.append(f"{action}: {events.get(action, 0)} audit events but {stored} stored results")
    added = conn.execute(text("SELECT count(*) FROM camera")).scalar_one()
    logged = 0
    for (details,) in conn.execute(text("SELECT details FROM audit_event WHERE action = 'filing.cameras.add'")):
        logged += int(_json(details).get("count", 0))
    if logged != added:
        problems.append(f"filing.cameras.add: audit says {logged} cameras added, {added} stored")
    return problems


def _json(value: Any) -> dict[str, Any]:
    """A JSON column as a dict (PostgreSQL hands back objects, SQLite text)."""
    return dict(json.loads(value) if isinstance(value, str) else value)


def registry_problems(conn: Connection, *, audit_per_action: bool) -> list[str]:
    """Everything that is wrong with the stored registry (empty when it is consistent)."""
    problems = _sequences(conn, "filing", "filing") + _sequences(conn, "correction_notice", "correction")
    problems += _codes(conn) + _states(conn)
    if audit_per_action:
        problems += _audit_matches_state(conn)
    with Session(bind=conn) as session:
        chain = audit.verify(session)
        if not chain.ok:
            problems.append(f"audit chain broken: {chain.problem}")
    return problems
