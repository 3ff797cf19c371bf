"""``camreg stats``: a unit's 数据报送 statistics for a period, written as the .xlsx of the statistics page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlmodel import Session, select

from registry.actor import Actor
from registry.auth.models import User
from registry.db import make_engine, session_scope
from registry.errors import DomainError, NotFound
from registry.settings import Settings
from registry.timeutil import beijing_today, utcnow
from registry.units.models import PoliceUnit

console = Console()
err = Console(stderr=True)


def _actor(session: Session, username: str) -> Actor:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        raise DomainError(f"账户 {username} 不存在或已停用 / no active account {username}", field="user")
    return Actor(user=user, client_addr="cli")


def stats(unit: Annotated[str, typer.Option("--unit", help="the unit's code (001: the city roll-up of every unit)")],
          period: Annotated[str, typer.Option("--period", help="2026 (year), 2026-Q3 (quarter) or 2026-07 (month)")],
          out: Annotated[Path, typer.Option("--out", help="FILE.xlsx")],
          user: Annotated[str | None, typer.Option("--user", envvar="CAMREG_USER", help="account acting (its scope "
                                                   "applies; without it, the server's own run)")] = None,
          json_output: Annotated[bool, typer.Option("--json", help="the figures as JSON on stdout too")] = False
          ) -> None:
    """数据报送: write the statistics of a unit for a month, quarter or year as .xlsx (audited)."""
    from registry.statistics import export, service
    from registry.statistics.periods import Period

    if out.suffix.lower() != ".xlsx":
        raise typer.BadParameter(f"{out.name}: use a .xlsx file name", param_hint="--out")
    try:
        chosen = Period.parse(period)
        with session_scope(make_engine(Settings())) as session:
            actor = _actor(session, user) if user else None
            if actor is not None:
                found = service.require_unit(session, actor.user, unit)
            else:
                found_unit = session.get(PoliceUnit, unit)
                if found_unit is None:
                    raise NotFound(f"单位 {unit[:8]} 不存在 / unit not found", field="unit")
                found = found_unit
            report = service.compute(session, unit=found, period=chosen, today=beijing_today(), now=utcnow())
            out.write_bytes(export.to_xlsx(report))
            export.record(session, actor=actor, report=report)
    except DomainError as exc:
        if json_output:
            print(json.dumps({"error": exc.to_dict()["error"]}, ensure_ascii=False))
        else:
            err.print(f"[red]{exc.message}[/]")
        raise typer.Exit(1) from None
    if json_output:
        print(json.dumps({"file": str(out), "unit_code": report.unit_code, "period": str(report.period),
                          "rows": {r.unit_code: r.figures for r in report.rows}, "total": report.total.figures},
                         ensure_ascii=False))
    else:
        console.print(f"wrote {out}: {report.unit_name} {report.period.label}, {len(report.rows)} units")
