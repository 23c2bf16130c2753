"""The audit log: who changed what, when, with the state before and after.

``record`` is called inside the transaction of the change itself, so a change and its audit row commit
or roll back together. Console users are recorded by username, API-key callers as ``api``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from evperks.db.tables_web import audit_log
from evperks.services.context import Context
from evperks.services.pagination import Page, newest_first
from evperks.services.results import Result, result


@result
class AuditEntry(Result):
    id: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def record(conn: Connection, *, actor: str, action: str, target_type: str, target_id: object,
           before: Mapping | None, after: Mapping | None, at: datetime) -> None:
    """Store, in the caller's transaction, who did what to which target: ``before`` and ``after`` are
    dicts or typed results (stored as plain JSON)."""
    conn.execute(insert(audit_log).values(
        at=at, actor=actor, action=action, target_type=target_type, target_id=str(target_id),
        before=_plain(before), after=_plain(after),
    ))


def _plain(value: object) -> object:
    """JSON-storable: instants as ISO strings (UTC), results as plain dicts, everything else as it is."""
    if isinstance(value, Result):
        value = value.as_dict()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def list_entries(ctx: Context, *, actor: str | None = None, action: str | None = None,
                 target_type: str | None = None, target_id: str | None = None, limit: int = 50,
                 cursor: str | None = None) -> Page[AuditEntry]:
    """Newest first; every filter given must match."""
    stmt = select(audit_log)
    if actor:
        stmt = stmt.where(audit_log.c.actor == actor)
    if action:
        stmt = stmt.where(audit_log.c.action == action)
    if target_type:
        stmt = stmt.where(audit_log.c.target_type == target_type)
    if target_id:
        stmt = stmt.where(audit_log.c.target_id == target_id)
    with ctx.db.read() as conn:
        rows, next_cursor = newest_first(conn, stmt, audit_log.c.id, limit=limit, cursor=cursor)
    return Page([AuditEntry(**row._mapping) for row in rows], next_cursor)
