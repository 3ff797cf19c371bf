"""Benchmark 11: due lists and 数据报送 statistics for the whole city, 1M cameras and 100k operators, PostgreSQL.

Run: .venv/bin/python bench/supervision.py [--reuse] [--cameras 1000000 --filings 200000] [--sample 1000]

Builds bench/load.py's city (`camreg fill`: 200,000 filings over 100,000 operators) in its own database
(`camreg_bench_supervision`, kept for --reuse), then adds a year of supervision in SQL: about 1.5 recorded
inspections per operator in 2026 with three checklist lines each (one in ten a hazard), a rectification
notice per inspection with a hazard (open, closed or escalated), 5,000 penalty cases and 50,000 footage
accesses. Then, each the best of --repeat runs after a warm-up:

* ours: `registry.statistics.service.count` (counted afresh, not the report `compute` keeps: the
  due counts and one UNION ALL statement) for the city roll-up, the biggest branch and a station;
  `due.summary_by_unit` (grouped in SQL) and `due.due_list` (every row); the API.
* baselines: the naive per-operator loop — the same figures asked operator by operator, measured over
  --sample operators and scaled to the unit's count (a loop over 100,000 operators takes minutes); for
  a station the full loop is run and its figures checked equal to ours. For the due roll-up also the
  previous implementation: the whole city's due list classified in Python, then grouped.

Target: the city roll-up < 2 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from load import _database, _token

from registry.auth.models import Role
from registry.bootstrap import prepare
from registry.dashboard import cache
from registry.db import make_engine
from registry.inspections import due
from registry.inspections.periods import HalfYear
from registry.operators.models import Operator
from registry.statistics import service
from registry.statistics.periods import Period
from registry.units.models import PoliceUnit

TARGET_S = 2.0
TODAY = date(2026, 12, 5)
NOW = datetime(2026, 12, 5, 4, 0)
# A year of supervision over the filled city, set-based and seeded (setseed) so a rebuild is the same.
SEED_SQL = (
    "SELECT setseed(0.2013)",
    """INSERT INTO inspection (number, operator_id, unit_code, kind, state, inspected_on, place, officer_ids,
           officer_names, findings, created_by_id, created_at, recorded_at)
       SELECT 'BENCH-' || o.id || '-' || g, o.id, o.verifying_unit_code, 'periodic', 'signed',
              DATE '2026-01-01' + floor(random() * 338)::int, '', '[]', '[]', '', 1, now(), now()
       FROM operator o CROSS JOIN generate_series(1, 2) g WHERE random() < 0.75""",
    """INSERT INTO inspection_item (inspection_id, operator_id, key, label, article, position, signage, result, note)
       SELECT i.id, i.operator_id, k.key, k.key, '', k.n, false,
              CAST(CASE WHEN random() < 0.1 THEN 'hazard' ELSE 'ok' END AS itemresult), ''
       FROM inspection i CROSS JOIN (VALUES (1, 'filing'), (2, 'signage'), (3, 'retention')) AS k(n, key)""",
    """INSERT INTO rectification (number, inspection_id, operator_id, unit_code, items, issued_on, workdays,
           due_date, due_provisional, state, closed_on)
       SELECT 'BENCH-R-' || i.id, i.id, i.operator_id, i.unit_code, '[]', i.inspected_on, 10,
              i.inspected_on + 14, false, CAST(s.rstate AS rectificationstate),
              CASE WHEN s.rstate = 'open' THEN NULL ELSE i.inspected_on + 10 END
       FROM (SELECT i.id, (ARRAY['closed', 'closed', 'escalated', 'open'])[1 + floor(random() * 4)::int] AS rstate
             FROM inspection i JOIN (SELECT inspection_id FROM inspection_item WHERE result = 'hazard'
                                     GROUP BY inspection_id) h ON h.inspection_id = i.id) s
       JOIN inspection i ON i.id = s.id""",
    """INSERT INTO penalty_case (operator_id, unit_code, state, violation, legal_basis, facts, opened_at, opened_by_id,
           decision, fine_yuan, issued_at)
       SELECT o.id, o.filing_unit_code, CAST(CASE WHEN o.id % 3 = 0 THEN 'preparing' ELSE 'issued' END AS penaltystate),
              'not_filed', '第十二条', '未按规定备案', TIMESTAMPTZ '2026-01-01' + random() * INTERVAL '300 days', 1,
              CAST(CASE WHEN o.id % 3 = 0 THEN NULL WHEN o.id % 2 = 0 THEN 'fine' ELSE 'warning' END
                   AS penaltydecision),
              CASE WHEN o.id % 3 <> 0 AND o.id % 2 = 0 THEN 1000 + (o.id % 9) * 1000 END,
              CASE WHEN o.id % 3 = 0 THEN NULL ELSE TIMESTAMPTZ '2026-11-01' + random() * INTERVAL '30 days' END
       FROM operator o WHERE o.id % 20 IN (7, 8)""",
    """INSERT INTO footage_access (operator_id, kind, reason, cameras, footage_from, footage_to, taker_unit_code,
           taker_unit_name, taker_names, approver_name, approver_title, approver_unit_code, approval_number,
           approved_on, accessed_on, recorded_at, recorded_by_id)
       SELECT o.id, 'copy', '侦办案件', '大堂', TIMESTAMPTZ '2026-06-01', TIMESTAMPTZ '2026-06-01 01:00',
              o.filing_unit_code, '刑侦支队', '陈警官', '赵局长', '副局长', o.filing_unit_code,
              'BENCH-' || o.id || '-' || g, DATE '2026-01-01', DATE '2026-01-01' + floor(random() * 338)::int,
              now(), 1
       FROM operator o CROSS JOIN generate_series(1, 2) g WHERE random() < 0.25""",
)


def _seed(engine: Any, vacuum: bool = False) -> dict[str, int]:
    """Add the supervision rows once (an empty inspection table), then ANALYZE (or VACUUM ANALYZE); the row counts.

    `vacuum`: leave the tables as autovacuum would (the CI server's PostgreSQL runs with autovacuum off, so a
    filled database is otherwise never vacuumed and no index-only scan can skip the table).
    """
    with engine.begin() as conn:
        if conn.execute(text("SELECT count(*) FROM inspection")).scalar_one() == 0:
            started = time.perf_counter()
            for statement in SEED_SQL:
                conn.execute(text(statement))
            print(f"added a year of supervision in {time.perf_counter() - started:.0f} s")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if vacuum else "ANALYZE"))
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in ("operator", "filing", "camera", "inspection", "inspection_item", "rectification",
                          "penalty_case", "footage_access")}


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of `repeat` runs after one warm-up, and the last result."""
    result = fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def _naive(session: Session, operator_ids: list[int], period: Period) -> tuple[float, dict[str, int]]:
    """The baseline: every figure asked operator by operator (the same SQL, one operator at a time); seconds, sum."""
    total = dict.fromkeys(service.NAMES, 0)
    started = time.perf_counter()
    for operator_id in operator_ids:
        one = col(Operator.id) == operator_id
        for grouped in service._queries(session, key=col(Operator.id), scope=one, period=period, today=TODAY):
            for figures in grouped.values():
                for name, n in figures.items():
                    total[name] += n
    return time.perf_counter() - started, total


def _naive_due(session: Session, operator_ids: list[int], half: HalfYear) -> float:
    """The baseline of the due roll-up: each operator's status asked on its own."""
    started = time.perf_counter()
    for operator_id in operator_ids:
        due.counts_by(session, key=col(Operator.id), half=half, today=TODAY, where=col(Operator.id) == operator_id)
    return time.perf_counter() - started


def _previous_due_summary(session: Session, half: HalfYear) -> dict[str, dict[str, int]]:
    """The roll-up as it was before counts_by: the city's due list classified in Python, then grouped."""
    by_unit: dict[str, Counter[str]] = {}
    for row in due.due_list(session, unit_code="001", half=half, today=TODAY):
        by_unit.setdefault(row.verifying_unit_code, Counter())[row.status.value] += 1
    return {unit: {"total": sum(n.values()), **{s.value: n[s.value] for s in due.DueStatus}}
            for unit, n in sorted(by_unit.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cameras", type=int, default=1_000_000)
    parser.add_argument("--filings", type=int, default=200_000)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--db", default="camreg_bench_supervision")
    parser.add_argument("--sample", type=int, default=1000, help="operators the naive loop is timed over")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--vacuum", action="store_true", help="VACUUM the database first, as autovacuum would have")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="camreg-bench-supervision-"))
    settings, fill_s = _database(args.db, args.cameras, args.filings, args.reuse, data_dir)
    if fill_s is not None:
        print(f"filled {args.cameras:,} cameras in {fill_s:.0f} s")
    engine = prepare(settings)  # migrations added since the database was filled
    counts = _seed(engine, vacuum=args.vacuum)
    print(", ".join(f"{t} {n:,}" for t, n in counts.items()))
    quarter, year, half = Period.parse("2026-Q4"), Period.parse("2026"), HalfYear(2026, 2)
    rows: list[tuple[str, float, str, float | None]] = []
    city_total: dict[str, int] = {}
    with Session(make_engine(settings)) as session:
        units = {u.code: u for u in session.exec(select(PoliceUnit)).all()}
        branch = session.execute(text("SELECT filing_unit_code FROM operator GROUP BY 1 ORDER BY count(*) DESC "
                                      "LIMIT 1")).scalar_one()
        station = session.execute(text("SELECT verifying_unit_code FROM operator WHERE verifying_unit_code <> "
                                       "filing_unit_code GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")).scalar_one()
        ids = {scope: list(session.execute(text(f"SELECT id FROM operator {where} ORDER BY id"),
                                           params).scalars())
               for scope, where, params in (("city", "", {}),
                                            ("branch", "WHERE filing_unit_code = :u", {"u": branch}),
                                            ("station", "WHERE verifying_unit_code = :u", {"u": station}))}

        def ours(code: str, period: Period) -> service.Report:
            # Counted afresh each time: not the report compute() keeps for a minute (registry/dashboard/cache.py).
            return service.count(session, unit=units[code], period=period, today=TODAY, now=NOW)

        def naive_scaled(scope: str, period: Period) -> tuple[float, dict[str, int]]:
            sample = ids[scope][:: max(1, len(ids[scope]) // args.sample)][: args.sample]
            seconds, total = _naive(session, sample, period)
            return seconds * len(ids[scope]) / len(sample), total

        for label, code, scope, period in (("city roll-up, 2026-Q4", "001", "city", quarter),
                                           ("city roll-up, year 2026", "001", "city", year),
                                           (f"branch {branch} ({len(ids['branch']):,} operators), Q4", branch,
                                            "branch", quarter)):
            seconds, report = _best(partial(ours, code, period), args.repeat)
            naive_s, _ = naive_scaled(scope, period)
            scale = len(ids[scope]) / min(args.sample, len(ids[scope]))
            rows.append((label, seconds, f"per-operator loop (sample ×{scale:.0f})", naive_s))
            if code == "001" and period == quarter:
                city_total = report.total.figures
        seconds, report = _best(lambda: ours(station, quarter), args.repeat)
        naive_s, naive_total = _naive(session, ids["station"], quarter)
        same = "same figures" if naive_total == report.total.figures else "DIFFERENT FIGURES"
        rows.append((f"station {station} ({len(ids['station']):,} operators), Q4", seconds,
                     f"per-operator loop, full ({same})", naive_s))
        seconds, summary = _best(lambda: due.summary_by_unit(session, half=half, today=TODAY), args.repeat)
        previous_s, previous = _best(lambda: _previous_due_summary(session, half), 1)
        agree = "same counts" if previous == summary else "DIFFERENT COUNTS"
        rows.append(("due roll-up by unit, city, 2026H2", seconds, f"city due list grouped in Python ({agree})",
                     previous_s))
        sample = ids["city"][:: max(1, len(ids["city"]) // args.sample)][: args.sample]
        rows.append(("due roll-up by unit, city (vs loop)", seconds, "per-operator loop (scaled)",
                     _naive_due(session, sample, half) * len(ids["city"]) / len(sample)))
        seconds, listed = _best(lambda: due.due_list(session, unit_code="001", half=half, today=TODAY), args.repeat)
        rows.append((f"due list, city ({len(listed):,} operators)", seconds, "", None))
        seconds, listed = _best(lambda: due.due_list(session, unit_code=branch, half=half, today=TODAY), args.repeat)
        rows.append((f"due list, branch {branch} ({len(listed):,})", seconds, "", None))
        token = _token(session, "bench-stats-city", Role.supervisor, "001")
        session.commit()
    rows.extend(_api(settings, token, args.repeat))
    print(f"\n{counts['camera']:,} cameras, {counts['operator']:,} operators on PostgreSQL; best of {args.repeat}")
    print(f"{'':46} {'ours':>8}  {'baseline':>9}  {'speed-up':>8}  baseline")
    for label, ours_s, baseline, base_s in rows:
        base = f"{base_s:8.2f}s" if base_s is not None else " " * 9
        ratio = f"{base_s / ours_s:7.0f}×" if base_s else " " * 8
        print(f"{label:46} {ours_s:7.3f}s  {base}  {ratio}  {baseline}")
    city_s = min(r[1] for r in rows if r[0].startswith("city roll-up, 2026-Q4"))
    print(f"\ncity roll-up {city_s:.2f} s: {'✓' if city_s < TARGET_S else '✗'} target < {TARGET_S:.0f} s")
    print("city total Q4:", {k: v for k, v in city_total.items() if v})


def _api(settings: Any, token: str, repeat: int) -> list[tuple[str, float, str, float | None]]:
    """The roll-up through the API, in-process (JSON, and the .xlsx)."""
    from fastapi.testclient import TestClient

    from registry.app import create_app

    app = create_app(settings)
    app.state.clock = lambda: datetime.fromisoformat("2026-12-05T04:00:00+00:00")
    found: list[tuple[str, float, str, float | None]] = []
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {token}"}
        for label, url in (("API GET /statistics (city, JSON)", "/api/v1/statistics?period=2026-Q4"),
                           ("API GET /statistics/export.xlsx (city)", "/api/v1/statistics/export.xlsx?period=2026-Q4")):
            def call(u: str = url) -> None:
                cache.forget()  # counted afresh, not the kept report
                response = client.get(u, headers=headers)
                assert response.status_code == 200, response.text[:300]

            seconds, _ = _best(call, repeat)
            found.append((label, seconds, "", None))
    return found


if __name__ == "__main__":
    main()
