"""In-transaction store functions of charge sessions and their holds: each takes the caller's open
connection (the caller holds the member's lock) and does one thing to the data. The use cases are in
``opening`` and ``closing``.

A session's holds live in three places kept in step: the session row (what it held), the member's sums
over open sessions (``members.wallet_held_fen``, ``points_held``) and the voucher's ``held_by_session``.
Every change to them is a guarded statement, so even a caller that forgot the lock cannot hold more
than the balance or one voucher twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select, update

from evperks.db.tables import charge_sessions, members, vouchers
from evperks.db.types import UTCDateTime
from evperks.services.errors import Conflict, NotFound
from evperks.services.sessions.results import ChargeSession

S, M, V = charge_sessions.c, members.c, vouchers.c
SPENDABLE = ("available", "expired")  # as the settlement's voucher step: validity is judged at the end time

_SESSION = select(charge_sessions).where(S.session_id == bindparam("session_id"))
_HOLD = (
    update(members)
    .where(M.id == bindparam("m_id"), M.wallet_balance_fen - M.wallet_held_fen >= bindparam("wallet_fen"))
    .values(wallet_held_fen=M.wallet_held_fen + bindparam("wallet_fen"), points_held=M.points_held + bindparam("points"))
)
_RELEASE = (
    update(members)
    .where(M.id == bindparam("m_id"), M.wallet_held_fen >= bindparam("wallet_fen"), M.points_held >= bindparam("points"))
    .values(wallet_held_fen=M.wallet_held_fen - bindparam("wallet_fen"), points_held=M.points_held - bindparam("points"))
)
_HOLD_VOUCHER = (
    update(vouchers)
    .where(V.id == bindparam("v_id"), V.member_id == bindparam("m_id"), V.held_by_session.is_(None),
           V.status.in_(SPENDABLE))
    .values(held_by_session=bindparam("s_id"))
)
_RELEASE_VOUCHER = update(vouchers).where(V.held_by_session == bindparam("s_id")).values(held_by_session=None)
_CLOSE = (
    update(charge_sessions)
    .where(S.session_id == bindparam("s_id"), S.status == "open")
    .values(status=bindparam("status"), order_no=bindparam("order_no"), result=bindparam("result"),
            closed_at=bindparam("at", type_=UTCDateTime()))
)


def session_row(conn: Connection, session_id: str):
    return conn.execute(_SESSION, {"session_id": session_id}).first()


def existing(conn: Connection, session_id: str):
    """The session's row; 404 when there is none."""
    row = session_row(conn, session_id)
    if row is None:
        raise NotFound("charge session %(session_id)r does not exist", code="session.not_found", session_id=session_id)
    return row


def insert_session(conn: Connection, values: dict) -> None:
    conn.execute(insert(charge_sessions).values(status="open", **values))


def hold(conn: Connection, *, member_id: str, wallet_fen: int, points: int) -> None:
    """Add a session's wallet and points holds to the member's sums, never past the wallet balance."""
    if conn.execute(_HOLD, {"m_id": member_id, "wallet_fen": wallet_fen, "points": points}).rowcount != 1:
        raise Conflict("the available balance changed meanwhile", field="wallet_hold_fen",
                       code="session.balance_changed")


def hold_voucher(conn: Connection, *, voucher_id: int, member_id: str, session_id: str) -> None:
    """Mark the voucher held by this session; refused when another session holds it or it was used."""
    held = conn.execute(_HOLD_VOUCHER, {"v_id": voucher_id, "m_id": member_id, "s_id": session_id}).rowcount
    if held != 1:
        raise Conflict("the voucher is held by an open charge session", field="voucher_id", code="voucher.held")


def release(conn: Connection, row) -> None:
    """Give back everything the open session ``row`` holds (the session row itself is closed by ``close``)."""
    released = conn.execute(_RELEASE, {"m_id": row.member_id, "wallet_fen": row.wallet_held_fen,
                                       "points": row.points_held}).rowcount
    if released != 1:  # the sums are kept in step under the member's lock; never let them go negative
        raise Conflict("the member's holds do not match the session", code="session.holds_out_of_step")
    if row.voucher_id is not None:
        conn.execute(_RELEASE_VOUCHER, {"s_id": row.session_id})


def close(conn: Connection, row, *, status: str, at: datetime, result: dict | None, order_no: str | None = None) -> None:
    """Mark the open session settled (with the settlement's body, which every repeat returns) or cancelled."""
    closed = conn.execute(_CLOSE, {"s_id": row.session_id, "status": status, "order_no": order_no, "result": result,
                                   "at": at}).rowcount
    if closed != 1:  # impossible under the member's lock
        raise Conflict("the session was closed meanwhile", code="session.closed_meanwhile")


def session_out(row) -> ChargeSession:
    """The session as answered: what it holds now (nothing once it is settled or cancelled)."""
    is_open = row.status == "open"
    choice = row.voucher_choice
    return ChargeSession(
        session_id=row.session_id,
        member_id=row.member_id,
        station_id=row.station_id,
        status=row.status,
        started_at=row.started_at,
        expires_at=row.expires_at,
        voucher_id=row.voucher_id if row.voucher_id is not None else (None if choice == "none" else choice),
        use_points=row.use_points,
        use_wallet=row.use_wallet,
        wallet_held_fen=row.wallet_held_fen if is_open else 0,
        points_held=row.points_held if is_open else 0,
        order_no=row.order_no,
        closed_at=row.closed_at,
    )


def open_sessions_of(conn: Connection, member_id: str) -> list[ChargeSession]:
    """The member's open sessions, oldest first (member pages show them with their holds)."""
    rows = conn.execute(select(charge_sessions).where(S.member_id == member_id, S.status == "open")
                        .order_by(S.started_at, S.session_id))
    return [session_out(r) for r in rows]
