"""The domain's ``Refusal`` values as the services' coded errors (same field, code, message and params)."""

from __future__ import annotations

from collections.abc import Iterable

from evperks.domain.campaigns import Refusal
from evperks.services.errors import Reason, ServiceError


def reasons(refusals: Iterable[Refusal]) -> list[Reason]:
    return [Reason(r.field, r.code, r.message, r.params) for r in refusals]


def error(kind: type[ServiceError], refusal: Refusal) -> ServiceError:
    """One refusal as ``kind`` (Invalid, Conflict …): its message is the detail, its field the one at fault."""
    refused = kind(refusal.message, code=refusal.code)  # already formatted: no params to fill again
    refused.params = refusal.params
    refused.errors = reasons([refusal])
    return refused
