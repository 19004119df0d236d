"""The one error type that business rules raise, and how it maps to HTTP."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain refused an action. Pages show `message`; the API returns it as JSON."""

    status = 400
    code = "invalid"

    def __init__(
        self, message: str, *, code: str | None = None, details: list[dict[str, Any]] | None = None
    ):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or []


class InvalidInput(DomainError):
    status = 422
    code = "validation_error"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
