"""Settlement step 1: at most one voucher per order."""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from evperks.db.tables import vouchers
from evperks.domain.vouchers import DeductionType, VoucherTerms, best_voucher, deduction_fen, refusal
from evperks.services.context import Context
from evperks.services.errors import Conflict, Invalid
from evperks.services.settlement.order import AUTO
from evperks.services.settlement.pipeline import Settlement

# 'expired' stays usable: the expiry job may have run between the end of the session and settlement,
# and validity is judged at the order's end time.
_SPENDABLE = ("available", "expired")


class VoucherStep:
    def plan(self, conn: Connection, ctx: Context, s: Settlement) -> None:
        choice = s.order.voucher
        if choice is None:
            return
        if choice == AUTO:
            chosen = best_voucher(_spendable_vouchers(conn, s), s.amounts)
        else:
            chosen = _named_voucher(conn, s, choice)
        if chosen is not None:
            s.breakdown.voucher_id = chosen.id
            s.breakdown.voucher_deduction_fen = deduction_fen(chosen, s.amounts)

    def apply(self, conn: Connection, ctx: Context, s: Settlement) -> None:
        if s.breakdown.voucher_id is None:
            return
        used = conn.execute(
            update(vouchers)
            .where(vouchers.c.id == s.breakdown.voucher_id, vouchers.c.status.in_(_SPENDABLE))
            .values(status="used", used_order_no=s.order.order_no, used_at=s.now)
        ).rowcount
        if used != 1:  # impossible while the member row is locked; never spend a voucher twice regardless
            raise Conflict("the voucher was used by another order", field="voucher_id")


def _named_voucher(conn: Connection, s: Settlement, voucher_id: int) -> VoucherTerms:
    row = conn.execute(
        select(vouchers).where(vouchers.c.id == voucher_id, vouchers.c.member_id == s.order.member_id)
    ).first()
    if row is None:
        raise Invalid("this member has no such voucher", field="voucher_id")
    if row.status not in _SPENDABLE:
        raise Conflict(f"the voucher is {row.status}", field="voucher_id")
    terms = _terms(row)
    reason = refusal(terms, s.amounts)
    if reason is not None:
        raise Invalid(reason.value, field="voucher_id")
    return terms


def _spendable_vouchers(conn: Connection, s: Settlement) -> list[VoucherTerms]:
    rows = conn.execute(
        select(vouchers).where(
            vouchers.c.member_id == s.order.member_id,
            vouchers.c.status.in_(_SPENDABLE),
            vouchers.c.valid_until > s.amounts.end_time,
        )
    )
    return [_terms(r) for r in rows]


def _terms(row) -> VoucherTerms:
    return VoucherTerms(
        id=row.id,
        face_value_fen=row.face_value_fen,
        deduction_type=DeductionType(row.deduction_type),
        station_ids=frozenset(row.station_ids),
        min_spend_fen=row.min_spend_fen,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        issued_at=row.issued_at,
    )
