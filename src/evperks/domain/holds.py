"""Charge-session holds (充电冻结): what a session reserves at plug-in, and what a payment may use.

Pure rules, integers only. A member's open sessions hold parts of the wallet and of the points; the
member row keeps their sums (``held``). Everything else pays only from what is free:

- ``available(balance, held) = max(0, balance - held)``. For the wallet the floor never bites (the
  database keeps ``held <= balance``); points can drop below what is held (expiry, a manual deduction),
  so the floor keeps the available points from going negative.
- A payment that is not a session's (``own_hold = 0``) may use the available amount; a session's
  settlement uses its own hold first (even when expiry shrank the points below every hold: first
  settled, first served), then whatever no session holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from evperks.domain.reasons import Reason
from evperks.domain.units import MAX_FEN
from evperks.domain.vouchers import REFUSAL_CODES, Refusal, VoucherTerms


def available(balance: int, held: int) -> int:
    """What no open session holds."""
    return max(0, balance - held)


def usable(*, balance: int, held_total: int, own_hold: int = 0) -> int:
    """What one payment may take: its own hold (``own_hold``, part of ``held_total``) and what no session
    holds, never more than the balance."""
    free = available(balance, held_total)
    return min(balance, own_hold + free)


@dataclass(frozen=True)
class WalletHold:
    """Why a wallet hold cannot be taken (``refusal``), or how much is held."""

    fen: int = 0
    refusal: Reason | None = None


def wallet_hold(*, available_fen: int, requested_fen: int | None, min_start_fen: int) -> WalletHold:
    """The wallet part of a session: ``requested_fen``, or all that is available when None.

    Refused when the available balance is below the setting ``min_start_balance_fen`` (启动充电最低余额)
    or below what was asked for."""
    if available_fen < min_start_fen:
        return WalletHold(refusal=Reason.of(
            "use_wallet", "session.balance_below_minimum",
            "the available balance of %(available)s fen is below the %(minimum)s fen needed to start charging",
            available=available_fen, minimum=min_start_fen))
    if requested_fen is None:
        return WalletHold(fen=available_fen)
    if requested_fen > available_fen:
        return WalletHold(refusal=Reason.of(
            "wallet_hold_fen", "session.hold_exceeds_available",
            "exceeds the available balance of %(available)s fen", available=available_fen))
    return WalletHold(fen=requested_fen)


def points_hold(*, available_points: int, max_points: int | None, redemption_open: bool) -> int:
    """The points part of a session: up to the redemption maximum per order, or every available point
    without one; nothing when redemption cannot pay at the session's station."""
    if not redemption_open:
        return 0
    return available_points if max_points is None else min(available_points, max_points)


def voucher_hold_refusal(voucher: VoucherTerms, *, station_id: str, at: datetime) -> Reason | None:
    """Why a named voucher cannot be held for a session starting ``at`` at ``station_id``: it must serve
    that station and not have expired. The rest (minimum spend, validity at the end time) can only be
    judged on the final amounts, at settlement."""
    if voucher.valid_until <= at:
        return Reason.of("voucher_id", REFUSAL_CODES[Refusal.EXPIRED], "the voucher has expired")
    if voucher.station_ids and station_id not in voucher.station_ids:
        return Reason.of("voucher_id", REFUSAL_CODES[Refusal.STATION], Refusal.STATION.value)
    return None


MAX_HOLD_HOURS = 720  # 30 days: a session open longer is no charging session


@dataclass(frozen=True)
class SessionRules:
    """启动充电最低余额 and how long a session may stay open before its holds are released."""

    min_start_balance_fen: int = 0
    hold_hours: int = 24


DEFAULT_SESSION_RULES = SessionRules()


def session_rules_problems(rules: SessionRules) -> list[Reason]:
    """Every field of ``rules`` that is wrong, with why; empty when they can be saved."""
    problems = []
    if not 0 <= rules.min_start_balance_fen <= MAX_FEN:
        problems.append(Reason.of("min_start_balance_fen", "wallet.min_start_balance_negative", "must not be negative"))
    if not 1 <= rules.hold_hours <= MAX_HOLD_HOURS:
        problems.append(Reason.of("hold_hours", "wallet.hold_hours_range", "must be a whole number of hours from 1 to %(max)s",
                                  max=MAX_HOLD_HOURS))
    return problems
