"""核对 on the pages: the verifying unit's queue, the form on the filing page, the result the filing unit reads."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from registry.operators.models import Operator
from tests.registry.conftest import Person
from tests.registry.page_helpers import post_form, sign_in
from tests.registry.test_filing_workflow import Desk


def _accepted(client: TestClient, make_operator: Callable[..., Operator],
              make_person: Callable[..., Person]) -> tuple[Desk, int]:
    desk = Desk(client, make_operator(), make_person)
    fid = desk.submit_complete()
    assert desk.call(desk.wang, "POST", f"/filings/{fid}/accept")["status"] == 200
    return desk, fid


def test_the_station_verifies_from_its_queue(client: TestClient, make_operator: Callable[..., Operator],
                                             make_person: Callable[..., Person]) -> None:
    desk, fid = _accepted(client, make_operator, make_person)
    token = sign_in(client, desk.zhang)
    queue = client.get("/verifications")
    assert queue.status_code == 200 and "待核对" in queue.text
    assert f'href="/filings/{fid}#verify"' in queue.text and desk.operator.name in queue.text
    page = client.get(f"/filings/{fid}")
    assert f'action="/filings/{fid}/verify"' in page.text and "记录核对结果" in page.text
    # 与现场不符 without saying what differs: the error beside the field, the choice kept.
    bad = post_form(client, f"/filings/{fid}/verify", token, {"result": "differs", "notes": ""})
    assert bad.status_code == 422
    assert '<small class="error" id="e-notes">与现场不符时须写明不符之处</small>' in bad.text
    assert '<option value="differs" selected>' in bad.text
    ok = post_form(client, f"/filings/{fid}/verify", token, {"result": "matches", "notes": "现场2台，与布防图一致"})
    assert ok.status_code == 303 and ok.headers["location"] == f"/filings/{fid}"
    assert f'href="/filings/{fid}#verify"' not in client.get("/verifications").text
    # The filing unit reads the result on the filing page before it files; it has no 核对 form.
    sign_in(client, desk.li)
    page = client.get(f"/filings/{fid}")
    assert "与现场相符" in page.text and "现场2台，与布防图一致" in page.text and "记录核对结果" not in page.text


def test_the_filing_unit_sees_what_waits_for_its_stations(client: TestClient, make_operator: Callable[..., Operator],
                                                          make_person: Callable[..., Person]) -> None:
    desk, fid = _accepted(client, make_operator, make_person)
    token = sign_in(client, desk.wang)
    queue = client.get("/verifications").text
    assert f'href="/filings/{fid}#verify"' in queue and "核对</a>" not in queue.split("<tbody")[-1]
    page = client.get(f"/filings/{fid}").text
    assert "待核对" in page and "核对后方可复查、复核" in page and "记录核对结果" not in page
    refused = post_form(client, f"/filings/{fid}/verify", token, {"result": "matches"})
    assert refused.status_code == 403
