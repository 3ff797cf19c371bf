"""Domain errors: each carries its HTTP status and a machine code; the app maps them in one place."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A failure the user can act on, with a machine code and a bilingual message."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, details: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details
        self.headers = headers  # e.g. Retry-After on 429

    def to_dict(self) -> dict[str, Any]:
        """The one JSON error shape of the API."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


class InvalidInput(DomainError):
    """A field has a wrong value."""

    status_code = 422
    code = "invalid_input"


class NotFound(DomainError):
    """The object does not exist, or the user may not know that it exists."""

    status_code = 404
    code = "not_found"


class Forbidden(DomainError):
    """The user may see the object but not do this to it."""

    status_code = 403
    code = "forbidden"


class PasswordChangeRequired(Forbidden):
    """The account's password was set by an administrator: the user must choose their own first."""

    code = "password_change_required"


class Unauthenticated(DomainError):
    """No valid credentials."""

    status_code = 401
    code = "unauthenticated"


class Conflict(DomainError):
    """The action does not fit the object's current state."""

    status_code = 409
    code = "conflict"


class TooLarge(DomainError):
    """An upload exceeds the configured size."""

    status_code = 413
    code = "too_large"


class Unavailable(DomainError):
    """Something the server needs is missing or damaged (a font not installed, a stored file altered)."""

    status_code = 503
    code = "unavailable"


class TooManyAttempts(DomainError):
    """Sign-in refused for now after repeated failures (a delay, or a temporary lock); says until when."""

    status_code = 429
    code = "too_many_attempts"


class AccountLocked(TooManyAttempts):
    """An account or client address locked for a while after many failed sign-ins."""

    code = "locked"
