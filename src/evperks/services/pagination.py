"""Keyset pagination: an opaque cursor holding the sort key of the last item of a page."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import Column, ColumnElement, Connection, Select, and_, func, or_, select

from evperks.services.errors import Invalid
from evperks.services.results import Result, result

MAX_LIMIT = 200
T = TypeVar("T")


@result
class Page(Result, Generic[T]):
    """One page of a list and the cursor of the next one (None on the last page)."""

    items: list[T]
    next_cursor: str | None


@result
class NumberedPage(Result, Generic[T]):
    """One page of a console list by number: its items, how many rows the whole list has, which page
    this is (1-based, past the end means the last) and how many pages there are."""

    items: list[T]
    total: int
    page: int
    pages: int


def numbered(conn: Connection, stmt: Select, order: list, *, page: int, size: int) -> tuple[list, dict]:
    """Page ``page`` of ``stmt`` sorted by ``order`` (count + OFFSET: the console numbers its pages, the
    API keeps keyset cursors), and ``{total, page, pages}`` for ``NumberedPage``."""
    total = conn.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    rows = conn.execute(stmt.order_by(*order).limit(size).offset((page - 1) * size)).all()
    return rows, {"total": total, "page": page, "pages": pages}


def encode_cursor(values: list) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: tuple[type, ...]) -> list:
    """The cursor's values, typed as ``kinds``; a cursor that was not ours is refused by name."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError
        return [datetime.fromisoformat(v) if kind is datetime else kind(v) for v, kind in zip(values, kinds, strict=True)]
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Invalid("not a cursor returned by this list", field="cursor", code="cursor.invalid") from exc


def after_desc(columns: list, values: list) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in descending order of ``columns`` (a lexicographic keyset)."""
    clauses = []
    for i, column in enumerate(columns):
        equal_prefix = [columns[j] == values[j] for j in range(i)]
        clauses.append(and_(*equal_prefix, column < values[i]))
    return or_(*clauses)


def page(rows: list, limit: int, key) -> tuple[list, str | None]:
    """Split one extra fetched row off to know whether a next page exists."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(key(rows[-1]))
    return rows, None


def newest_first(conn: Connection, stmt: Select, id_column: Column, *, limit: int, cursor: str | None) -> tuple[list, str | None]:
    """One page of ``stmt`` in descending ``id_column`` order, and the cursor of the next page."""
    if cursor:
        stmt = stmt.where(after_desc([id_column], decode_cursor(cursor, (int,))))
    rows = conn.execute(stmt.order_by(id_column.desc()).limit(min(limit, MAX_LIMIT) + 1)).all()
    return page(rows, limit, lambda r: [r._mapping[id_column]])
