"""The administrator's pages: accounts (through registry.auth.accounts), units, calendar years, layer check."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
from fastapi.testclient import TestClient
from shapely.geometry import box

from registry.auth.models import Role
from tests.registry.conftest import Person
from tests.registry.page_helpers import PASSWORD, csrf_of, post_form, sign_in

SAMPLE_GEO = Path(__file__).parents[2] / "sample_data" / "geo"
_TEMP = re.compile(r'id="temporary-password">([^<]+)<')


def _carries_token(page: str, token: str) -> bool:
    """Every POST form of the page carries the session's CSRF token (the sign-out form in the header is one)."""
    posts = page.count('method="post"')
    return page.count(f'name="csrf_token" value="{token}"') == posts and posts >= 2


def _new_user(client: TestClient, token: str, **fields: str) -> object:
    data = {"username": "wang_jing", "full_name": "王警官", "role": "intake", "unit_code": "101", "password": "",
            **fields}
    return post_form(client, "/admin/users/new", token, data)


def test_the_city_admin_creates_an_account_that_signs_in_and_changes_its_password(
        client: TestClient, make_person: Callable[..., Person]) -> None:
    token = sign_in(client, make_person(Role.admin, "001"))
    assert _carries_token(client.get("/admin/users/new").text, token)  # the form, not only the header's sign-out
    created = _new_user(client, token)
    assert created.status_code == 200 and "账户已创建" in created.text  # type: ignore[attr-defined]
    temporary = _TEMP.search(created.text).group(1)  # type: ignore[attr-defined, union-attr]
    listed = client.get("/admin/users?q=wang_jing")
    assert "wang_jing" in listed.text and "待修改初始密码" in listed.text
    # The new officer signs in with the handed-over password and must choose their own first.
    client.cookies.clear()
    form = client.get("/login")
    signed = client.post("/login", data={"username": "wang_jing", "password": temporary, "next": "/",
                                         "csrf_token": csrf_of(form.text)}, follow_redirects=False)
    assert signed.headers["location"].startswith("/account/password")
    page = client.get(signed.headers["location"])
    changed = post_form(client, "/account/password", csrf_of(page.text), {
        "current_password": temporary, "new_password": "a new long pass phrase", "new_password_again":
        "a new long pass phrase", "next": "/"})
    assert changed.status_code == 303 and client.get("/").status_code == 200


def test_form_errors_come_back_beside_the_field_with_what_was_typed(
        client: TestClient, make_person: Callable[..., Person]) -> None:
    token = sign_in(client, make_person(Role.admin, "001"))
    taken = _new_user(client, token, username=make_person(Role.intake, "101").user.username)
    assert taken.status_code == 409 and 'aria-describedby="e-username"' in taken.text  # type: ignore[attr-defined]
    assert 'value="王警官"' in taken.text  # type: ignore[attr-defined]
    weak = _new_user(client, token, password="123")
    assert weak.status_code == 422 and 'id="e-password"' in weak.text  # type: ignore[attr-defined]
    operator = _new_user(client, token, role="operator", operator_uscc="91110000000000000X")
    assert operator.status_code == 422 and 'id="e-operator_uscc"' in operator.text  # type: ignore[attr-defined]


def test_a_unit_admin_manages_its_own_unit_only(client: TestClient, make_person: Callable[..., Person]) -> None:
    token = sign_in(client, make_person(Role.admin, "101"))
    refused = _new_user(client, token, unit_code="108")
    assert refused.status_code == 403 and "只能为本单位" in refused.text  # type: ignore[attr-defined]
    station = _new_user(client, token, username="station_officer", unit_code="11010101")
    assert station.status_code == 200  # type: ignore[attr-defined]
    haidian = make_person(Role.intake, "108")
    assert client.get(f"/admin/users/{haidian.user.id}").status_code == 404
    assert post_form(client, f"/admin/users/{haidian.user.id}/disable", token).status_code == 404


def test_role_unit_disable_enable_and_reset(client: TestClient, make_person: Callable[..., Person]) -> None:
    admin = make_person(Role.admin, "001")
    officer = make_person(Role.intake, "101")
    token = sign_in(client, admin)
    url = f"/admin/users/{officer.user.id}"
    assert _carries_token(client.get(url).text, token)
    saved = post_form(client, url, token, {"full_name": "李警官", "role": "reviewer", "unit_code": "102"})
    assert saved.status_code == 303
    page = client.get(url).text
    assert "复核民警" in page and "李警官" in page
    assert post_form(client, f"{url}/disable", token).status_code == 303
    assert "已停用" in client.get(url).text
    assert client.post("/api/v1/auth/token", data={"username": officer.user.username,
                                                    "password": PASSWORD}).status_code == 401
    assert post_form(client, f"{url}/enable", token).status_code == 303
    reset = post_form(client, f"{url}/password-reset", token)
    assert reset.status_code == 200 and _TEMP.search(reset.text)
    # Nobody disables themselves or changes their own role.
    own = f"/admin/users/{admin.user.id}"
    assert "不能" in client.get(post_form(client, f"{own}/disable", token).headers["location"]).text
    assert post_form(client, own, token, {"full_name": "x", "role": "intake", "unit_code": "001"}).status_code == 409


def test_the_api_changes_role_and_unit_with_the_same_rules(client: TestClient,
                                                          make_person: Callable[..., Person]) -> None:
    admin, officer = make_person(Role.admin, "101"), make_person(Role.intake, "101")
    url = f"/api/v1/auth/users/{officer.user.id}"
    changed = client.patch(url, headers=admin.headers, json={"role": "inspector", "unit_code": "11010101"})
    assert changed.status_code == 200 and changed.json()["role"] == "inspector"
    assert client.patch(url, headers=admin.headers, json={"unit_code": "108"}).status_code == 403
    assert client.patch(url, headers=admin.headers, json={"role": "operator"}).status_code == 422
    # The role change ended the officer's sessions; another officer cannot see the account at all.
    assert client.get("/api/v1/auth/me", headers=officer.headers).status_code == 401
    other = make_person(Role.intake, "101")
    assert client.patch(url, headers=other.headers, json={"full_name": "x"}).status_code == 404


def test_units_are_listed_and_renamed(client: TestClient, make_person: Callable[..., Person]) -> None:
    token = sign_in(client, make_person(Role.admin, "101"))
    units = client.get("/admin/units").text
    assert "东城分局" in units and "/admin/units?parent=101" in units
    assert "东城第01派出所" in client.get("/admin/units?parent=101").text
    assert _carries_token(client.get("/admin/units/11010101").text, token)
    assert post_form(client, "/admin/units/11010101", token, {"name": "东华门派出所"}).status_code == 303
    assert "东华门派出所" in client.get("/admin/units/11010101").text
    short = post_form(client, "/admin/units/11010101", token, {"name": "x"})
    assert short.status_code == 422 and 'id="e-name"' in short.text
    assert post_form(client, "/admin/units/108", token, {"name": "海淀"}).status_code == 403


def test_a_calendar_year_is_loaded_from_the_page(client: TestClient, make_person: Callable[..., Person]) -> None:
    token = sign_in(client, make_person(Role.admin, "001"))
    page = client.get("/admin/calendar")
    assert "随软件提供" in page.text and "待载入" in page.text and "暂定的期限" in page.text
    assert _carries_token(page.text, token)
    year = {"format": "camreg-workday-calendar/1", "year": 2031, "official": True, "source": "测试通知",
            "holidays": [{"name": "元旦", "date": "2031-01-01"}], "workdays": []}
    body = json.dumps(year, ensure_ascii=False).encode()
    loaded = client.post("/admin/calendar", data={"csrf_token": token},
                         files={"file": ("2031.json", body, "application/json")})
    assert loaded.status_code == 200 and "已载入 2031 年日历（官方）" in loaded.text
    bad = client.post("/admin/calendar", data={"csrf_token": token},
                      files={"file": ("x.json", b'{"format": "nope"}', "application/json")})
    assert bad.status_code == 422 and "日历文件有误" in bad.text
    token = sign_in(client, make_person(Role.admin, "101"))
    assert client.post("/admin/calendar", data={"csrf_token": token},
                       files={"file": ("2031.json", body, "application/json")}).status_code == 403


def _zip(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in directory.iterdir():
            if path.is_file():
                archive.write(path, f"layers/{path.name}")
    return buffer.getvalue()


def test_layers_in_use_and_uploaded_are_checked(client: TestClient, make_person: Callable[..., Person],
                                                tmp_path: Path) -> None:
    token = sign_in(client, make_person(Role.admin, "001"))
    page = client.get("/admin/layers")
    assert page.status_code == 200 and "未发现问题" in page.text and _carries_token(page.text, token)
    good = client.post("/admin/layers", data={"csrf_token": token},
                       files={"file": ("geo.zip", _zip(SAMPLE_GEO), "application/zip")})
    assert good.status_code == 200 and good.text.count("未发现问题") == 2
    districts = gpd.GeoDataFrame({"district_code": ["110101", "110102"], "name": ["a", "b"]},
                                 geometry=[box(116, 40, 116.02, 40.01), box(116.01, 40, 116.03, 40.01)],
                                 crs="EPSG:4326")
    districts.to_file(tmp_path / "districts.geojson")
    stations = districts.assign(station_id=["11010101", "11010201"], number=["01", "01"], branch_code=["101", "102"])
    stations["geometry"] = [box(116, 40, 116.01, 40.01), box(116.01, 40, 116.04, 40.01)]
    stations.to_file(tmp_path / "stations.geojson")
    bad = client.post("/admin/layers", data={"csrf_token": token},
                      files={"file": ("mine.zip", _zip(tmp_path), "application/zip")})
    assert "重叠" in bad.text and "超出所属区县" in bad.text
    wrong = client.post("/admin/layers", data={"csrf_token": token},
                        files={"file": ("notes.txt", b"hello", "text/plain")})
    assert wrong.status_code == 422 and "GeoPackage" in wrong.text
