"""Dumping and restoring the database itself: SQLite's online backup API, PostgreSQL's pg_dump/pg_restore.

Both take a consistent snapshot while the registry keeps accepting filings: SQLite copies the file
in one step of its backup API under a read transaction (WAL lets writers go on); pg_dump runs in a
snapshot exported by our own repeatable-read transaction, in which the audit head and the counts in
the manifest are read too. Both restores are all-or-nothing: SQLite's backup API writes the target
in one transaction, and the PostgreSQL script runs in a single psql transaction (ON_ERROR_STOP).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from registry.backup.archive import CHUNK, BackupError
from registry.settings import Settings

COUNTED = ("operator", "filing", "camera", "material", "app_user", "audit_event")
# Any of these holding a row makes a target "not empty": restoring over it needs --force.
CONTENT_TABLES = ("operator", "filing", "app_user", "audit_event")


@dataclass
class Snapshot:
    """What the dump holds: its revision, audit head and row counts."""

    revision: str | None
    audit_seq: int
    audit_hash: str
    counts: dict[str, int]


def is_postgres(settings: Settings) -> bool:
    """Whether the registry runs on PostgreSQL."""
    return settings.sqlalchemy_url.startswith("postgresql")


def sqlite_path(settings: Settings) -> Path:
    """The SQLite database file."""
    database = make_url(settings.sqlalchemy_url).database
    if not database:
        raise BackupError("the SQLite URL names no file")
    return Path(database)


def _read_facts(query: Any) -> Snapshot:
    """Revision, audit head and counts through a `query(sql) -> rows` function."""
    revision_rows = query("SELECT version_num FROM alembic_version")
    head = query("SELECT last_seq, last_hash FROM audit_head WHERE id = 1")
    counts = {table: int(query(f"SELECT count(*) FROM {table}")[0][0]) for table in COUNTED}
    seq, head_hash = (int(head[0][0]), str(head[0][1])) if head else (0, "0" * 64)
    return Snapshot(revision_rows[0][0] if revision_rows else None, seq, head_hash, counts)


# SQLite -------------------------------------------------------------------------------------------------

def dump_sqlite(settings: Settings, dest: Path) -> Snapshot:
    """Copy the live database into `dest` with the online backup API (one consistent step)."""
    source_path = sqlite_path(settings)
    if not source_path.exists():
        raise BackupError(f"no database at {source_path}")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=60)
    target = sqlite3.connect(dest)
    try:
        source.backup(target)  # pages=-1: everything in one step, so the copy is one snapshot
    finally:
        source.close()
    try:
        return _read_facts(lambda sql: target.execute(sql).fetchall())
    finally:
        target.close()


def sqlite_facts(path: Path) -> tuple[Snapshot, str]:
    """A staged SQLite file's facts and its integrity_check answer."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        return _read_facts(lambda sql: conn.execute(sql).fetchall()), str(check)
    finally:
        conn.close()


def sqlite_has_content(settings: Settings) -> bool:
    """Whether the target SQLite database holds any registry data."""
    path = sqlite_path(settings)
    if not path.exists():
        return False
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return any(conn.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone() for t in CONTENT_TABLES if t in tables)
    finally:
        conn.close()


def restore_sqlite(settings: Settings, staged: Path) -> None:
    """Write the staged database over the target in one transaction of the backup API (all or nothing)."""
    target_path = sqlite_path(settings)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{staged}?mode=ro", uri=True)
    target = sqlite3.connect(target_path, timeout=60)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        source.close()
        target.close()
    os.chmod(target_path, 0o600)


# PostgreSQL ---------------------------------------------------------------------------------------------

def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools (apt-get install postgresql-client)")
    return path


def _libpq(settings: Settings) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment that carries the password (not the command line)."""
    url = make_url(settings.sqlalchemy_url).set(drivername="postgresql")
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def dump_postgres(settings: Settings, dest: Path) -> Snapshot:
    """pg_dump (custom format) of a snapshot in which the manifest's facts are read too."""
    import psycopg

    pg_dump = _tool("pg_dump")
    url, env = _libpq(settings)
    with psycopg.connect(url, password=env.get("PGPASSWORD")) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        snapshot_id = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
        facts = _read_facts(lambda sql: conn.execute(sql).fetchall())
        result = subprocess.run(
            [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot_id}",
             f"--file={dest}", f"--dbname={url}"], env=env, capture_output=True, text=True, check=False)
        conn.rollback()
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()[-2000:]}")
    return facts


def postgres_has_content(settings: Settings) -> bool:
    """Whether the target PostgreSQL database holds any registry data."""
    import psycopg

    url, env = _libpq(settings)
    with psycopg.connect(url, password=env.get("PGPASSWORD")) as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        return any(conn.execute(f"SELECT 1 FROM public.{t} LIMIT 1").fetchone() for t in CONTENT_TABLES if t in tables)


# Inside the restore's one transaction: empty the schema first (the target may be freshly migrated, or
# --force was given), and after the data put back what --no-privileges and the database level leave out.
_PRELUDE = """
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('DROP TABLE IF EXISTS public.%I CASCADE', r.tablename); END LOOP;
  FOR r IN SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' LOOP
    EXECUTE format('DROP SEQUENCE IF EXISTS public.%I CASCADE', r.sequencename); END LOOP;
  FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = 'public' AND t.typtype = 'e' LOOP
    EXECUTE format('DROP TYPE IF EXISTS public.%I CASCADE', r.typname); END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'public' LOOP
    EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', r.f); END LOOP;
END $$;
"""
_POSTLUDE = """
REVOKE TRUNCATE ON public.audit_event, public.audit_head FROM PUBLIC, CURRENT_USER;
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET random_page_cost = 1.1', current_database());
EXCEPTION WHEN insufficient_privilege THEN RAISE WARNING 'camreg: could not set random_page_cost'; END $$;
"""


def restore_postgres(settings: Settings, dump: Path) -> None:
    """Replace the database's contents with the dump in a single transaction (a failure changes nothing)."""
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    url, env = _libpq(settings)
    script = subprocess.Popen([pg_restore, "--no-owner", "--no-privileges", "--file=-", str(dump)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    runner = subprocess.Popen([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", "-",
                               f"--dbname={url}"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env=env)
    assert script.stdout is not None and runner.stdin is not None
    try:
        runner.stdin.write(_PRELUDE.encode())
        while chunk := script.stdout.read(CHUNK):
            runner.stdin.write(chunk)
        runner.stdin.write(_POSTLUDE.encode())
        runner.stdin.close()
    except BrokenPipeError:
        pass  # psql stopped at an error: reported below
    script_err = script.stderr.read().decode(errors="replace") if script.stderr else ""
    runner_err = runner.stderr.read().decode(errors="replace") if runner.stderr else ""
    if script.wait() != 0:
        runner.kill()
        runner.wait()
        raise BackupError(f"pg_restore could not read the dump: {script_err.strip()[-2000:]}")
    if runner.wait() != 0:
        raise BackupError(f"restore failed and was rolled back (the database is unchanged): "
                          f"{runner_err.strip()[-2000:]}")
