"""Strict JSON request bodies: UTF-8 only (RFC 8259), every member name once, no NaN or Infinity.

The standard library's parser takes the last of two equal names (``"use_wallet": false, "use_wallet":
true`` would pay from the wallet) and guesses UTF-16 and UTF-32; a body is refused instead, naming why.
"""

from __future__ import annotations

import json

from evperks.services.errors import Invalid, Reason, ServiceError


class _DuplicateName(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _unique_names(pairs: list[tuple[str, object]]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise _DuplicateName(name)
            seen.add(name)
    return obj


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_names, parse_constant=_no_constant)


def _refused(detail: str, code: str, message: str) -> ServiceError:
    return ServiceError.fields([Reason("body", code, message)], detail, code=code)


def loads(body: bytes) -> object:
    """The parsed body, or a ServiceError: 400 naming ``body``, 422 naming a member given twice."""
    if json.detect_encoding(body) != "utf-8":
        raise _refused("The request body must be JSON in UTF-8, without a byte order mark", "body.not_utf8", "is not UTF-8")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refused("The request body is not valid UTF-8", "body.not_utf8", "is not UTF-8") from exc
    try:
        return _DECODER.decode(text)
    except _DuplicateName as exc:
        raise Invalid.fields([Reason.of(exc.name, "body.name_repeated", "is given more than once", name=exc.name)],
                             f"The request body gives {exc.name} more than once", code="body.name_repeated") from exc
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError; deep nesting recurses
        raise _refused("The request body is not valid JSON", "json_invalid", "not valid JSON") from exc
