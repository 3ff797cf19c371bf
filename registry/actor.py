"""Who is acting: the user and the client address, carried into every service call."""

from __future__ import annotations

from dataclasses import dataclass

from registry.auth.models import User


@dataclass(frozen=True)
class Actor:
    """The authenticated user behind a request or CLI command, and where it came from."""

    user: User
    client_addr: str | None = None

    @property
    def user_id(self) -> int:
        """The acting user's id (users are always stored before they act)."""
        assert self.user.id is not None
        return self.user.id
