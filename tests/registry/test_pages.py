"""Signed-in pages and coverage maps: cookie sessions, scope, and HTML that needs no internet."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from registry.auth.models import Role
from registry.cli import app as cli
from registry.operators.models import Operator
from registry.settings import Settings
from tests.registry.conftest import Person
from tests.registry.page_helpers import csrf_of
from tests.registry.test_filing_workflow import Desk

# A page element that would load from the internet (Leaflet's inlined code mentions URLs in strings; harmless).
EXTERNAL = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']https?://""", re.IGNORECASE)


def _sign_in(client: TestClient, person: Person) -> None:
    form = client.get("/login")
    response = client.post("/login", data={"username": person.user.username, "password": "correct horse battery",
                                           "next": "/maps/city", "csrf_token": csrf_of(form.text)},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/maps/city"


@pytest.fixture
def filed_desk(client: TestClient, make_operator: Callable[..., Operator],
               make_person: Callable[..., Person]) -> Desk:
    desk = Desk(client, make_operator(), make_person)
    fid = desk.submit_complete()
    desk.call(desk.wang, "POST", f"/filings/{fid}/accept")
    desk.file(fid)
    return desk


def test_pages_need_a_session(client: TestClient) -> None:
    response = client.get("/maps/city", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/maps/city"
    assert client.get("/login").status_code == 200


def test_wrong_password_stays_on_the_login_page(client: TestClient, make_person: Callable[..., Person]) -> None:
    person = make_person(Role.supervisor, "001")
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": person.user.username, "password": "nope", "csrf_token": token})
    assert response.status_code == 401 and "密码错误" in response.text
    assert f'value="{person.user.username}"' in response.text  # the form comes back with what was typed


def test_city_district_and_operator_maps(client: TestClient, filed_desk: Desk,
                                         make_person: Callable[..., Person]) -> None:
    _sign_in(client, make_person(Role.supervisor, "001"))
    home = client.get("/")
    assert home.status_code == 200 and "/maps/district/110108" in home.text
    for url in ("/maps/city", "/maps/city?metric=cameras", "/maps/district/110101",
                f"/maps/operator/{filed_desk.operator.id}"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "leaflet" in page.text.lower()
        assert not EXTERNAL.search(page.text), f"{url} loads something from the internet"
    assert client.get("/maps/district/999999").status_code == 404


def test_operator_map_is_scoped(client: TestClient, filed_desk: Desk, make_person: Callable[..., Person]) -> None:
    _sign_in(client, make_person(Role.intake, "108"))
    assert client.get(f"/maps/operator/{filed_desk.operator.id}").status_code == 404


def test_map_render_cli(filed_desk: Desk, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if settings.database_url:
        monkeypatch.setenv("CAMREG_DATABASE_URL", settings.database_url)
    out = tmp_path / "city.html"
    result = CliRunner().invoke(cli, ["map", "render", "city", "--data-dir", str(settings.data_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert not EXTERNAL.search(out.read_text(encoding="utf-8"))
    op = tmp_path / "op.html"
    result = CliRunner().invoke(cli, ["map", "render", "operator", str(filed_desk.operator.id), "--data-dir",
                                      str(settings.data_dir), "--out", str(op)])
    assert result.exit_code == 0, result.output
    bad = CliRunner().invoke(cli, ["map", "render", "district", "--data-dir", str(settings.data_dir)])
    assert bad.exit_code == 2
