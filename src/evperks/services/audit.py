"""The audit log: who changed what, when, with the state before and after. Writing a row is
``audit_store.record`` (also importable from here), in the transaction of the change itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

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
