"""Benchmark 9: page server time beside the API call returning the same data, and Chromium first paint.

Run: .venv/bin/python bench/pages.py [--reuse] [--cameras 1000000 --filings 100000] [--n 40]

Uses the PostgreSQL city of bench/load.py (`camreg fill`, kept for --reuse). Each list and detail page
is requested in-process (no network, so the figure is the server's time) as the city supervisor, beside
the API call that returns the same rows; p50/p95 of `--n` requests after warm-up. Then the heaviest
pages are opened in headless Chromium from a live server on loopback and their first contentful paint
read from the Performance API. Targets: page p95 < 150 ms, page <= 2x its API call, first paint < 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from load import _database, _token

from registry.app import create_app
from registry.auth.models import Role
from registry.db import make_engine
from registry.ui.security import SESSION_COOKIE

TARGET_P95_MS, TARGET_RATIO, TARGET_PAINT_MS = 150.0, 2.0, 1000.0
# First contentful paint from navigation start (buffered: the entry may come after the load event).
_FCP = """() => new Promise(done => {
  new PerformanceObserver(list => {
    const fcp = list.getEntries().find(e => e.name === 'first-contentful-paint');
    if (fcp) done(fcp.startTime);
  }).observe({type: 'paint', buffered: true});
  setTimeout(() => done(-1), 5000);
})"""


def _pairs(session: Session) -> list[tuple[str, str, str | None]]:
    """(name, page URL, API URL with the same data) on real keys of the filled city."""
    row = session.execute(text("SELECT c.id, c.station_id, c.district_code, c.operator_id, c.filing_id "
                               "FROM camera c WHERE c.code IS NOT NULL ORDER BY c.id LIMIT 1 OFFSET 5000")).one()
    cid, station, district, oid, fid = row
    return [
        ("filing list (filed)", "/filings?state=filed", "/api/v1/filings?state=filed&limit=50"),
        ("filing list (overdue, district)", f"/filings?district_code={district}&overdue=true",
         f"/api/v1/filings?district_code={district}&limit=50"),
        ("operator list (district)", f"/operators?district_code={district}",
         f"/api/v1/operators?district_code={district}&limit=50"),
        ("camera list (district)", f"/cameras?district_code={district}",
         f"/api/v1/cameras?district_code={district}&limit=50"),
        ("camera list (station)", f"/cameras?station_id={station}", f"/api/v1/cameras?station_id={station}&limit=50"),
        ("filing detail", f"/filings/{fid}", f"/api/v1/filings/{fid}"),
        ("operator detail", f"/operators/{oid}", f"/api/v1/operators/{oid}"),
        ("camera detail", f"/cameras/{cid}", f"/api/v1/cameras/{cid}"),
        ("account list", "/admin/users", "/api/v1/auth/users?limit=50"),
        ("dashboard (city)", "/dashboard?district=", None),
        ("dashboard (district)", f"/dashboard?district={district}", None),
    ]


def _time(client: object, url: str, n: int, **kwargs: object) -> list[float]:
    times = []
    for i in range(n + 3):
        start = time.perf_counter()
        response = client.get(url, **kwargs)  # type: ignore[attr-defined]
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
        if i >= 3:
            times.append(elapsed)
    return times


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _first_paint(app: object, token: str, paths: list[str], loads: int) -> dict[str, float]:
    from tests.maps.browser_harness import offline_browser
    from tests.registry.browser import live_app

    paints: dict[str, float] = {}
    with live_app(app) as base, offline_browser() as context:  # type: ignore[arg-type]
        context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": base}])
        page = context.new_page()
        for path in paths:
            found = []
            for _ in range(loads):
                page.goto(base + path, wait_until="load")
                found.append(page.evaluate(_FCP))
            paints[path] = statistics.median(found)
    return paints


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cameras", type=int, default=1_000_000)
    parser.add_argument("--filings", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--db", default="camreg_bench_load")
    args = parser.parse_args()
    from fastapi.testclient import TestClient

    data_dir = Path(tempfile.mkdtemp(prefix="camreg-bench-pages-"))
    settings, fill_s = _database(args.db, args.cameras, args.filings, args.reuse, data_dir)
    if fill_s is not None:
        print(f"filled {args.cameras:,} cameras in {fill_s:.0f} s")
    engine = make_engine(settings)
    with Session(engine) as session:
        token = _token(session, "bench-city-admin", Role.admin, "001")
        session.commit()
        pairs = _pairs(session)
    app = create_app(settings, engine)
    rows = []
    with TestClient(app) as client:
        client.cookies.set(SESSION_COOKIE, token)
        headers = {"Authorization": f"Bearer {token}"}
        for name, page_url, api_url in pairs:
            page = _time(client, page_url, args.n)
            api = _time(client, api_url, args.n, headers=headers) if api_url else None
            rows.append((name, page, api))
    print(f"\n{args.cameras:,} cameras on PostgreSQL, city administrator, {args.n} requests each, in-process")
    print(f"{'page':34} {'page p50':>9} {'p95':>7} {'API p50':>9} {'p95':>7} {'ratio':>6}  target")
    for name, page, api in rows:
        p50, p95 = _pct(page, 50), _pct(page, 95)
        if api:
            a50, a95 = _pct(api, 50), _pct(api, 95)
            ratio = p50 / a50
            ok = p95 < TARGET_P95_MS and ratio <= TARGET_RATIO
            print(f"{name:34} {p50:8.1f}  {p95:6.1f}  {a50:8.1f}  {a95:6.1f}  {ratio:5.2f}  {'✓' if ok else '✗'}")
        else:
            ok = p95 < TARGET_P95_MS
            print(f"{name:34} {p50:8.1f}  {p95:6.1f}  {'(no API)':>8}  {'':6}  {'':5}  {'✓' if ok else '✗'}")
    p95_by_url = {url: _pct(page, 95) for (_, url, _), (_, page, _) in zip(pairs, rows, strict=True)}
    heaviest = sorted(p95_by_url, key=lambda url: -p95_by_url[url])[:4]
    paints = _first_paint(app, token, heaviest, loads=5)
    print("\nChromium first contentful paint (median of 5 loads, live server on loopback):")
    for path, ms in paints.items():
        print(f"  {path:45} {ms:7.0f} ms  {'✓' if 0 <= ms < TARGET_PAINT_MS else '✗'}")
    engine.dispose()


if __name__ == "__main__":
    main()
