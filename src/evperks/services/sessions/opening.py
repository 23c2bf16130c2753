"""Opening a charge session (充电启动): hold the wallet money, a named voucher and points until it is
settled or cancelled. Idempotent by ``session_id``: the same request again answers the session as it is
now; other content under the same id is a conflict."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, exists, select
from sqlalchemy.exc import IntegrityError

from evperks.db.tables import members, stations, vouchers
from evperks.domain.holds import available, points_hold, voucher_hold_refusal, wallet_hold
from evperks.domain.vouchers import REFUSAL_CODES, window_refusal
from evperks.services.context import Context
from evperks.services.errors import Conflict, Invalid
from evperks.services.points.settings_store import load_settings
from evperks.services.points.store import spendable_points
from evperks.services.sessions import store
from evperks.services.sessions.results import ChargeSession
from evperks.services.settlement.order import AUTO, VoucherChoice
from evperks.services.settlement.voucher_step import voucher_terms
from evperks.services.wallet.store import session_rules


@dataclass(frozen=True)
class SessionRequest:
    session_id: str
    member_id: str
    station_id: str
    started_at: datetime | None = None  # None: now
    voucher: VoucherChoice = AUTO
    use_points: bool = False
    use_wallet: bool = False
    wallet_hold_fen: int | None = None  # None: all that is available (with use_wallet)

    def fingerprint(self) -> str:
        """sha256 of the request as sent (an omitted start stays omitted): a retry must carry the same."""
        content = {
            "member_id": self.member_id, "station_id": self.station_id,
            "started_at": self.started_at.isoformat() if self.started_at else None, "voucher": self.voucher,
            "use_points": self.use_points, "use_wallet": self.use_wallet, "wallet_hold_fen": self.wallet_hold_fen,
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def open_session(ctx: Context, request: SessionRequest) -> tuple[ChargeSession, bool]:
    """The session, and whether this call opened it (False: the same request again)."""
    now = ctx.clock.now()
    started_at = request.started_at or now
    if started_at > now + timedelta(seconds=ctx.settings.clock_skew_seconds):
        raise Invalid("may not lie in the future", field="started_at", code="time.in_future")
    if request.wallet_hold_fen is not None and not request.use_wallet:
        raise Invalid("only a session that uses the wallet holds wallet money", field="wallet_hold_fen",
                      code="session.hold_without_wallet")
    try:
        with ctx.db.write() as conn:
            member = _lock_member(conn, request)
            earlier = _earlier(conn, request)
            if earlier is not None:
                return earlier, False
            _require_station(conn, request.station_id)
            _open(conn, ctx, request, member, started_at=started_at, now=now)
            return store.session_out(store.session_row(conn, request.session_id)), True
    except IntegrityError:
        # A parallel open of the same session_id for another member committed first (same-member opens
        # queue on the member lock): answer as to any repeat.
        with ctx.db.read() as conn:
            earlier = _earlier(conn, request)
        if earlier is None:
            raise
        return earlier, False


def _open(conn: Connection, ctx: Context, request: SessionRequest, member, *, started_at: datetime,
          now: datetime) -> None:
    rules = session_rules(conn)
    wallet_fen = _wallet_hold(request, member, rules.min_start_balance_fen)
    points = _points_hold(conn, request, member, now) if request.use_points else 0
    held_voucher = request.voucher if isinstance(request.voucher, int) else None
    store.insert_session(conn, {
        "session_id": request.session_id, "member_id": request.member_id, "station_id": request.station_id,
        "started_at": started_at, "expires_at": started_at + timedelta(hours=rules.hold_hours),
        "voucher_choice": _choice(request.voucher), "voucher_id": held_voucher,
        "use_points": request.use_points, "use_wallet": request.use_wallet,
        "wallet_held_fen": wallet_fen, "points_held": points, "fingerprint": request.fingerprint(), "created_at": now,
    })
    if held_voucher is not None:
        # Local: a voucher's usage window is judged on the operator's wall clock at the session's start.
        _check_voucher(conn, request, held_voucher, started_at.astimezone(ctx.zone))
        store.hold_voucher(conn, voucher_id=held_voucher, member_id=request.member_id, session_id=request.session_id)
    store.hold(conn, member_id=request.member_id, wallet_fen=wallet_fen, points=points)


def _lock_member(conn: Connection, request: SessionRequest):
    row = conn.execute(select(members).where(members.c.id == request.member_id).with_for_update()).first()
    if row is None:
        raise Invalid("no member has this id", field="member_id", code="member.unknown")
    return row


def _earlier(conn: Connection, request: SessionRequest) -> ChargeSession | None:
    row = store.session_row(conn, request.session_id)
    if row is None:
        return None
    if row.fingerprint != request.fingerprint():
        raise Conflict("this session_id was already used with different content", field="session_id",
                       code="session.id_reused")
    return store.session_out(row)


def _require_station(conn: Connection, station_id: str) -> None:
    if not conn.execute(select(exists().where(stations.c.id == station_id))).scalar():
        raise Invalid("no station has this id", field="station_id", code="station.unknown_id")


def _wallet_hold(request: SessionRequest, member, min_start_fen: int) -> int:
    if not request.use_wallet:
        return 0
    decided = wallet_hold(available_fen=available(member.wallet_balance_fen, member.wallet_held_fen),
                          requested_fen=request.wallet_hold_fen, min_start_fen=min_start_fen)
    if decided.refusal is not None:
        raise Conflict.because(decided.refusal)
    return decided.fen


def _points_hold(conn: Connection, request: SessionRequest, member, now: datetime) -> int:
    rule = load_settings(conn).redemption
    redeemable_here = rule.enabled and (not rule.station_ids or request.station_id in rule.station_ids)
    spendable = spendable_points(conn, request.member_id, valid_after=now)
    return points_hold(available_points=available(spendable, member.points_held), max_points=rule.max_points,
                       redemption_open=redeemable_here)


def _check_voucher(conn: Connection, request: SessionRequest, voucher_id: int, started_at: datetime) -> None:
    row = conn.execute(select(vouchers).where(vouchers.c.id == voucher_id,
                                              vouchers.c.member_id == request.member_id)).first()
    if row is None:
        raise Invalid("this member has no such voucher", field="voucher_id", code="voucher.not_owned")
    if row.status not in store.SPENDABLE:
        raise Conflict("the voucher is %(status)s", field="voucher_id", code="voucher.not_spendable", status=row.status)
    if row.held_by_session is not None:
        raise Conflict("the voucher is held by an open charge session", field="voucher_id", code="voucher.held")
    terms = voucher_terms(row)
    reason = voucher_hold_refusal(terms, station_id=request.station_id, at=started_at)
    if reason is not None:
        raise Invalid.because(reason)
    # The session's start is the order's: a voucher outside its usage window could never pay it.
    if (outside := window_refusal(terms, started_at)) is not None:
        raise Invalid(outside.value, field="voucher_id", code=REFUSAL_CODES[outside])


def _choice(voucher: VoucherChoice) -> str:
    """How ``charge_sessions.voucher_choice`` keeps the choice: a voucher id, 'auto' or 'none'."""
    if voucher is None:
        return "none"
    return AUTO if voucher == AUTO else str(voucher)
