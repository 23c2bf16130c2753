"""Closing a charge session: settle it with the final amounts, cancel it, or let the release job cancel it
once ``hold_hours`` have passed. Settle and cancel are idempotent and exclusive: the settlement's body is
stored with the session and a cancelled session's row no longer changes, so every repeat answers as the
first call did; a settled session cannot be cancelled and the reverse.

Each runs in one transaction with the member's row locked (as every change to a member's money does):
the session's holds are released and, for a settlement, the order is settled through the same pipeline
as ``POST /charge-orders`` with the session's choices, its own hold paying first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from evperks.db.tables import charge_orders, charge_sessions
from evperks.db.types import UTCDateTime
from evperks.services.context import Context
from evperks.services.errors import Conflict, Invalid
from evperks.services.lookups import lock_member
from evperks.services.sessions import store
from evperks.services.sessions.results import ChargeSession, SessionSettlement
from evperks.services.settlement.order import AUTO, ChargeOrder
from evperks.services.settlement.pipeline import OwnHold
from evperks.services.settlement.service import apply_settlement, check_times, lock_member_for, plan_settlement

log = logging.getLogger(__name__)
RELEASE_BATCH = 100
_ORDER_FINGERPRINT = select(charge_orders.c.fingerprint).where(charge_orders.c.order_no == bindparam("order_no"))
_EXPIRED = (
    select(charge_sessions.c.session_id)
    .where(charge_sessions.c.status == "open",
           charge_sessions.c.expires_at <= bindparam("now", type_=UTCDateTime()))
    .order_by(charge_sessions.c.expires_at, charge_sessions.c.session_id)
    .limit(RELEASE_BATCH)
)


@dataclass(frozen=True)
class FinalAmounts:
    """What the platform reports when charging stops."""

    order_no: str
    end_time: datetime
    energy_wh: int
    elec_fee_fen: int
    service_fee_fen: int


def settle_session(ctx: Context, session_id: str, final: FinalAmounts) -> tuple[SessionSettlement, bool]:
    """The settlement's body (plus ``session_id``), and whether this call settled it (False: a repeat)."""
    now = ctx.clock.now()
    try:
        with ctx.db.write() as conn:
            order = _order(store.existing(conn, session_id), final)
            member = lock_member_for(conn, order)
            row = store.session_row(conn, session_id)  # again, under the lock: it may have closed meanwhile
            if row.status != "open":
                return _closed_before(conn, row, order), False
            check_times(ctx, order, now)
            if member.replay_fingerprint is not None:
                raise Conflict("this order_no was already settled", field="order_no", code="settlement.order_no_reused")
            s = plan_settlement(conn, ctx, order, now, member=member, hold=_own_hold(row))
            store.release(conn, row)  # before the steps write: the order pays from what the session held
            body = SessionSettlement(**apply_settlement(conn, ctx, s).as_dict(), session_id=session_id)
            store.close(conn, row, status="settled", at=now, result=body.as_dict(), order_no=final.order_no)
            return body, True
    except IntegrityError:
        # A parallel settlement of another member used the same order_no first; everything rolled back.
        raise Conflict("this order_no was already settled", field="order_no",
                       code="settlement.order_no_reused") from None


def cancel_session(ctx: Context, session_id: str) -> tuple[ChargeSession, bool]:
    """The cancelled session, and whether this call cancelled it (False: it was already cancelled)."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        lock_member(conn, store.existing(conn, session_id).member_id)
        row = store.session_row(conn, session_id)  # again, under the lock: it may have closed meanwhile
        if row.status == "cancelled":
            return store.session_out(row), False  # a closed session's row no longer changes: the same answer
        if row.status == "settled":
            raise Conflict("the session is settled and can no longer be cancelled", field="session_id",
                           code="session.settled")
        store.release(conn, row)
        store.close(conn, row, status="cancelled", at=now, result=None)
        return store.session_out(store.session_row(conn, session_id)), True


def release_expired(ctx: Context) -> int:
    """Cancel every session still open past its ``expires_at`` (started_at + hold_hours); how many.

    Each session is cancelled in its own short transaction under its member's lock, so the release is
    exact and a member's other traffic waits for one session at most; batches keep each read small."""
    cancelled = 0
    while True:
        with ctx.db.read() as conn:
            due = conn.execute(_EXPIRED, {"now": ctx.clock.now()}).scalars().all()
        progress = 0
        for session_id in due:
            try:
                _, done = cancel_session(ctx, session_id)
            except Conflict as refused:  # settled meanwhile; anything else is for `evperks check` to show
                if refused.code != "session.settled":
                    log.warning("charge session %s not released: %s", session_id, refused)
                done = False
            progress += done
        cancelled += progress
        if len(due) < RELEASE_BATCH or progress == 0:  # a full batch that released nothing would repeat
            return cancelled


def _order(row, final: FinalAmounts) -> ChargeOrder:
    """The charge order this session settles: its member, station, start and choices, and the final amounts."""
    choice = row.voucher_choice
    voucher = None if choice == "none" else AUTO if choice == AUTO else int(choice)
    if final.end_time < row.started_at:
        raise Invalid("must not be before the session's start", field="end_time", code="session.end_before_start")
    return ChargeOrder(
        order_no=final.order_no, member_id=row.member_id, station_id=row.station_id, start_time=row.started_at,
        end_time=final.end_time, energy_wh=final.energy_wh, elec_fee_fen=final.elec_fee_fen,
        service_fee_fen=final.service_fee_fen, voucher=voucher, use_points=row.use_points, use_wallet=row.use_wallet,
    )


def _own_hold(row) -> OwnHold:
    return OwnHold(session_id=row.session_id, wallet_fen=row.wallet_held_fen, points=row.points_held,
                   voucher_id=row.voucher_id)


def _closed_before(conn, row, order: ChargeOrder) -> SessionSettlement:
    """A repeat of the settlement that closed the session, or why this request cannot be one."""
    if row.status == "cancelled":
        raise Conflict("the session is cancelled and can no longer be settled", field="session_id",
                       code="session.cancelled")
    stored = conn.execute(_ORDER_FINGERPRINT, {"order_no": row.order_no}).scalar()
    if row.order_no != order.order_no or stored != order.fingerprint():
        raise Conflict("the session was already settled with different content", field="order_no",
                       code="session.settled_differently")
    return SessionSettlement.stored(row.result)
