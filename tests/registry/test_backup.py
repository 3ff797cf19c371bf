"""Backup and restore: taken while filings are accepted, restored whole, damaged or partial backups refused."""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from registry.app import create_app
from registry.audit.service import verify_anchored
from registry.backup.archive import BackupError
from registry.backup.service import create_backup, restore_backup
from registry.cli import app as cli
from registry.db import make_engine
from registry.filings import materials
from registry.filings.models import Filing, Material
from registry.operators.models import Operator
from registry.settings import Settings
from tests.registry.conftest import PG_ADMIN_URL, Person, _pg_admin
from tests.registry.test_filing_workflow import Desk


@pytest.fixture
def fresh_target(backend: str, settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """Settings for an empty place to restore into: a new data directory (and a new PostgreSQL database)."""
    data_dir = tmp_path / "restored"
    if backend == "sqlite":
        yield Settings(data_dir=data_dir)
        return
    admin = _pg_admin()
    name = f"camreg_restore_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield Settings(data_dir=data_dir, database_url=PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def desk(client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> Desk:
    return Desk(client, make_operator(), make_person)


def _add_document(settings: Settings) -> str:
    """An issued document in <data_dir>/documents/, stored like materials (every blob directory is backed up)."""
    return materials.store(settings.data_dir / "documents", b"%PDF-1.7 issued receipt " + uuid.uuid4().bytes)


def _numbers(engine: Engine) -> list[int]:
    with Session(engine) as session:
        numbers = session.exec(select(Filing.number).where(col(Filing.number).is_not(None))).all()
    return sorted(int(str(n)[-6:]) for n in numbers)


def _env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("CAMREG_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("CAMREG_DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("CAMREG_DATABASE_URL", raising=False)


@pytest.mark.slow
def test_a_backup_taken_while_filings_are_accepted_restores_whole(
        desk: Desk, settings: Settings, engine: Engine, fresh_target: Settings, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    document = _add_document(settings)
    pending = [desk.submit_complete() for _ in range(8)]
    stop, accepted, errors = threading.Event(), [], []

    def accept_all() -> None:
        for filing_id in pending:
            if stop.is_set():
                return
            answer = desk.call(desk.wang, "POST", f"/filings/{filing_id}/accept")
            (accepted if answer["status"] == 200 else errors).append(answer)

    worker = threading.Thread(target=accept_all)
    worker.start()
    out = tmp_path / "backups" / "camreg.backup"
    report = create_backup(settings, out=out)
    worker.join()
    assert not errors and len(accepted) == len(pending)
    assert report.checkpoint_problem is None
    manifest = report.manifest
    assert manifest.counts["filing"] == len(pending) and not list(out.parent.glob(".*partial"))

    restored = restore_backup(fresh_target, backup=out)
    assert restored.audit_checked == manifest.audit_seq
    target = make_engine(fresh_target)
    try:
        with Session(target) as session:
            assert verify_anchored(session, settings=fresh_target).ok
            stored = session.exec(select(Material)).all()
        # Every material the restored database names is there, byte for byte; the issued document too.
        for material in stored:
            path = materials.path_for(fresh_target.materials_dir, material.sha256)
            assert hashlib.sha256(path.read_bytes()).hexdigest() == material.sha256
        assert materials.path_for(fresh_target.data_dir / "documents", document).exists()
        numbers = _numbers(target)
        assert numbers == list(range(1, len(numbers) + 1))  # the backup's numbers have no holes
        # The registry goes on from the backup: the next filing accepted takes the next number.
        with TestClient(create_app(fresh_target, target)) as client:
            again = _signed_in_again(client, desk)
            next_id = again.submit_complete()
            assert again.call(again.wang, "POST", f"/filings/{next_id}/accept")["status"] == 200
        assert _numbers(target) == list(range(1, len(numbers) + 2))
    finally:
        target.dispose()
    _env(monkeypatch, fresh_target)
    verified = CliRunner().invoke(cli, ["audit", "verify", "--json"])
    assert verified.exit_code == 0 and json.loads(verified.stdout)["ok"], verified.output


def _signed_in_again(client: TestClient, desk: Desk) -> Desk:
    """The same people on the restored registry, signed in afresh (their passwords came back with it)."""
    again = Desk.__new__(Desk)
    again.client, again.operator = client, desk.operator
    tokens = []
    for person in (desk.hotel, desk.wang, desk.li):
        response = client.post("/api/v1/auth/token", data={"username": person.user.username,
                                                           "password": "correct horse battery"})
        assert response.status_code == 200, response.text
        tokens.append(Person(person.user, response.json()["access_token"]))
    again.hotel, again.wang, again.li = tokens
    return again


def test_damaged_or_partial_backups_are_refused_and_change_nothing(
        desk: Desk, settings: Settings, fresh_target: Settings, tmp_path: Path) -> None:
    desk.submit_complete()
    out = tmp_path / "b.backup"
    create_backup(settings, out=out)
    data = out.read_bytes()
    partial = tmp_path / "partial.backup"
    partial.write_bytes(data[: len(data) // 2])
    with pytest.raises(BackupError, match=r"cut short|incomplete"):
        restore_backup(fresh_target, backup=partial)
    damaged = tmp_path / "damaged.backup"
    flipped = bytearray(data)
    at = data.index(b"%PDF") if b"%PDF" in data else data.index(b"\x89PNG")
    flipped[at + 40] ^= 0xFF
    damaged.write_bytes(bytes(flipped))
    with pytest.raises(BackupError, match="damaged"):
        restore_backup(fresh_target, backup=damaged)
    assert not fresh_target.materials_dir.exists()
    assert not [p for p in fresh_target.data_dir.iterdir() if p.name != "camreg.sqlite3"]  # no staging left
    target = make_engine(fresh_target)
    try:
        with target.connect() as conn:
            from sqlalchemy import inspect

            assert "filing" not in inspect(conn).get_table_names()
    finally:
        target.dispose()


def test_a_target_with_data_needs_force(desk: Desk, settings: Settings, engine: Engine, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    first = desk.submit_complete()
    desk.call(desk.wang, "POST", f"/filings/{first}/accept")
    out = tmp_path / "b.backup"
    _env(monkeypatch, settings)
    written = CliRunner().invoke(cli, ["backup", "--out", str(out)])
    assert written.exit_code == 0, written.output
    later = desk.submit_complete()
    desk.call(desk.wang, "POST", f"/filings/{later}/accept")
    refused = CliRunner().invoke(cli, ["restore", str(out)])
    assert refused.exit_code == 1 and "--force" in refused.output
    assert len(_numbers(engine)) == 2
    engine.dispose()  # the service is stopped for a restore
    restored = CliRunner().invoke(cli, ["restore", str(out), "--force"])
    assert restored.exit_code == 0, restored.output
    assert _numbers(engine) == [1]
    # The checkpoint moved back with the restore, so the older chain verifies.
    assert CliRunner().invoke(cli, ["audit", "verify"]).exit_code == 0
