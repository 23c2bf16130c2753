"""Reading charge sessions: one by id, and a member's open sessions with what they hold."""

from __future__ import annotations

from evperks.services.context import Context
from evperks.services.sessions import store
from evperks.services.sessions.results import ChargeSession


def get_session(ctx: Context, session_id: str) -> ChargeSession:
    with ctx.db.read() as conn:
        return store.session_out(store.existing(conn, session_id))


def open_sessions(ctx: Context, member_id: str) -> list[ChargeSession]:
    """The member's open sessions, oldest first (the console's member page, the H5)."""
    with ctx.db.read() as conn:
        return store.open_sessions_of(conn, member_id)
