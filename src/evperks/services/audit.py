"""The audit log: who changed what, when, with the state before and after.

``record`` is called inside the transaction of the change itself, so a change and its audit row commit
or roll back together. Console users are recorded by username, API-key callers as ``api``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select

from evperks.db.tables_web import audit_log
from evperks.services.context import Context
from evperks.services.pagination import newest_first


def record(conn: Connection, *, actor: str, action: str, target_type: str, target_id: object,
           before: dict | None, after: dict | None, at: datetime) -> None:
    conn.execute(insert(audit_log).values(
        at=at, actor=actor, action=action, target_type=target_type, target_id=str(target_id),
        before=_plain(before), after=_plain(after),
    ))


def _plain(value: object) -> object:
    """JSON-storable: instants as ISO strings (UTC), everything else as it is."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def list_entries(ctx: Context, *, actor: str | None = None, action: str | None = None,
                 target_type: str | None = None, target_id: str | None = None, limit: int = 50,
                 cursor: str | None = None) -> dict:
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
    return {"items": [dict(row._mapping) for row in rows], "next_cursor": next_cursor}
