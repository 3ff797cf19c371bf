"""The register's pages: the operator's form and register, the police list of the unit's area, search, export."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from fastapi.testclient import TestClient

from registry.auth.models import Role
from registry.operators.models import Operator
from tests.registry.conftest import Person
from tests.registry.page_helpers import post_form, sign_in

DAY = date.today() - timedelta(days=1)
FORM = {"accessed_on": str(DAY), "kind": "take", "reason": "侦办盗窃案件", "cameras": "大堂入口",
        "footage_from": f"{DAY - timedelta(days=1)}T20:00", "footage_to": f"{DAY - timedelta(days=1)}T22:00",
        "taker_unit_code": "101", "taker_unit_name": "", "taker_names": "陈警官（012345）",
        "approver_unit_code": "101", "approver_name": "赵局长", "approver_title": "副局长",
        "approval_number": "东公调字〔2026〕7号", "approved_on": str(DAY)}


def test_the_operator_registers_an_access_and_the_police_see_it(
        client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> None:
    operator = make_operator()
    token = sign_in(client, make_person(Role.operator, operator_id=operator.id))
    page = client.get("/apply/footage")
    assert page.status_code == 200 and "调取登记簿" in page.text and "不得收取任何费用" in page.text

    # A station's head cannot approve; the form comes back with what was typed and the error beside the field.
    refused = post_form(client, "/apply/footage/new", token, {**FORM, "approver_unit_code": "11010101",
                                                              "footage_to": FORM["footage_from"]})
    assert refused.status_code == 422
    assert 'id="e-footage_to"' in refused.text and "东公调字〔2026〕7号" in refused.text
    refused = post_form(client, "/apply/footage/new", token, {**FORM, "approver_unit_code": "11010101"})
    assert refused.status_code == 422 and 'id="e-approver_unit_code"' in refused.text and "派出所" in refused.text

    saved = post_form(client, "/apply/footage/new", token, FORM)
    assert saved.status_code == 303, saved.text
    detail = client.get(saved.headers["location"])
    assert detail.status_code == 200
    for text in ("侦办盗窃案件", "调取", "东城分局", "陈警官", "赵局长（副局长）",
                 f"{DAY.year}年{DAY.month}月{DAY.day}日"):
        assert text in detail.text, text
    assert "20:00 至" in detail.text  # the time typed, shown back in Beijing time
    assert "侦办盗窃案件" in client.get("/apply/footage").text
    csv_export = client.get("/apply/footage/export.csv")
    assert csv_export.status_code == 200 and "侦办盗窃案件" in csv_export.content.decode("utf-8-sig")

    sign_in(client, make_person(Role.inspector, "101"))
    listed = client.get("/footage?q=盗窃")
    assert listed.status_code == 200 and f">{operator.name}<" in listed.text and "/footage/export.csv?q=" in listed.text
    assert "侦办盗窃案件" not in client.get("/footage?q=交通事故").text
    assert client.get(saved.headers["location"]).status_code == 200
    sign_in(client, make_person(Role.inspector, "108"))
    assert "侦办盗窃案件" not in client.get("/footage").text
    assert client.get(saved.headers["location"]).status_code == 404


def test_the_officer_who_took_footage_registers_it(
        client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> None:
    operator = make_operator()
    token = sign_in(client, make_person(Role.inspector, "101"))
    assert "/footage/new" in client.get("/footage").text
    form = client.get(f"/footage/new?uscc={operator.uscc}")
    assert form.status_code == 200 and operator.uscc in form.text
    unknown = post_form(client, "/footage/new", token, {**FORM, "uscc": "91110000000000000X"})
    assert unknown.status_code == 422 and 'id="e-uscc"' in unknown.text and "陈警官" in unknown.text
    saved = post_form(client, "/footage/new", token, {**FORM, "uscc": operator.uscc.lower()})
    assert saved.status_code == 303, saved.text
    assert "侦办盗窃案件" in client.get(saved.headers["location"]).text
    sign_in(client, make_person(Role.operator, operator_id=operator.id))
    assert "侦办盗窃案件" in client.get("/apply/footage").text  # in the operator's own register too


def test_both_registers_search_and_export_what_they_show(
        client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> None:
    """The operator's own register and the police unit's list: searched by text, kind and date, and 导出
    writes exactly the rows the search shows (CSV and Excel); another unit's export holds none of them."""
    import io
    import re

    from openpyxl import load_workbook

    operator = make_operator()
    token = sign_in(client, make_person(Role.operator, operator_id=operator.id))
    assert post_form(client, "/apply/footage/new", token, FORM).status_code == 303
    earlier = DAY - timedelta(days=5)
    assert post_form(client, "/apply/footage/new", token, {
        **FORM, "kind": "view", "reason": "核查交通事故", "accessed_on": str(earlier), "approved_on": str(earlier),
        "footage_from": f"{earlier}T08:00", "footage_to": f"{earlier}T09:00"}).status_code == 303

    def count(url: str) -> int:
        page = client.get(url)
        assert page.status_code == 200, url
        found = re.search(r"共 <b>(\d+)</b> 条", page.text)
        assert found, url
        return int(found.group(1))

    def xlsx_reasons(url: str) -> list[str]:
        answer = client.get(url)
        assert answer.status_code == 200, url
        sheet = load_workbook(io.BytesIO(answer.content)).active
        assert sheet is not None
        return [str(sheet.cell(r, 6).value) for r in range(3, sheet.max_row + 1)]

    for base in ("/apply/footage", "/footage"):
        if base == "/footage":
            sign_in(client, make_person(Role.inspector, "101"))
        assert count(base) == 2
        assert count(f"{base}?q=交通") == 1 and count(f"{base}?kind=take") == 1
        assert count(f"{base}?accessed_from={earlier + timedelta(days=1)}") == 1
        assert count(f"{base}?accessed_to={earlier}") == 1
        assert xlsx_reasons(f"{base}/export.xlsx?q=交通") == ["核查交通事故"]
        assert sorted(xlsx_reasons(f"{base}/export.xlsx")) == ["侦办盗窃案件", "核查交通事故"]
        rows = client.get(f"{base}/export.csv?kind=view").content.decode("utf-8-sig").splitlines()
        assert len(rows) == 3 and "核查交通事故" in rows[2]
    sign_in(client, make_person(Role.inspector, "108"))
    assert xlsx_reasons("/footage/export.xlsx") == []
