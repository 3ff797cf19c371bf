"""Documents through the workflow: issued at their step, frozen, downloadable, verifiable, superseded."""

from __future__ import annotations

import hashlib
import re
import stat
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from registry import blobs
from registry.audit.models import AuditEvent
from registry.cli import app as cli_app
from registry.documents.models import IssuedDocument
from registry.documents.render import renderer
from registry.operators.models import Operator
from registry.settings import Settings
from registry.timeutil import beijing_today
from tests.conftest import skip_or_fail
from tests.registry import pdf_tools
from tests.registry.conftest import Person
from tests.registry.test_filing_workflow import Desk, _camera, _form, placed

DEFECTS = [{"item": "deployment_map", "message": "布防图未标出大堂摄像机"},
           {"item": "retention_days", "message": "存储期限不足30天"}]


@pytest.fixture
def desk(client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person],
         settings: Settings) -> Desk:
    try:
        renderer(settings.font_dir)
    except Exception as exc:  # the font is a system package: say how to get it
        skip_or_fail(str(exc))
    return Desk(client, make_operator(), make_person)


def _get(desk: Desk, person: Person, fid: int, kind: str) -> Any:
    return desk.client.get(f"/api/v1/filings/{fid}/documents/{kind}", headers=person.headers)


def _cn(day: str) -> str:
    y, m, d = day.split("-")
    return f"{y}年{int(m)}月{int(d)}日"


def _short_code(pdf: bytes) -> str:
    found = re.search(r"核验码：([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", pdf_tools.text(pdf))
    assert found, pdf_tools.text(pdf)[:300]
    return found.group(1)


def _corrected_and_filed(desk: Desk) -> tuple[int, str, dict[str, Any]]:
    fid = desk.submit_complete()
    number = desk.call(desk.wang, "POST", f"/filings/{fid}/accept")["body"]["number"]
    notice = desk.call(desk.wang, "POST", f"/filings/{fid}/correction-notice", json={"items": DEFECTS})
    assert notice["status"] == 201, notice
    desk.call(desk.hotel, "POST", f"/filings/{fid}/corrected")
    assert desk.file(fid)["body"]["state"] == "filed"
    return fid, number, notice["body"]


def test_each_document_is_issued_at_its_step_and_reads_back(desk: Desk) -> None:
    fid = desk.submit_complete()
    number = desk.call(desk.wang, "POST", f"/filings/{fid}/accept")["body"]["number"]
    early = _get(desk, desk.hotel, fid, "receipt")
    assert early.status_code == 409
    assert early.json()["error"]["details"]["state"] == "accepted" and "accepted" in early.json()["error"]["message"]
    assert _get(desk, desk.wang, fid, "correction_notice").status_code == 409

    notice = desk.call(desk.wang, "POST", f"/filings/{fid}/correction-notice", json={"items": DEFECTS})["body"]
    listed = desk.call(desk.hotel, "GET", f"/filings/{fid}/documents")["body"]
    assert [(d["kind"], d["number"]) for d in listed] == [("correction_notice", notice["number"])]
    response = _get(desk, desk.hotel, fid, "correction_notice")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    notice_text = pdf_tools.text(response.content)
    for expected in (notice["number"], number, "布防图未标出大堂摄像机", "存储期限不足30天", _cn(notice["due_date"]),
                     "10个工作日", desk.operator.name, "酒店视频监控系统", "北京市公安局东城分局", "Testintake"):
        assert expected in notice_text, expected

    desk.call(desk.hotel, "POST", f"/filings/{fid}/corrected")
    filed = desk.file(fid)["body"]
    filed_on = _cn(beijing_today(datetime.fromisoformat(filed["filed_at"])).isoformat())
    kinds = [d["kind"] for d in desk.call(desk.hotel, "GET", f"/filings/{fid}/documents")["body"]]
    assert kinds == ["correction_notice", "review_form", "receipt"]

    receipt = pdf_tools.text(_get(desk, desk.hotel, fid, "receipt").content)
    for expected in (f"编号：{number}", desk.operator.name, desk.operator.uscc, "北京市东城区测试路1号", "2台", "30天",
                     "北京市公安局东城分局", "（公章）"):
        assert expected in receipt, expected
    assert f"备案日期{filed_on}" in receipt

    codes = [c["code"] for c in desk.call(desk.wang, "GET", f"/cameras?filing_id={fid}")["body"]["items"]]
    review = pdf_tools.text(_get(desk, desk.wang, fid, "review_form").content)
    for expected in (number, "受理审查", "核对", "复查、复核", "经受理审查、核对、复查、复核，", "Testintake",
                     "Testreviewer", "Testinspector", notice["number"],
                     "按时", "摄像机清单（共2台）", *codes, "大堂1", "一层大堂东侧1"):
        assert expected in review, expected

    # Both dates each lateness rule counts from (第七条: 竣工验收合格; 799号令: 投入使用) are on the forms.
    dates = desk.call(desk.hotel, "GET", f"/filings/{fid}")["body"]
    both = ("竣工验收", _cn(dates["acceptance_date"]), "投入使用日期", _cn(dates["system_in_use_date"]))
    for expected in both:
        assert expected in review.replace("\n", ""), expected
    info = pdf_tools.text(_get(desk, desk.hotel, fid, "basic_info").content)
    for expected in (*both, number, desk.operator.name, desk.operator.uscc, "住宿和餐饮业", "赵经理", "30天", "2台",
                     "枪机×1，球机×1", "社会资源接入网", "（使用单位盖章）"):
        assert expected in info, expected
    authorization = pdf_tools.text(_get(desk, desk.hotel, fid, "authorization").content)
    assert desk.operator.name in authorization and "北京市公安局东城分局" in authorization

    unknown = _get(desk, desk.hotel, fid, "penalty_decision")
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "kind"


def test_a_reprint_is_the_same_bytes_stored_once(desk: Desk, settings: Settings, engine: Engine) -> None:
    fid, _, _ = _corrected_and_filed(desk)
    first = _get(desk, desk.hotel, fid, "receipt").content
    assert _get(desk, desk.wang, fid, "receipt").content == first
    listed = {d["kind"]: d for d in desk.call(desk.wang, "GET", f"/filings/{fid}/documents")["body"]}
    digest = hashlib.sha256(first).hexdigest()
    assert listed["receipt"]["sha256"] == digest and listed["receipt"]["size"] == len(first)
    path = blobs.path_for(settings.documents_dir, digest)
    assert path.read_bytes() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with Session(engine) as session:
        actions = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.object_type == "document"))]
    assert actions.count("document.issue") == 3 and actions.count("document.read") == 2


def test_an_altered_file_is_refused_not_served(desk: Desk, settings: Settings) -> None:
    fid, _, _ = _corrected_and_filed(desk)
    sha = {d["kind"]: d["sha256"] for d in desk.call(desk.wang, "GET", f"/filings/{fid}/documents")["body"]}
    path = blobs.path_for(settings.documents_dir, sha["receipt"])
    path.write_bytes(path.read_bytes().replace(b"1012", b"1013", 1))
    response = _get(desk, desk.hotel, fid, "receipt")
    assert response.status_code == 503 and "备份" in response.json()["error"]["message"]


def test_a_change_filing_supersedes_the_old_receipt(desk: Desk) -> None:
    fid = desk.submit_complete()
    number = desk.call(desk.wang, "POST", f"/filings/{fid}/accept")["body"]["number"]
    desk.file(fid)
    old_receipt = _get(desk, desk.hotel, fid, "receipt").content
    old_code = _short_code(old_receipt)
    assert "有效" in desk.client.get("/verify", params={"code": old_code}).text

    old = {c["name"]: c for c in desk.call(desk.wang, "GET", f"/cameras?filing_id={fid}")["body"]["items"]}
    change = desk.call(desk.hotel, "POST", "/filings", json=_form(desk.operator.id, changes_filing_number=number,
                                                                      change_date=date.today().isoformat()))
    cid = change["body"]["id"]
    plan = desk.materials(cid)
    desk.call(desk.hotel, "POST", f"/filings/{cid}/cameras", json=[
        _camera(1, existing_code=old["大堂1"]["code"], **placed(plan)), _camera(3, **placed(plan))])
    new_number = desk.call(desk.wang, "POST", f"/filings/{cid}/accept")["body"]["number"]
    assert desk.file(cid)["body"]["state"] == "filed"

    new_receipt = _get(desk, desk.hotel, cid, "receipt").content
    assert f"原备案编号{number}" in pdf_tools.text(new_receipt)
    assert _get(desk, desk.hotel, fid, "receipt").content == old_receipt  # never rewritten
    stale = desk.client.get("/verify", params={"code": old_code})
    assert stale.status_code == 200
    assert "已失效" in stale.text and new_number in stale.text and number in stale.text
    fresh = desk.client.get("/verify", params={"code": _short_code(new_receipt).lower()})
    assert "有效" in fresh.text and "已失效" not in fresh.text
    listed = {d["kind"]: d for d in desk.call(desk.wang, "GET", f"/filings/{fid}/documents")["body"]}
    assert listed["receipt"]["superseded_by_id"] is not None and listed["review_form"]["superseded_by_id"] is None


def test_verification_is_public_says_nothing_personal_and_a_guess_is_404(desk: Desk) -> None:
    fid, number, _ = _corrected_and_filed(desk)
    code = _short_code(_get(desk, desk.hotel, fid, "receipt").content)
    anonymous = TestClient(desk.client.app, follow_redirects=False)
    found = anonymous.get("/verify", params={"code": code})
    assert found.status_code == 303 and found.headers["location"].startswith("/verify/")
    page = anonymous.get(found.headers["location"])
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    for expected in ("备案回执单", number, "北京市公安局东城分局", "有效"):
        assert expected in page.text, expected
    for private in (desk.operator.name, desk.operator.uscc, "赵经理", "测试路"):
        assert private not in page.text, private
    token = found.headers["location"].rsplit("/", 1)[1]
    assert len(token) >= 40
    guessed = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert anonymous.get(f"/verify/{guessed}").status_code == 404
    assert anonymous.get("/verify", params={"code": "ZZZZ-ZZZZ-ZZZZ-ZZZZ"}).status_code == 404
    assert anonymous.get("/verify", params={"code": "not a code"}).status_code == 404
    assert anonymous.get("/verify").status_code == 200  # the form


def test_the_qr_code_opens_the_verification_page(desk: Desk, tmp_path: Any) -> None:
    fid, number, _ = _corrected_and_filed(desk)
    for kind in ("receipt", "review_form", "correction_notice"):
        scanned = pdf_tools.qr_codes(_get(desk, desk.hotel, fid, kind).content, tmp_path / kind)
        assert len(scanned) == 1 and scanned[0].startswith("http://127.0.0.1:8000/verify/"), scanned
        page = TestClient(desk.client.app).get(scanned[0].removeprefix("http://127.0.0.1:8000"))
        assert page.status_code == 200 and "有效" in page.text, kind
        assert (number if kind != "correction_notice" else "补正材料通知单") in page.text


def test_a_filing_filed_before_documents_gets_them_at_first_download(desk: Desk, engine: Engine) -> None:
    fid, number, _ = _corrected_and_filed(desk)
    with Session(engine) as session:  # as if filed before migration 0004
        session.execute(delete(IssuedDocument))
        session.commit()
    response = _get(desk, desk.hotel, fid, "receipt")
    assert response.status_code == 200 and number in pdf_tools.text(response.content)
    assert _get(desk, desk.wang, fid, "receipt").content == response.content
    with Session(engine) as session:
        row = session.exec(select(IssuedDocument).where(IssuedDocument.kind == "receipt")).one()
        assert row.issued_by_id is None  # issued by the system, not by whoever downloaded first
        issued = session.exec(select(AuditEvent).where(AuditEvent.action == "document.issue")
                              .order_by(col(AuditEvent.seq))).all()
        assert [e.details["backfill"] for e in issued] == [False, False, False, True]


def test_other_units_and_other_operators_get_404(desk: Desk, make_person: Callable[..., Person],
                                                 make_operator: Callable[..., Operator]) -> None:
    fid, _, _ = _corrected_and_filed(desk)
    from registry.auth.models import Role
    from tests.registry.conftest import HAIDIAN_POINT

    outsiders = [make_person(Role.intake, "108"), make_person(
        Role.operator, operator_id=make_operator(lon=HAIDIAN_POINT[0], lat=HAIDIAN_POINT[1]).id)]
    for person in outsiders:
        for kind in ("receipt", "review_form", "correction_notice", "basic_info", "nonsense"):
            assert _get(desk, person, fid, kind).status_code == 404
    assert desk.client.get(f"/api/v1/filings/{fid}/documents/receipt").status_code == 401


def test_blank_authorization_form(desk: Desk) -> None:
    response = desk.client.get("/api/v1/documents/blank/authorization", headers=desk.hotel.headers)
    assert response.status_code == 200
    assert "委托办理备案登记授权书" in pdf_tools.text(response.content)
    assert desk.client.get("/api/v1/documents/blank/receipt", headers=desk.hotel.headers).status_code == 404


def test_cli_writes_the_issued_receipt(desk: Desk, settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                       tmp_path: Any) -> None:
    fid, number, _ = _corrected_and_filed(desk)
    monkeypatch.setenv("CAMREG_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("CAMREG_DATABASE_URL", settings.database_url)
    out = tmp_path / "out" / "receipt.pdf"
    result = CliRunner().invoke(cli_app, ["doc", "render", "receipt", number, "--out", str(out), "--user",
                                          desk.wang.user.username, "--json"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == _get(desk, desk.hotel, fid, "receipt").content
    refused = CliRunner().invoke(cli_app, ["doc", "render", "receipt", "1019999000001", "--out", str(out),
                                           "--user", desk.wang.user.username, "--json"])
    assert refused.exit_code == 1 and "1019999000001" in refused.output
    code = _short_code(out.read_bytes())
    verified = CliRunner().invoke(cli_app, ["doc", "verify", code, "--json"])
    assert verified.exit_code == 0 and f'"number": "{number}"' in verified.output



def test_the_filing_page_prints_its_documents(desk: Desk) -> None:
    from tests.registry.page_helpers import sign_in

    fid, _, _ = _corrected_and_filed(desk)
    sign_in(desk.client, desk.wang)
    page = desk.client.get(f"/filings/{fid}")
    assert page.status_code == 200 and "打印" in page.text
    links = re.findall(rf'href="(/filings/{fid}/documents/(\w+)\.pdf)"', page.text)
    assert [kind for _, kind in links] == ["receipt", "review_form", "correction_notice", "basic_info",
                                          "authorization"]
    for url, kind in links:
        response = desk.client.get(url)
        assert response.status_code == 200 and response.headers["content-type"] == "application/pdf", url
        if kind in ("receipt", "review_form", "correction_notice"):  # the issued bytes, as the API gives them
            assert response.content == _get(desk, desk.hotel, fid, kind).content
    desk.client.cookies.clear()
    assert desk.client.get(links[0][0], follow_redirects=False).status_code == 303  # to the login page
    verify = desk.client.get("/verify")  # public, in the page layout, no menu
    assert verify.status_code == 200 and "文书核验" in verify.text and 'class="menu"' not in verify.text
