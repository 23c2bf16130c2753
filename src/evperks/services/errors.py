"""Failures a caller can act on. The API turns them into problem+json responses."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors: list[tuple[str, str]] = [(field, detail)] if field else []


class Invalid(ServiceError):
    """The input is well-formed but breaks a rule; nothing was changed."""

    status = 422
    title = "Invalid input"

    @classmethod
    def fields(cls, errors: list[tuple[str, str]], detail: str = "Some fields are invalid") -> Invalid:
        error = cls(detail)
        error.errors = errors
        return error


class NotFound(ServiceError):
    status = 404
    title = "Not found"


class Unavailable(ServiceError):
    """Something this deployment has not configured (a secret, a provider); nothing was changed."""

    status = 503
    title = "Service unavailable"


class Conflict(ServiceError):
    """The request clashes with the current state (already registered, already used, …)."""

    status = 409
    title = "Conflict"
