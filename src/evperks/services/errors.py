"""Failures a caller can act on. The API turns them into problem+json responses (the HTTP status of each
kind is chosen in ``api/errors.py``, not here).

Every refusal carries a stable ``code`` and its ``params``: the console translates the code, never the
English text, so rewording a message cannot un-translate a page. ``message`` is the English shown by the
API; it may use ``%(name)s`` placeholders filled from ``params``.
"""

from __future__ import annotations

from collections.abc import Mapping

from evperks.domain.reasons import Reason

__all__ = ["Conflict", "Invalid", "NotFound", "Reason", "ServiceError", "Unavailable"]


class ServiceError(Exception):
    def __init__(self, detail: str, *, code: str, field: str | None = None, **params: object) -> None:
        self.detail = detail % params if params else detail
        super().__init__(self.detail)
        self.code = code
        self.params: Mapping[str, object] = params
        self.errors: list[Reason] = [Reason(field, code, self.detail, params)] if field is not None else []

    @classmethod
    def fields(cls, errors: list[Reason], detail: str = "Some fields are invalid", *, code: str = "invalid_fields"):
        error = cls(detail, code=code)
        error.errors = list(errors)
        return error

    @classmethod
    def because(cls, reason: Reason):
        """One reason the domain gave (already worded), raised as this kind of error."""
        error = cls(reason.message, code=reason.code)
        error.params = reason.params
        error.errors = [reason]
        return error


class Invalid(ServiceError):
    """The input is well-formed but breaks a rule; nothing was changed."""


class NotFound(ServiceError):
    """What the request names does not exist."""


class Unavailable(ServiceError):
    """Something this deployment has not configured (a secret, a provider); nothing was changed."""


class Conflict(ServiceError):
    """The request clashes with the current state (already registered, already used, …)."""
