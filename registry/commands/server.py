"""``camreg demo`` and ``camreg serve``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlmodel import Session

from registry.bootstrap import DEMO_PASSWORD, NotADemoDatabase, ensure_demo_accounts, prepare, prepare_demo
from registry.settings import Settings

console = Console()

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="data directory (default: CAMREG_DATA_DIR or ./data)")]
Port = Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port on 127.0.0.1")]


def _settings(data_dir: Path | None, **extra: object) -> Settings:
    if data_dir is not None:
        os.environ["CAMREG_DATA_DIR"] = str(data_dir.resolve())
    return Settings(**extra)  # type: ignore[arg-type]


def demo(data_dir: DataDir = None, port: Port = 8000,
         no_serve: Annotated[bool, typer.Option("--no-serve", help="prepare the data and exit")] = False) -> None:
    """Create a data directory with the sample city (once) and serve it on 127.0.0.1."""
    from registry.sample_city import demo_operator_id, load_sample_city

    # The QR codes on issued documents point at this server unless an intranet address is configured.
    os.environ.setdefault("CAMREG_PUBLIC_URL", f"http://127.0.0.1:{port}")
    settings = _settings(data_dir or Path("data"), demo=True)
    os.environ["CAMREG_DEMO"] = "true"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    console.print(f"数据目录 data directory: [bold]{settings.data_dir.resolve()}[/]")
    try:
        engine = prepare_demo(settings)
    except NotADemoDatabase as exc:
        Console(stderr=True).print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    with Progress(console=console) as progress:
        task = progress.add_task("载入示例城市 loading the sample city", total=None)
        report = load_sample_city(engine, settings,
                                  progress=lambda done, total: progress.update(task, completed=done, total=total))
    if report.operators_loaded:
        console.print(f"示例城市 sample city: {report.operators_loaded} operators, {report.filings_loaded} filings, "
                      f"{report.cameras} cameras loaded in {report.seconds:.0f} s")
    else:
        console.print(f"示例城市 sample city already loaded ({report.operators_skipped} operators)")
    with Session(engine) as session:
        accounts = ensure_demo_accounts(session, operator_id=demo_operator_id(session))
    table = Table(title=f"演示账户 demo accounts (password: {DEMO_PASSWORD})")
    for column in ("username", "role", "who"):
        table.add_column(column)
    for account in accounts:
        table.add_row(account.username, account.role.value, account.full_name)
    console.print(table)
    console.print(f"打开 open http://127.0.0.1:{port}/ (sign in above; maps at /maps/city) · API docs /docs")
    if not no_serve:
        uvicorn.run("registry.asgi:build", factory=True, host="127.0.0.1", port=port, log_level="info",
                    proxy_headers=False)


def serve(data_dir: DataDir = None, port: Port = 8000,
          host: Annotated[str, typer.Option("--host", help="address to bind")] = "127.0.0.1",
          workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="worker processes")] = 1,
          access_log: Annotated[bool, typer.Option(help="log every request line (costs CPU under load)")] = True,
          ) -> None:
    """Serve the configured database (migrated first, once, before the workers start)."""
    settings = _settings(data_dir)
    if workers > 1 and settings.sqlalchemy_url.startswith("sqlite"):
        console.print("[yellow]提示: several workers on SQLite serialise on its write lock; use PostgreSQL.[/]")
    prepare(settings).dispose()
    # uvicorn's own proxy handling would believe X-Forwarded-For from 127.0.0.1 by default; the app believes
    # only CAMREG_TRUSTED_PROXIES (registry/app.py).
    uvicorn.run("registry.asgi:build", factory=True, host=host, port=port, workers=workers, log_level="info",
                access_log=access_log, proxy_headers=False)
