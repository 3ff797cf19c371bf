"""``camreg users …``: accounts from the server's command line (the administrator of the installation).

The command line acts as the system: it may manage every account. Each change is audited as "system".
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from registry.db import make_engine, session_scope
from registry.errors import DomainError
from registry.settings import Settings

console = Console()
err = Console(stderr=True)
users_app = typer.Typer(help="账户 accounts: create, list, disable, reset passwords, end sessions, unlock",
                        no_args_is_help=True)
T = TypeVar("T")
Username = Annotated[str, typer.Argument(help="the account's username")]


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    """A committed session; a domain error is printed and exits 1."""
    try:
        with session_scope(make_engine(settings)) as session:
            yield session
    except DomainError as exc:
        err.print(f"[red]{exc.message}[/]")
        raise typer.Exit(1) from None


def _read_password(prompt: str) -> str:
    """From the terminal (twice, not echoed) or one line of standard input."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass(f"{prompt}: ")
    if getpass.getpass("again: ") != password:
        err.print("[red]两次输入不一致 / passwords differ[/]")
        raise typer.Exit(1)
    return password


def _on_user(username: str, action: Callable[[Session, int], T]) -> T:
    from registry.auth import accounts

    with _session(Settings()) as session:
        user = accounts.find(session, username=username)
        assert user.id is not None
        return action(session, user.id)


@users_app.command("create")
def users_create(username: str, full_name: str, role: str,
                 unit: Annotated[str | None, typer.Option(help="police unit code")] = None,
                 operator_id: Annotated[int | None, typer.Option(help="operator id (role operator)")] = None,
                 change_required: Annotated[bool, typer.Option(
                     help="the user must change the password at first sign-in (--no-change-required when the "
                          "user typed it themselves, e.g. the first administrator)")] = True) -> None:
    """Create an account; the password is asked for twice and never echoed (or read from standard input)."""
    from pydantic import ValidationError

    from registry.auth import accounts
    from registry.auth.models import Role, UserCreate

    password = _read_password("password")
    settings = Settings()
    try:
        data = UserCreate(username=username, full_name=full_name, role=Role(role), unit_code=unit,
                          operator_id=operator_id, password=password)
    except (ValidationError, ValueError) as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    with _session(settings) as session:
        user = accounts.create(session, actor=None, data=data, settings=settings,
                               must_change_password=change_required)
    console.print(f"created user {user.username} (id {user.id})"
                  + ("; the password must be changed at first sign-in" if change_required else ""))


@users_app.command("list")
def users_list(unit: Annotated[str | None, typer.Option(help="only this police unit")] = None,
               json_output: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every account, with its state and any sign-in lock."""
    from sqlmodel import col, select

    from registry.auth import accounts
    from registry.auth.models import User

    with _session(Settings()) as session:
        query = select(User).order_by(col(User.id))
        if unit:
            query = query.where(User.unit_code == unit)
        users = accounts.public(session, list(session.exec(query).all()))
    if json_output:
        print(json.dumps([u.model_dump(mode="json") for u in users], ensure_ascii=False))
        return
    table = Table(title="账户 accounts")
    for column in ("id", "username", "name", "role", "unit / operator", "state"):
        table.add_column(column)
    for u in users:
        state = "active" if u.active else "disabled"
        if u.must_change_password:
            state += ", must change password"
        if u.locked_until:
            state += f", locked until {u.locked_until:%Y-%m-%d %H:%M} UTC"
        table.add_row(str(u.id), u.username, u.full_name, u.role.value,
                      u.unit_code or f"operator {u.operator_id}", state)
    console.print(table)


@users_app.command("disable")
def users_disable(username: Username) -> None:
    """Disable an account: its sessions and tokens end at once."""
    from registry.auth import accounts

    _on_user(username, lambda s, uid: accounts.disable(s, actor=None, user_id=uid))
    console.print(f"{username}: disabled; every session ended")


@users_app.command("enable")
def users_enable(username: Username) -> None:
    """Enable a disabled account."""
    from registry.auth import accounts

    _on_user(username, lambda s, uid: accounts.enable(s, actor=None, user_id=uid))
    console.print(f"{username}: enabled")


@users_app.command("reset-password")
def users_reset_password(username: Username, choose: Annotated[bool, typer.Option(
        "--choose", help="type the temporary password instead of having one generated")] = False) -> None:
    """Set a temporary password (printed once) that must be changed at the next sign-in; lifts any lock."""
    from registry.auth import accounts

    password = _read_password("temporary password") if choose else None
    settings = Settings()
    _, generated = _on_user(username, lambda s, uid: accounts.reset_password(
        s, actor=None, user_id=uid, password=password, settings=settings))
    console.print(f"{username}: password reset; every session ended; must be changed at next sign-in")
    if generated:
        console.print(f"临时密码 temporary password: [bold]{generated}[/]")


@users_app.command("revoke-tokens")
def users_revoke_tokens(username: Username) -> None:
    """End every session and bearer token of an account."""
    from registry.auth import accounts

    ended = _on_user(username, lambda s, uid: accounts.revoke_tokens(s, actor=None, user_id=uid))
    console.print(f"{username}: {ended} sessions and tokens ended")


@users_app.command("unlock")
def users_unlock(username: Annotated[str | None, typer.Argument(help="the account to unlock")] = None,
                 address: Annotated[str | None, typer.Option(help="a client address to unlock instead")] = None,
                 ) -> None:
    """Lift a sign-in lock (after repeated failed sign-ins) on an account, or on a client address."""
    from registry.auth import accounts

    if (username is None) == (address is None):
        err.print("[red]name an account, or give --address (one of them)[/]")
        raise typer.Exit(2)
    if address is not None:
        with _session(Settings()) as session:
            lifted = accounts.unlock_address(session, actor=None, address=address)
        what = address
    else:
        assert username is not None
        lifted = _on_user(username, lambda s, uid: accounts.unlock(s, actor=None, user_id=uid))
        what = username
    console.print(f"{what}: unlocked" if lifted else f"{what}: was not locked (nothing to lift)")
