"""Settlement step 1: at most one voucher per order."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, select, update

from evperks.db.tables import vouchers
from evperks.db.types import UTCDateTime
from evperks.domain.vouchers import (
    REFUSAL_CODES,
    DeductionType,
    VoucherKind,
    VoucherTerms,
    best_voucher,
    deduction_fen,
    hours_ranges,
    refusal,
)
from evperks.services.context import Context
from evperks.services.errors import Conflict, Invalid
from evperks.services.settlement.order import AUTO
from evperks.services.settlement.pipeline import Settlement

# 'expired' stays usable: the expiry job may have run between the end of the session and settlement,
# and validity is judged at the order's end time.
_SPENDABLE = ("available", "expired")
_TERMS = (vouchers.c.id, vouchers.c.status, vouchers.c.face_value_fen, vouchers.c.deduction_type,
          vouchers.c.station_ids, vouchers.c.min_spend_fen, vouchers.c.valid_from, vouchers.c.valid_until,
          vouchers.c.issued_at, vouchers.c.kind, vouchers.c.percent_off, vouchers.c.max_deduction_fen,
          vouchers.c.usable_hours, vouchers.c.usable_weekdays)
# Built once (see service.py): the member's vouchers that could still pay an order ending at end_time and
# that no open charge session holds.
_SPENDABLE_FOR_MEMBER = select(*_TERMS).where(
    vouchers.c.member_id == bindparam("member_id"),
    vouchers.c.status.in_(_SPENDABLE),
    vouchers.c.valid_until > bindparam("end_time", type_=UTCDateTime()),
    vouchers.c.held_by_session.is_(None),
)
_NAMED = select(*_TERMS, vouchers.c.held_by_session).where(
    vouchers.c.id == bindparam("voucher_id"), vouchers.c.member_id == bindparam("member_id"))
# A session settling has released its own voucher before the steps apply, so a held voucher is never used.
_USE = (
    update(vouchers)
    .where(vouchers.c.id == bindparam("v_id"), vouchers.c.status.in_(_SPENDABLE), vouchers.c.held_by_session.is_(None))
    .values(status="used", used_order_no=bindparam("order_no"), used_at=bindparam("at", type_=UTCDateTime()))
)


class VoucherStep:
    def plan(self, conn: Connection, ctx: Context, s: Settlement) -> None:
        choice = s.order.voucher
        if choice is None:
            return
        if choice == AUTO:
            rows = conn.execute(_SPENDABLE_FOR_MEMBER, {"member_id": s.order.member_id, "end_time": s.amounts.end_time})
            chosen = best_voucher([voucher_terms(r) for r in rows], s.amounts)
        else:
            chosen = _named_voucher(conn, s, choice)
        if chosen is not None:
            s.voucher = chosen
            s.breakdown.voucher_id = chosen.id
            s.breakdown.voucher_deduction_fen = deduction_fen(chosen, s.amounts)

    def apply(self, conn: Connection, ctx: Context, s: Settlement) -> None:
        if s.breakdown.voucher_id is None:
            return
        used = conn.execute(_USE, {"v_id": s.breakdown.voucher_id, "order_no": s.order.order_no, "at": s.now}).rowcount
        if used != 1:  # impossible while the member row is locked; never spend a voucher twice regardless
            raise Conflict("the voucher was used by another order", field="voucher_id", code="voucher.used_meanwhile")


def _named_voucher(conn: Connection, s: Settlement, voucher_id: int) -> VoucherTerms | None:
    row = conn.execute(_NAMED, {"voucher_id": voucher_id, "member_id": s.order.member_id}).first()
    if s.hold is not None and s.hold.voucher_id == voucher_id:
        return _held_voucher(row, s)
    if row is None:
        raise Invalid("this member has no such voucher", field="voucher_id", code="voucher.not_owned")
    if row.held_by_session is not None:
        raise Conflict("the voucher is held by an open charge session", field="voucher_id", code="voucher.held")
    if row.status not in _SPENDABLE:
        raise Conflict("the voucher is %(status)s", field="voucher_id", code="voucher.not_spendable", status=row.status)
    terms = voucher_terms(row)
    reason = refusal(terms, s.amounts)
    if reason is not None:
        raise Invalid(reason.value, field="voucher_id", code=REFUSAL_CODES[reason])
    return terms


def _held_voucher(row, s: Settlement) -> VoucherTerms | None:
    """The voucher a settling session held: used when it can pay the final order, else simply not used
    (the platform cannot choose again once the car has charged; docs/decisions.md)."""
    if row is None or row.status not in _SPENDABLE:
        return None
    terms = voucher_terms(row)
    return terms if refusal(terms, s.amounts) is None else None


def voucher_terms(row) -> VoucherTerms:
    return VoucherTerms(
        id=row.id,
        face_value_fen=row.face_value_fen,
        deduction_type=DeductionType(row.deduction_type),
        station_ids=frozenset(row.station_ids),
        min_spend_fen=row.min_spend_fen,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        issued_at=row.issued_at,
        kind=VoucherKind(row.kind),
        percent_off=row.percent_off,
        max_deduction_fen=row.max_deduction_fen,
        usable_hours=hours_ranges(row.usable_hours),
        usable_weekdays=frozenset(row.usable_weekdays or ()),
    )
