"""Existence checks every service shares; this module depends on nothing above the tables."""

from __future__ import annotations

from sqlalchemy import Connection, select

from evperks.db.tables import members
from evperks.services.errors import NotFound


def require_member(conn: Connection, member_id: str) -> None:
    """404 unless the member exists."""
    if conn.execute(select(members.c.id).where(members.c.id == member_id)).first() is None:
        raise NotFound("member %(id)r does not exist", code="member.not_found", id=member_id)


def lock_member(conn: Connection, member_id: str) -> None:
    """Lock the member's row until the transaction ends (404 unless it exists). Every change to a
    member's vouchers, points or wallet takes this lock first, as settlement does, so they queue in
    one order instead of deadlocking (SQLite's BEGIN IMMEDIATE already holds its writer lock)."""
    if conn.execute(select(members.c.id).where(members.c.id == member_id).with_for_update()).first() is None:
        raise NotFound("member %(id)r does not exist", code="member.not_found", id=member_id)
