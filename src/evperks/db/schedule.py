"""Scheduling a job run: one row in the jobs table, written in the caller's transaction.

It lives here, below services and jobs alike, because services schedule runs (a campaign's start and
end) and the jobs layer runs them; neither imports the other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from evperks.db.tables import jobs
from evperks.db.upsert import insert_for


def enqueue(
    conn: Connection, *, kind: str, task_key: str, run_at: datetime, payload: dict[str, Any] | None = None
) -> bool:
    """Schedule a run inside the caller's transaction; False when that (task_key, run_at) exists."""
    statement = (
        insert_for(conn, jobs)
        .values(kind=kind, task_key=task_key, run_at=run_at, payload=payload or {}, status="pending", attempts=0)
        .on_conflict_do_nothing(index_elements=[jobs.c.task_key, jobs.c.run_at])
        # rowcount is unreliable here (psycopg reports -1 once SQLAlchemy adds RETURNING for the id)
        .returning(jobs.c.id)
    )
    return conn.execute(statement).scalar_one_or_none() is not None
