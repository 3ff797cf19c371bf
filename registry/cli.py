"""The ``camreg`` command: the Typer root that mounts every part's commands."""

from __future__ import annotations

import typer

from discovery.cli import scan_command
from discovery.lab_cli import lab_app
from maps.cli import layers_check_command, route_command
from registry.commands.admin import audit_app, calendar_app, db_app, reroute, units_app
from registry.commands.backup import backup, restore
from registry.commands.codes import codes_app
from registry.commands.data import export_app, import_app
from registry.commands.documents import doc_app
from registry.commands.fill import fill_app
from registry.commands.maps import map_app
from registry.commands.scans import reconcile_command
from registry.commands.server import demo, serve
from registry.commands.stats import stats
from registry.commands.users import users_app
from registry.commands.workdays import workdays_app

app = typer.Typer(name="camreg", help="公共安全视频图像信息系统备案 camera registry", no_args_is_help=True,
                  pretty_exceptions_enable=False)
app.command("demo")(demo)
app.command("serve")(serve)
app.add_typer(db_app, name="db")
app.command("backup")(backup)
app.command("restore")(restore)
app.add_typer(units_app, name="units")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(calendar_app, name="calendar")
app.add_typer(workdays_app, name="workdays")
app.add_typer(codes_app, name="codes")
app.command("route")(route_command)
app.command("reroute")(reroute)
app.command("layers-check")(layers_check_command)
app.command("scan")(scan_command)
app.command("reconcile")(reconcile_command)
app.add_typer(lab_app, name="lab")
app.add_typer(map_app, name="map")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(fill_app, name="fill")
app.add_typer(doc_app, name="doc")
app.command("stats")(stats)


def main() -> None:
    """Console-script entry point."""
    app()
