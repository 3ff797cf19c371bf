"""FastAPI dependencies: settings, sessions and the current user, as Annotated aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from registry.actor import Actor
from registry.auth import service as auth_service
from registry.auth.models import User
from registry.errors import PasswordChangeRequired, Unauthenticated
from registry.settings import Settings
from registry.ui.security import API_PATH, SESSION_COOKIE

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])
_READ_ONLY = "__camreg_read_only__"


def read_only(endpoint: EndpointT) -> EndpointT:
    """Mark a route that only reads: its session refuses writes and takes no write lock.

    On PostgreSQL each statement is then its own snapshot, saving the BEGIN and COMMIT round trips and
    a hop through the thread pool (a fifth of a worker's CPU on the hot lookups); on SQLite the read
    no longer queues behind a long import for the write lock. Routes that write anything, audit events
    included, must not carry this mark.
    """
    setattr(endpoint, _READ_ONLY, True)
    return endpoint


class ReadOnlySession(Session):
    """The session of a read-only route: it refuses to flush, so a stray write fails instead of autocommitting."""


@event.listens_for(ReadOnlySession, "before_flush")
def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a route marked read_only tried to write; remove the mark")


async def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> Engine:
    """The app's database engine."""
    engine: Engine = request.app.state.engine
    return engine


def _session_slots(request: Request, engine: Engine) -> anyio.Semaphore:
    """How many requests may hold a session at once: no more than the pool has connections (made once)."""
    slots: anyio.Semaphore | None = getattr(request.app.state, "session_slots", None)
    if slots is None:
        pool = engine.pool
        size = pool.size() if isinstance(pool, QueuePool) else 5
        overflow = getattr(pool, "_max_overflow", 0)
        slots = anyio.Semaphore(max(1, size + overflow) if overflow >= 0 else 40)
        request.app.state.session_slots = slots
    return slots


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, committed when the route returns normally, rolled back otherwise.

    A request keeps its connection from its first query to its commit, across several hops through
    the thread pool. Were more requests admitted than the pool has connections, a burst could fill
    every thread with requests waiting for a connection while the requests holding the connections
    wait for a thread: all stall until the pool timeout (seen at 300 req/s). So requests queue here,
    in the event loop, for a slot; an admitted request always finds a connection and a thread.
    """
    engine: Engine = request.app.state.engine  # not a sub-dependency: each one costs every request
    async with _session_slots(request, engine):
        if is_read_only(getattr(request.scope.get("route"), "endpoint", None)):
            session: Session = ReadOnlySession(request.app.state.reading_engine, expire_on_commit=False)
            try:
                yield session
            finally:
                # Nothing to commit. PostgreSQL: no transaction is open, so this does no I/O; SQLite:
                # ending a read transaction is a local call of microseconds.
                session.close()
            return
        session = Session(engine, expire_on_commit=False)
        try:
            yield session
        except BaseException:
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(_discard, session)
            raise
        # One hop to the thread pool for commit and close (each hop costs more than a read-only COMMIT).
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(_commit, session)


def is_read_only(endpoint: object) -> bool:
    """Whether a route function carries the read_only mark."""
    return bool(getattr(endpoint, _READ_ONLY, False))


def _commit(session: Session) -> None:
    """Commit and release the connection; on failure roll back (the error reaches the client)."""
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _discard(session: Session) -> None:
    """Roll back and release the connection."""
    try:
        session.rollback()
    finally:
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": commit before the response is sent, so a failed commit is never reported as success.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def client_addr(request: Request) -> str | None:
    """The client's address: the peer's, or what a trusted proxy forwarded (see create_app's proxy middleware)."""
    return request.client.host if request.client else None


_CHANGE_FIRST = ("请先修改密码（管理员设置的密码只能用于登录后修改）/ change your password first: POST "
                 "/api/v1/auth/password (the password an administrator set is only good for that)")


def get_actor(request: Request, session: SessionDep, token: Annotated[str | None, Depends(oauth2_scheme)]) -> Actor:
    """The authenticated user behind the bearer token, with the client's address."""
    if not token:
        raise Unauthenticated("需要登录 / a bearer token is required")
    user = auth_service.user_for_token(session, token=token)
    if user.must_change_password:
        raise PasswordChangeRequired(_CHANGE_FIRST)
    return Actor(user=user, client_addr=client_addr(request))


def get_actor_before_password_change(request: Request, session: SessionDep,
                                     token: Annotated[str | None, Depends(oauth2_scheme)]) -> Actor:
    """Like get_actor, but also for a user who must still change the password an administrator set."""
    if not token:
        raise Unauthenticated("需要登录 / a bearer token is required")
    return Actor(user=auth_service.user_for_token(session, token=token), client_addr=client_addr(request))


CurrentActor = Annotated[Actor, Depends(get_actor)]
# Only for changing the password, reading one's own account and signing out.
ActorBeforePasswordChange = Annotated[Actor, Depends(get_actor_before_password_change)]


class LoginRequired(Exception):
    """A page was opened without a signed-in session; the app redirects to the login page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class PasswordChangeFirst(Exception):
    """A signed-in page user must change the password an administrator set; the app redirects them."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def _page_user(request: Request, session: Session) -> Actor:
    """The user behind the session cookie (pages only: the CSRF check exempts /api/, so never there)."""
    if request.url.path.startswith(API_PATH):
        raise RuntimeError("cookie sessions are for pages; API routes authenticate with bearer tokens")
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired(here)
    try:
        user = auth_service.user_for_token(session, token=token)
    except Unauthenticated:
        raise LoginRequired(here) from None
    actor = Actor(user=user, client_addr=client_addr(request))
    # Error pages draw the menu after the request's session is rolled back and closed: keep a detached copy.
    request.state.page_actor = Actor(user=User.model_validate(user.model_dump()), client_addr=actor.client_addr)
    return actor


def get_page_actor(request: Request, session: SessionDep) -> Actor:
    """The user behind the session cookie, who has chosen their own password."""
    actor = _page_user(request, session)
    if actor.user.must_change_password:
        raise PasswordChangeFirst(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return actor


def get_page_actor_before_password_change(request: Request, session: SessionDep) -> Actor:
    """The signed-in page user, also while they must still change their password (the password page)."""
    return _page_user(request, session)


PageActor = Annotated[Actor, Depends(get_page_actor)]
PageActorBeforePasswordChange = Annotated[Actor, Depends(get_page_actor_before_password_change)]
