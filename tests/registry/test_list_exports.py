"""导出 gives exactly the rows the list shows (issue 9 part 7): for every list page with 导出, filtered several ways,
the CSV and the Excel file hold as many rows as the list counts — the same filters, the same scope — and a
filter that leaves nothing exports nothing but the headers."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from registry.auth.models import Role
from tests.registry.conftest import Person
from tests.registry.page_helpers import sign_in
from tests.registry.test_scope import world  # noqa: F401  (the shared scenario fixture)

HEADER_ROWS = 2  # every export: a Chinese header row, then the field names


def _count(html: str) -> int:
    found = re.search(r'<span class="count">共 <b>([\d,]+)</b> 条', html)
    assert found, "the list shows no count"
    return int(found.group(1).replace(",", ""))


def _exported(client: TestClient, list_url: str, html: str) -> tuple[int, int]:
    """Rows of the CSV and of the Excel file behind the list's own 导出 links."""
    links = dict(re.findall(r'<a class="button secondary" href="([^"]+)" hx-boost="false" download>'
                            r'导出 (Excel|CSV)</a>', html))
    by_kind = {kind: url.replace("&amp;", "&") for url, kind in links.items()}
    assert set(by_kind) == {"Excel", "CSV"}, f"{list_url}: no 导出 links"
    text = client.get(by_kind["CSV"]).content.decode("utf-8-sig")
    csv_rows = len(list(csv.reader(io.StringIO(text)))) - HEADER_ROWS
    book = client.get(by_kind["Excel"])
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content), read_only=True).active
    assert sheet is not None
    xlsx_rows = sum(1 for row in sheet.iter_rows(values_only=True) if any(v not in (None, "") for v in row))
    return csv_rows, xlsx_rows - HEADER_ROWS


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
                     "/inspections?state=signed", "/rectifications", "/rectifications?status=open"]),
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
