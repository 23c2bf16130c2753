"""Why a value was refused, as data: a stable ``code`` that pages translate, its ``params``, and the English
``message`` the API shows. The domain's rule checks return these, and service refusals carry them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reason:
    """Why one field (or, with ``field == ""``, the request as a whole) was refused."""

    field: str
    code: str
    message: str
    params: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def of(cls, field: str, code: str, message: str, /, **params: object) -> Reason:
        """``message`` with its ``%(name)s`` placeholders filled from ``params``."""
        return cls(field, code, message % params if params else message, params)
