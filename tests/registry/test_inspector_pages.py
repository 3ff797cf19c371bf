"""The inspector's pages: the search box, the camera list and detail, the operator's sites, cameras and scans."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from registry.auth.models import Role
from registry.cli import app as cli
from registry.operators.models import Operator
from tests.registry.conftest import HAIDIAN_POINT, Person
from tests.registry.page_helpers import sign_in
from tests.registry.test_filing_workflow import PDF, PNG, Desk, _camera, _form
from tests.registry.test_scans import _device, _report


def _plan_png() -> bytes:
    """A real 400×300 floor plan (the tests' usual PNG is only a signature, with no page to place on)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def submit_site(desk: Desk) -> int:
    """A complete filing whose first camera sits on a real deployment-map page, aimed east."""
    filing = desk.call(desk.hotel, "POST", "/filings", json=_form(desk.operator.id))
    fid = filing["body"]["id"]
    desk.upload(fid, "form", PDF, "备案表.pdf")
    desk.call(desk.hotel, "POST", f"/filings/{fid}/materials", data={"kind": "location_diagram"},
              files={"file": ("site.png", PNG, "image/png")})
    plan = desk.call(desk.hotel, "POST", f"/filings/{fid}/materials", data={"kind": "deployment_map"},
                     files={"file": ("plan.png", _plan_png(), "image/png")})["body"]["id"]
    cams = desk.call(desk.hotel, "POST", f"/filings/{fid}/cameras",
                     json=[_camera(1, map_material_id=plan, map_page=1, map_x=120, map_y=80),
                           _camera(2, map_material_id=plan, map_page=1, map_x=200, map_y=150)])
    assert cams["status"] == 201, cams
    return int(fid)


@pytest.fixture
def site(client: TestClient, make_operator: Callable[..., Operator],
         make_person: Callable[..., Person]) -> dict[str, Any]:
    """东城's hotel with a filed system of two coded cameras, its inspector, and a 海淀 inspector."""
    desk = Desk(client, make_operator(), make_person)
    fid = submit_site(desk)
    number = desk.call(desk.wang, "POST", f"/filings/{fid}/accept")["body"]["number"]
    assert desk.file(fid)["status"] == 200
    cameras = desk.call(desk.wang, "GET", f"/cameras?filing_id={fid}")["body"]["items"]
    other = make_operator(lon=HAIDIAN_POINT[0], lat=HAIDIAN_POINT[1])
    return {"desk": desk, "filing_id": fid, "number": number, "cameras": cameras, "other": other,
            "zhang": make_person(Role.inspector, "101"), "haidian": make_person(Role.inspector, "108")}


def test_search_opens_a_camera_by_code_serial_mac_or_ip(client: TestClient, site: dict[str, Any]) -> None:
    sign_in(client, site["zhang"])
    camera = site["cameras"][0]
    for text in (camera["code"], camera["serial"], camera["mac"].upper().replace(":", "-"), camera["ip"]):
        response = client.get("/search", params={"q": f" {text} "}, follow_redirects=False)
        assert response.status_code == 303, text
        assert response.headers["location"] == f"/cameras/{camera['id']}"
    page = client.get(f"/cameras/{camera['id']}").text
    assert camera["code"] in page and "东城区" in page and "网络摄像机" in page  # the code's fields explained
    assert site["number"] in page and site["desk"].operator.name in page
    assert f"/materials/{camera['map_material_id']}/pages/1" in page and 'class="sector"' in page
    assert 'data-outlines="/geo/districts.geojson"' in page
    assert client.get("/geo/districts.geojson").json()["type"] == "FeatureCollection"


def test_search_finds_operators_by_name_or_credit_code(client: TestClient, site: dict[str, Any]) -> None:
    sign_in(client, site["zhang"])
    operator = site["desk"].operator
    exact = client.get("/search", params={"q": operator.uscc.lower()}, follow_redirects=False)
    assert exact.status_code == 303 and exact.headers["location"] == f"/operators/{operator.id}"
    part = client.get("/search", params={"q": operator.name[:4]})
    assert part.status_code == 200 and f">{operator.name}<" in part.text
    assert site["other"].name not in part.text  # 海淀's operator is not 东城's inspector's
    nothing = client.get("/search", params={"q": "不存在的单位"})
    assert nothing.status_code == 200 and "没有找到" in nothing.text


def test_another_units_camera_is_not_found(client: TestClient, site: dict[str, Any]) -> None:
    sign_in(client, site["haidian"])
    camera = site["cameras"][0]
    response = client.get("/search", params={"q": camera["code"]}, follow_redirects=False)
    assert response.status_code == 200 and "没有找到" in response.text
    assert client.get(f"/cameras/{camera['id']}").status_code == 404
    assert site["desk"].operator.name not in client.get("/cameras").text


def test_camera_list_filters_pages_and_exports_the_rows_shown(client: TestClient, site: dict[str, Any]) -> None:
    sign_in(client, site["zhang"])
    camera = site["cameras"][1]
    listed = client.get("/cameras")
    assert listed.status_code == 200 and "共 <b>2</b> 条" in listed.text
    by_mac = client.get("/cameras", params={"mac": camera["mac"].replace(":", "")})
    assert "共 <b>1</b> 条" in by_mac.text and camera["code"] in by_mac.text
    one_page = client.get("/cameras", params={"per_page": 20, "sort": "id"})
    assert one_page.text.index(site["cameras"][0]["code"]) < one_page.text.index(camera["code"])
    bad = client.get("/cameras", params={"ip": "999.1.1.1"})
    assert bad.status_code == 200 and "不是有效的 IP 地址" in bad.text
    export = client.get("/cameras/export.csv", params={"ip": camera["ip"]})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [r[rows[1].index("code")] for r in rows[2:]] == [camera["code"]]
    mine = client.get("/cameras", params={"operator_id": site["desk"].operator.id, "status": "active"})
    assert "共 <b>2</b> 条" in mine.text and f'name="operator_id" value="{site["desk"].operator.id}"' in mine.text


def test_a_long_list_counts_to_the_cap_and_gives_the_exact_count_on_demand(
        client: TestClient, site: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from registry.ui import listing

    monkeypatch.setattr(listing, "COUNT_CAP", 1)  # two cameras: more than the cap
    sign_in(client, site["zhang"])
    capped = client.get("/cameras", params={"status": "active"})
    assert "共 <b>1+</b> 条" in capped.text and "精确计数" in capped.text
    exact_url = re.search(r'href="(/cameras\?[^"]*count=all[^"]*)"', capped.text)
    assert exact_url and "status=active" in exact_url.group(1)
    exact = client.get(exact_url.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert "共 <b>2</b> 条" in exact.text and "精确计数" not in exact.text
    # The next page keeps the exact count; the export ignores it (same rows as without).
    paged = client.get("/cameras", params={"status": "active", "count": "all", "per_page": 20})
    assert "共 <b>2</b> 条" in paged.text and "count=all" in paged.text
    assert "count=" not in re.search(r'href="(/cameras/export\.csv[^"]*)"', paged.text).group(1)  # type: ignore[union-attr]


def test_operator_page_shows_sites_cameras_and_no_drafts(client: TestClient, site: dict[str, Any]) -> None:
    desk = site["desk"]
    draft = desk.call(desk.hotel, "POST", "/filings/drafts", json={"system_name": "草稿系统"})
    sign_in(client, site["zhang"])
    page = client.get(f"/operators/{desk.operator.id}").text
    assert "场所（已备案系统 1）" in page and site["number"] in page and "摄像机（2）" in page
    assert all(c["code"] in page for c in site["cameras"])
    if draft["status"] == 201:
        assert "草稿系统" not in page  # the draft is the operator's until submitted


def _scan_upload(client: TestClient, token: str, operator_id: int, filing_id: int, body: bytes,
                 name: str = "scan.json") -> Any:
    return client.post(f"/operators/{operator_id}/scans", data={"filing_id": str(filing_id), "csrf_token": token},
                       files={"file": (name, body, "application/json")}, follow_redirects=False)


def test_scan_uploaded_on_the_operator_page_is_reconciled_and_compared(client: TestClient,
                                                                       site: dict[str, Any]) -> None:
    token = sign_in(client, site["zhang"])
    operator_id, fid = site["desk"].operator.id, site["filing_id"]
    first = [_device("192.0.2.1", "SN00001", "00:11:22:33:44:01"),                    # matched
             _device("192.0.2.50", "SN00002", "00:11:22:33:44:02"),                   # changed: IP moved
             _device("192.0.2.77", "NEW001", "00:11:22:33:44:77")]                    # unfiled
    up = _scan_upload(client, token, operator_id, fid, _report(first, dt.datetime(2026, 6, 1, tzinfo=dt.UTC)))
    assert up.status_code == 303 and up.headers["location"].startswith("/scans/")
    page = client.get(up.headers["location"])
    assert "扫描已保存并比对：有变化 1，未发现 0，未备案 1" in page.text
    assert "这是该单位的第一次扫描" in page.text and "192.0.2.50" in page.text and "192.0.2.2" in page.text
    second = [_device("192.0.2.1", "SN00001", "00:11:22:33:44:01"),
              _device("192.0.2.51", "SN00002", "00:11:22:33:44:02")]                  # moved again; NEW001 gone
    up2 = _scan_upload(client, token, operator_id, fid, _report(second, dt.datetime(2026, 12, 1, tzinfo=dt.UTC)))
    page2 = client.get(up2.headers["location"]).text
    assert "消失 <b>1</b> 台，有变化 <b>1</b> 台" in page2 and "192.0.2.51" in page2
    operator_page = client.get(f"/operators/{operator_id}").text
    assert "现场扫描核查（2）" in operator_page and up.headers["location"] in operator_page
    csv_text = client.get(up.headers["location"] + "/export.csv").content.decode("utf-8-sig")
    assert "unfiled" in csv_text and "NEW001" in csv_text


def test_a_bad_scan_file_comes_back_beside_the_field(client: TestClient, site: dict[str, Any]) -> None:
    token = sign_in(client, site["zhang"])
    operator_id, fid = site["desk"].operator.id, site["filing_id"]
    body = json.loads(_report([_device("192.0.2.1", "SN00001", "00:11:22:33:44:01")],
                              dt.datetime(2026, 6, 1, tzinfo=dt.UTC)))
    body["devices"][0]["serial"] = "EDITED"
    edited = _scan_upload(client, token, operator_id, fid, json.dumps(body).encode(), "edited.json")
    assert edited.status_code == 422 and 'id="e-file"' in edited.text and "edited.json" in edited.text
    wrong_site = _scan_upload(client, token, operator_id, 10**6, b"{}")
    assert wrong_site.status_code == 422 and 'id="e-filing_id"' in wrong_site.text


def test_another_units_inspector_cannot_upload_or_read_scans(client: TestClient, site: dict[str, Any]) -> None:
    token = sign_in(client, site["zhang"])
    report = _report([_device("192.0.2.1", "SN00001", "00:11:22:33:44:01")], dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    scan_url = _scan_upload(client, token, site["desk"].operator.id, site["filing_id"], report).headers["location"]
    token = sign_in(client, site["haidian"])
    assert _scan_upload(client, token, site["desk"].operator.id, site["filing_id"], report).status_code == 404
    assert client.get(scan_url).status_code == 404
    assert client.get(f"/operators/{site['desk'].operator.id}/filed-cameras.json").status_code == 404


def test_filed_cameras_download_reconciles_offline_like_the_registry(client: TestClient, site: dict[str, Any],
                                                                     tmp_path: Path) -> None:
    token = sign_in(client, site["zhang"])
    download = client.get(f"/operators/{site['desk'].operator.id}/filed-cameras.json")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    filed_path = tmp_path / "filed.json"
    filed_path.write_bytes(download.content)
    devices = [_device("192.0.2.1", "SN00001", "00:11:22:33:44:01"),
               _device("192.0.2.50", "SN00002", "00:11:22:33:44:02"), _device("192.0.2.9", "X9", "00:11:22:33:44:99")]
    scan_path = tmp_path / "scan.json"
    scan_path.write_bytes(_report(devices, dt.datetime(2026, 6, 1, tzinfo=dt.UTC)))
    offline = CliRunner().invoke(cli, ["reconcile", site["number"], str(scan_path), "--filed", str(filed_path),
                                       "--json"])
    assert offline.exit_code == 0, offline.output
    up = _scan_upload(client, token, site["desk"].operator.id, site["filing_id"], scan_path.read_bytes())
    stored = client.get(up.headers["location"]).text
    counts = json.loads(offline.output)["counts"]
    assert counts == {"matched": 1, "changed": 1, "missing": 0, "unfiled": 1, "ambiguous": 0}
    assert "有变化</a><b>1</b>" in stored and "未备案</a><b>1</b>" in stored
    data = json.loads(download.content)
    data["sites"][0]["cameras"][0]["mac"] = "00:00:00:00:00:00"
    filed_path.write_text(json.dumps(data))
    tampered = CliRunner().invoke(cli, ["reconcile", site["number"], str(scan_path), "--filed", str(filed_path)])
    assert tampered.exit_code == 1 and "校验和不符" in tampered.output
