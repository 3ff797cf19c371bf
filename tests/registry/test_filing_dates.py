"""Two dates, two rules (第七条 and 799号令 第十四条): each lateness counted from its own date, both shown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from registry.auth.models import Role
from registry.exports import service as exports
from registry.filings import lateness, service
from registry.filings.models import Filing, FilingCreate, FilingKind
from registry.imports.columns import Kind
from registry.operators.models import Operator
from registry.settings import Settings
from registry.timeutil import beijing_today
from tests.registry.conftest import Person
from tests.registry.page_helpers import sign_in
from tests.registry.test_filing_workflow import _form


def _submit(engine: Engine, settings: Settings, operator: Operator, clerk: Person, on: date, *, accepted: date,
            in_use: date) -> Filing:
    with Session(engine, expire_on_commit=False) as session:
        filing = service.submit(session, actor=clerk.actor, settings=settings,
                                now=datetime(on.year, on.month, on.day, 2, tzinfo=UTC), data=FilingCreate(
                                    operator_id=operator.id, system_name="视频系统", system_location="大堂",
                                    acceptance_date=accepted, system_in_use_date=in_use, retention_days=30,
                                    camera_count_declared=1, camera_types_declared="枪机"))
        session.commit()
        return filing


def test_each_rule_counts_from_its_own_date(engine: Engine, settings: Settings,
                                            make_operator: Callable[..., Operator],
                                            make_person: Callable[..., Person]) -> None:
    clerk = make_person(Role.intake, "101")
    operator = make_operator()
    # Accepted 2026-01-01 (30 days end 2026-01-31), in use 2026-02-20 (on time to 2026-03-22); filed 2026-03-02.
    first = _submit(engine, settings, operator, clerk, date(2026, 3, 2), accepted=date(2026, 1, 1),
                    in_use=date(2026, 2, 20))
    assert (first.late_days_acceptance, first.late_days_in_use, first.late_days, first.late) == (30, 0, 30, True)
    # The other way round: accepted on time, in use long before.
    second = _submit(engine, settings, make_operator(), clerk, date(2026, 3, 2), accepted=date(2026, 2, 20),
                     in_use=date(2026, 1, 11))
    assert (second.late_days_acceptance, second.late_days_in_use, second.late_days) == (0, 20, 20)
    assert second.acceptance_date == date(2026, 2, 20)


def test_the_799_grace_excuses_its_own_rule_only() -> None:
    # In use since 2020, 竣工验收合格 2020-04-20: 799号令 gives it to 2025-06-30; 第七条 ran out in 2020.
    accepted, in_use = date(2020, 4, 20), date(2020, 5, 1)
    last_day = lateness.of(_form_of(accepted, in_use), FilingKind.new, date(2025, 6, 30), 30)
    assert last_day.in_use == 0 and last_day.acceptance == (date(2025, 6, 30) - date(2020, 5, 20)).days
    assert lateness.of(_form_of(accepted, in_use), FilingKind.new, date(2025, 7, 1), 30).in_use == 1
    # Before 2025-04-01 the regulation was not in force: only 第七条 counts.
    before = lateness.of(_form_of(accepted, in_use), FilingKind.new, date(2024, 1, 10), 30)
    assert before.in_use == 0 and before.acceptance > 0 and before.days == before.acceptance
    # A system in use after 2025-04-01 has no grace under either rule.
    recent = lateness.of(_form_of(date(2025, 5, 1), date(2025, 5, 1)), FilingKind.new, date(2025, 7, 1), 30)
    assert (recent.acceptance, recent.in_use) == (31, 31)


def _form_of(accepted: date, in_use: date) -> FilingCreate:
    return FilingCreate(operator_id=1, system_name="视频系统", system_location="大堂", acceptance_date=accepted,
                        system_in_use_date=in_use, retention_days=30, camera_count_declared=1,
                        camera_types_declared="枪机")


def test_a_first_filing_needs_its_acceptance_date(client: TestClient, make_operator: Callable[..., Operator],
                                                  make_person: Callable[..., Person]) -> None:
    operator = make_operator()
    owner = make_person(Role.operator, operator_id=operator.id)
    form = _form(operator.id)
    del form["acceptance_date"]
    missing = client.post("/api/v1/filings", headers=owner.headers, json=form)
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "acceptance_date"
    assert "竣工验收合格日期" in missing.json()["error"]["message"]
    future = client.post("/api/v1/filings", headers=owner.headers,
                         json={**form, "acceptance_date": (beijing_today() + timedelta(days=1)).isoformat()})
    assert future.status_code == 422 and future.json()["error"]["field"] == "acceptance_date"
    # A draft may leave it empty; submitting the draft names it as missing.
    draft = client.post("/api/v1/filings/drafts", headers=owner.headers, json=form)
    assert draft.status_code == 201
    refused = client.post(f"/api/v1/filings/{draft.json()['id']}/submit", headers=owner.headers)
    assert refused.status_code == 409 and "acceptance_date" in refused.json()["error"]["details"]["missing"]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_both_rules_in_the_api_the_exports_and_the_page(client: TestClient, engine: Engine, settings: Settings,
                                                        make_operator: Callable[..., Operator],
                                                        make_person: Callable[..., Person], backend: str) -> None:
    clerk = make_person(Role.intake, "101")
    filing = _submit(engine, settings, make_operator(), clerk, date(2026, 3, 2), accepted=date(2026, 1, 1),
                     in_use=date(2026, 2, 20))
    body = client.get(f"/api/v1/filings/{filing.id}", headers=clerk.headers).json()
    assert (body["acceptance_date"], body["late_days_acceptance"], body["late_days_in_use"], body["late_days"]) == (
        "2026-01-01", 30, 0, 30)
    zh, en = exports.header_rows(Kind.filings)
    assert zh[en.index("acceptance_date")] == "竣工验收合格日期"
    assert zh[en.index("late_days_acceptance")] != zh[en.index("late_days_in_use")]
    sign_in(client, clerk)
    rows = client.get("/filings/export.csv").content.decode("utf-8-sig").splitlines()
    cells = rows[2].split(",")
    assert cells[en.index("acceptance_date")] == "2026-01-01"
    assert (cells[en.index("late_days_acceptance")], cells[en.index("late_days_in_use")]) == ("30", "0")
    page = client.get(f"/filings/{filing.id}").text
    assert "竣工验收合格日期" in page and "2026年1月1日" in page and "逾期备案 30 天" in page
    assert "按时（自投入使用之日起 30 日内" in page


def test_the_review_form_names_the_rule_each_lateness_comes_from() -> None:
    from registry.filings.documents import _late_note

    filing = Filing(operator_id=1, filing_unit_code="101", submitted_by_id=1, system_name="视频系统",
                    system_location="大堂", system_in_use_date=date(2026, 2, 20), acceptance_date=date(2026, 1, 1),
                    retention_days=30, camera_count_declared=1, camera_types_declared="枪机")
    assert _late_note(filing) == "按时报送"
    lateness.apply(filing, lateness.Lateness(acceptance=30, in_use=0))
    assert _late_note(filing) == "逾期备案 30 天（第七条自竣工验收合格起逾期 30 天）"
