"""`camreg demo` seeds its published passwords only into a database it created itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from registry.auth.models import User
from registry.bootstrap import NotADemoDatabase, ensure_demo_accounts, prepare_demo
from registry.cli import app as cli
from registry.meta import is_demo
from registry.settings import Settings


def test_a_new_database_is_marked_and_gets_the_demo_accounts(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "demo", demo=True)
    engine = prepare_demo(settings)
    with Session(engine) as session:
        assert is_demo(session)
        accounts = ensure_demo_accounts(session, operator_id=None)
        assert {a.username for a in accounts} <= set(session.exec(select(User.username)).all())
    prepare_demo(settings).dispose()  # a second start of the same demo is fine
    engine.dispose()


def test_a_database_demo_did_not_create_is_refused(settings: Settings, engine: Engine,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(NotADemoDatabase, match="not created by camreg demo"):
        prepare_demo(settings)
    with Session(engine) as session, pytest.raises(NotADemoDatabase):
        ensure_demo_accounts(session, operator_id=None)
    # What an administrator would type on the production server (CAMREG_DATABASE_URL set).
    # demo writes these into os.environ; set through monkeypatch so they are restored afterwards.
    monkeypatch.setenv("CAMREG_DEMO", "false")
    monkeypatch.setenv("CAMREG_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("CAMREG_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(cli, ["demo", "--no-serve", "--data-dir", str(settings.data_dir)])
    assert result.exit_code == 1 and "not created by camreg demo" in " ".join(result.output.split())
    with Session(engine) as session:
        assert session.exec(select(User)).first() is None
