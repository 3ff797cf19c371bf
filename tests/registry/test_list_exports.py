"""导出 gives exactly the rows the list shows (issue 9 part 7): for every list page with 导出, filtered several ways,
the CSV and the Excel file hold as many rows as the list counts — the same filters, the same scope — and a
filter that leaves nothing exports nothing but the headers. The file's rows come in the order the list's pages
show them, in the sort and direction chosen on the list (ties broken by id, as the pages break them)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from registry.auth.models import Role, User
from registry.filings.models import Filing, FilingState, VerificationResult
from registry.inspections.models import Inspection, SpotCheckDraw, SpotCheckFinding
from registry.operators.models import Operator
from tests.registry.conftest import Person
from tests.registry.page_helpers import sign_in
from tests.registry.test_scope import world  # noqa: F401  (the shared scenario fixture)

HEADER_ROWS = 2  # every export: a Chinese header row, then the field names


def _count(html: str) -> int:
    found = re.search(r'<span class="count">共 <b>([\d,]+)</b> 条', html)
    assert found, "the list shows no count"
    return int(found.group(1).replace(",", ""))


def _export_links(list_url: str, html: str) -> dict[str, str]:
    links = dict(re.findall(r'<a class="button secondary" href="([^"]+)" hx-boost="false" download>'
                            r'导出 (Excel|CSV)</a>', html))
    by_kind = {kind: url.replace("&amp;", "&") for url, kind in links.items()}
    assert set(by_kind) == {"Excel", "CSV"}, f"{list_url}: no 导出 links"
    return by_kind


def _files(client: TestClient, list_url: str, html: str) -> tuple[list[list[str]], list[list[Any]]]:
    """The rows (headers included) of the CSV and of the Excel file behind the list's own 导出 links."""
    by_kind = _export_links(list_url, html)
    answer = client.get(by_kind["CSV"])
    assert answer.status_code == 200, f"{by_kind['CSV']}: {answer.status_code}"
    csv_rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    book = client.get(by_kind["Excel"])
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content), read_only=True).active
    assert sheet is not None
    xlsx_rows = [list(row) for row in sheet.iter_rows(values_only=True) if any(v not in (None, "") for v in row)]
    return csv_rows, xlsx_rows


def _exported(client: TestClient, list_url: str, html: str) -> tuple[int, int]:
    """How many data rows the CSV and the Excel file behind the list's own 导出 links hold."""
    csv_rows, xlsx_rows = _files(client, list_url, html)
    return len(csv_rows) - HEADER_ROWS, len(xlsx_rows) - HEADER_ROWS


def test_every_list_exports_exactly_its_rows(client: TestClient, world: dict[str, Any],  # noqa: F811
                                             make_person: Callable[..., Person]) -> None:
    desk, ids = world["desk"], world["ids"]
    operator = desk.operator
    cases: list[tuple[Person, list[str]]] = [
        (desk.wang, ["/filings", "/filings?state=filed", "/filings?state=accepted", f"/filings?q={operator.uscc}",
                     "/filings?q=没有这个单位", "/operators", f"/operators?q={operator.name}",
                     "/operators?overdue=true",
                     "/cameras", f"/cameras?filing_id={ids['filing_id']}", "/cameras?status=active",
                     "/desk", "/desk?stage=intake", "/desk?stage=review", "/desk?stage=waiting",
                     "/footage", f"/footage?operator_id={operator.id}", "/penalties", "/penalties?state=issued",
                     "/penalties?state=preparing", "/inspections", f"/inspections?operator_id={operator.id}",
                     "/inspections?state=signed", "/rectifications", "/rectifications?status=open",
                     "/verifications", f"/verifications?q={operator.uscc}", "/desk/recheck"]),
        (desk.li, ["/desk/recheck", "/verifications?q=没有这个单位"]),
        (make_person(Role.admin, "101"), ["/admin/users", "/admin/users?role=operator", "/admin/users?disabled=true",
                                          "/admin/users?sort=-id"]),
        (make_person(Role.supervisor, "001"), ["/spot-checks", "/spot-checks?season=june"]),
        (make_person(Role.supervisor, "001"), ["/filings", "/operators", "/cameras?district_code=110101",
                                               "/penalties", "/inspections"]),
        (desk.hotel, ["/filings", "/apply/footage"]),
    ]
    checked = 0
    for person, urls in cases:
        sign_in(client, person)
        for url in urls:
            page = client.get(url + ("&" if "?" in url else "?") + "per_page=20")
            assert page.status_code == 200, url
            shown = _count(page.text)
            assert _exported(client, url, page.text) == (shown, shown), f"{person.user.role.value} {url}: {shown}"
            checked += shown > 0
    assert checked >= 10  # the scenario has rows in most of them


# Row links of each list's table: the row's id, in the order the page shows the rows.
ROW_LINKS = {"/filings": r'href="/filings/(\d+)', "/desk": r'href="/filings/(\d+)',
             "/operators": r'href="/operators/(\d+)"', "/verifications": r'href="/filings/(\d+)',
             "/admin/users": r'href="/admin/users/(\d+)"', "/cameras": r'href="/cameras/(\d+)"',
             "/spot-checks": r'href="/spot-checks/(\d+)"'}


def _walk(client: TestClient, url: str) -> tuple[list[int], str]:
    """The ids of every row of a list, page after page by its 下一页 link, and the first page."""
    pattern = ROW_LINKS[next(p for p in sorted(ROW_LINKS, key=len, reverse=True) if url.startswith(p))]
    ids: list[int] = []
    first, pages = "", 0
    while url:
        page = client.get(url)
        assert page.status_code == 200, url
        first = first or page.text
        body = page.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        ids += dict.fromkeys(int(i) for i in re.findall(pattern, body))  # a row may link to itself twice
        following = re.search(r'<a class="button secondary" href="([^"]+)" hx-get="[^"]+" rel="next">', page.text)
        url = following.group(1).replace("&amp;", "&") if following else ""
        pages += 1
        assert pages < 20
    return ids, first


def _column(rows: list[list[Any]], field: str) -> list[int]:
    at = [str(v) for v in rows[1]].index(field)
    return [int(row[at]) for row in rows[HEADER_ROWS:]]


def _more_rows(engine: Engine, world: dict[str, Any], make_person: Callable[..., Person],  # noqa: F811
               make_operator: Callable[..., Operator]) -> None:
    """Enough rows for several pages of 20, with ties in the sort columns: 30 filings accepted by 王 with three
    deadlines (half of them verified, for 李's re-check queue), 24 operators of one name, 22 accounts."""
    desk = world["desk"]
    for _ in range(24):
        make_operator(name="同名宾馆")
    for n in range(22):
        make_person(Role.inspector, "101" if n % 2 else desk.operator.verifying_unit_code)
    with Session(engine) as session:
        source = session.exec(select(Filing).where(Filing.operator_id == desk.operator.id)
                              .where(Filing.state == FilingState.accepted)).first()
        assert source is not None and source.deadline is not None
        for n in range(30):
            verified = n % 2 == 0
            session.add(Filing.model_validate(source.model_dump(exclude={"id", "number"}), update={
                "deadline": source.deadline + timedelta(days=n % 3), "accepted_by_id": desk.wang.user.id,
                "verification_result": VerificationResult.matches.value if verified else None,
                "verified_by_id": desk.zhang.user.id if verified else None}))
        session.commit()


def test_every_export_follows_the_lists_sort_and_direction(client: TestClient, engine: Engine,
                                                           world: dict[str, Any],  # noqa: F811
                                                           make_person: Callable[..., Person],
                                                           make_operator: Callable[..., Operator]) -> None:
    """Sorted by a column that is not the id (and by the id the other way), each list walked page by page in
    that sort gives the rows in the order of its CSV and Excel file: keyset batches over the sort key and the id."""
    _more_rows(engine, world, make_person, make_operator)
    desk = world["desk"]
    cases: list[tuple[Person, list[str]]] = [
        (desk.wang, ["/filings?sort=deadline", "/filings?sort=-deadline", "/filings", "/filings?sort=id",
                     "/desk", "/desk?sort=-deadline&stage=review", "/operators?sort=name", "/operators?sort=-name",
                     "/operators?q=同名宾馆&sort=name", "/operators", "/verifications?sort=-deadline", "/cameras"]),
        (desk.li, ["/desk/recheck", "/desk/recheck?sort=-deadline"]),
        (make_person(Role.admin, "101"), ["/admin/users", "/admin/users?sort=-username", "/admin/users?sort=id"]),
    ]
    long = 0
    for person, urls in cases:
        sign_in(client, person)
        for url in urls:
            walked, first = _walk(client, url + ("&" if "?" in url else "?") + "per_page=20")
            if "sort=" in url:
                assert all("sort=" in link for link in _export_links(url, first).values()), url
            csv_rows, xlsx_rows = _files(client, url, first)
            assert _column(csv_rows, "id") == walked, f"{url}: the CSV is not in the list's order"
            assert _column(xlsx_rows, "id") == walked, f"{url}: the Excel file is not in the list's order"
            long += len(walked) > 20
    assert long >= 10  # most of them take several pages


def test_the_account_export_has_no_password_hash_or_token(client: TestClient, engine: Engine,
                                                          world: dict[str, Any],  # noqa: F811
                                                          make_person: Callable[..., Person]) -> None:
    admin = make_person(Role.admin, "101")
    sign_in(client, admin)
    page = client.get("/admin/users?per_page=100")
    links = _export_links("/admin/users", page.text)
    with Session(engine) as session:
        hashes = [u.password_hash for u in session.exec(select(User)).all()]
    tokens = [p.token for p in (admin, world["desk"].wang, world["desk"].hotel)]
    for url in links.values():
        body = client.get(url).content
        text = body.decode("utf-8-sig") if url.split("?")[0].endswith(".csv") else ""
        for secret in [*hashes, *tokens]:
            assert secret.encode() not in body and secret not in text
    csv_rows, _ = _files(client, "/admin/users", page.text)
    assert not {h for h in csv_rows[1] if "password" in h or "token" in h or "hash" in h}
    assert world["desk"].wang.user.username in {row[1] for row in csv_rows[HEADER_ROWS:]}


def test_the_spot_check_draws_export_with_their_findings(client: TestClient, engine: Engine,
                                                        world: dict[str, Any],  # noqa: F811
                                                        make_person: Callable[..., Person]) -> None:
    city = make_person(Role.supervisor, "001")
    inspection_id = world["ids"]["inspection_id"]
    with Session(engine) as session:
        inspection = session.get_one(Inspection, inspection_id)
        draws = [SpotCheckDraw(year=year, season=season, seed=f"s{year}{season}", size=1,
                               population_ids=[inspection_id, 999], sample_ids=[inspection_id],
                               drawn_on=date(year, 6 if season == "june" else 10, 20), drawn_by_id=city.user.id)
                 for year in (2025, 2026) for season in ("june", "october")]
        session.add_all(draws)
        session.flush()
        session.add(SpotCheckFinding(draw_id=draws[0].id, inspection_id=inspection_id,
                                     operator_id=inspection.operator_id, conforming=False, finding="笔录不全",
                                     recorded_on=date(2025, 6, 25), recorded_by_id=city.user.id))
        session.commit()
    sign_in(client, city)
    walked, page = _walk(client, "/spot-checks?per_page=20")
    assert len(walked) == 4 and walked == sorted(walked, reverse=True)  # the latest draw first
    csv_rows, xlsx_rows = _files(client, "/spot-checks", page)
    assert _column(csv_rows, "id") == walked == _column(xlsx_rows, "id")
    by_seed = {row[csv_rows[1].index("seed")]: dict(zip(csv_rows[1], row, strict=True)) for row in csv_rows[2:]}
    assert by_seed["s2025june"]["nonconforming"] == "1" and by_seed["s2025june"]["findings"] == "1"
    assert by_seed["s2026october"]["sample_ids"] == str(inspection_id)
    june, _ = _walk(client, "/spot-checks?season=june")
    assert len(june) == 2
    swapped = client.get("/spot-checks?season=june", headers={"HX-Request": "true"})  # filtered in place
    assert swapped.status_code == 200 and len(re.findall(r'href="/spot-checks/\d+"', swapped.text)) == 2
    assert "各单位完成情况" not in swapped.text
    # Only the city department's supervisors and administrators.
    sign_in(client, make_person(Role.supervisor, "101"))
    assert client.get("/spot-checks/export.csv").status_code == 403
