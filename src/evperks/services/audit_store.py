"""Writing the audit log, in the transaction of the change itself: a change and its audit row commit or
roll back together. Console users are recorded by username, API-key callers as ``api``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Connection, insert

from evperks.db.tables_web import audit_log
from evperks.services.results import Result


def record(conn: Connection, *, actor: str, action: str, target_type: str, target_id: object,
           before: Mapping | None, after: Mapping | None, at: datetime) -> None:
    """Store, in the caller's transaction, who did what to which target: ``before`` and ``after`` are
    dicts or typed results (stored as plain JSON)."""
    conn.execute(_INSERT, dict(
        at=at, actor=actor, action=action, target_type=target_type, target_id=str(target_id),
        before=_plain(before), after=_plain(after),
    ))


_INSERT = insert(audit_log)  # built once: ``.values(...)`` per call cost more than the INSERT itself


# Bookkeeping that every save moves: a save whose only difference is one of these changed nothing.
BOOKKEEPING = frozenset({"updated_at"})


def record_change(conn: Connection, *, actor: str, action: str, target_type: str, target_id: object,
                  before: Mapping | None, after: Mapping | None, at: datetime) -> bool:
    """``record`` a save unless it changed nothing (``before`` and ``after`` equal but for BOOKKEEPING):
    such a row would only bury the real changes. Whether a row was written."""
    if before is not None and after is not None and _compared(before) == _compared(after):
        return False
    record(conn, actor=actor, action=action, target_type=target_type, target_id=target_id, before=before,
           after=after, at=at)
    return True


def _compared(value: Mapping) -> object:
    return {k: v for k, v in _plain(value).items() if k not in BOOKKEEPING}


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
