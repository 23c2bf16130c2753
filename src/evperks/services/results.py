"""Typed results at the service boundary.

A use case returns a ``@result`` class (a frozen dataclass deriving from ``Result``). Routes hand it to ``json_response``
(orjson writes dataclasses as objects); templates read its attributes. It also reads as a read-only
mapping (``result["field"]``, ``dict(result)``) so that callers written against the earlier plain dicts,
and results stored as JSON (``as_dict``), keep working.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

R = TypeVar("R")


def result(cls: type[R]) -> type[R]:
    """A frozen dataclass that compares equal to any mapping with the same items (``eq=False`` keeps
    ``Result.__eq__``, which a generated dataclass ``__eq__`` would replace). A field may share its name
    with a Mapping method (a page's ``items``): the instance attribute then shadows the method."""
    for name in cls.__dict__.get("__annotations__", {}):
        if name not in cls.__dict__ and hasattr(Result, name):
            setattr(cls, name, dataclasses.field())  # else the inherited method would be taken as the default
    return dataclasses.dataclass(frozen=True, eq=False)(cls)


class Result(Mapping[str, Any]):
    """Base of every ``@result`` class."""

    def __getitem__(self, name: str) -> Any:
        if name not in self._names():
            raise KeyError(name)
        return getattr(self, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def __eq__(self, other: object) -> bool:
        # By key and value, without ``self.items()``, which a field called ``items`` shadows.
        if not isinstance(other, Mapping):
            return NotImplemented
        return {name: self[name] for name in self} == {key: other[key] for key in other}

    def _names(self) -> tuple[str, ...]:
        return _field_names(type(self))

    def as_dict(self) -> dict[str, Any]:
        """Plain dicts and lists all the way down (for JSON columns and audit rows)."""
        return _plain(self)


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


# Values already plain, tested first: a settlement stores its body on every call, and most of its values
# are these (an ABC check such as ``isinstance(value, Mapping)`` costs several times more).
_SCALARS = (str, int, float, type(None))


def _plain(value: Any) -> Any:
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, Result):
        return {name: _plain(getattr(value, name)) for name in value}
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
