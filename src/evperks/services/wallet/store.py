"""In-transaction store functions of stored value: each takes the caller's open connection, never
opens a transaction, and does one thing to the data. The use cases (``ledger``, ``recharges``,
``settings``, ``provider_refunds``) take ``ctx`` and open the one transaction they run in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update

from evperks.db.tables import members, vouchers
from evperks.db.tables_campaigns import campaign_packages
from evperks.db.tables_wallet import recharges, stored_value_settings, wallet_ledger
from evperks.db.upsert import insert_for
from evperks.domain.holds import DEFAULT_SESSION_RULES, SessionRules
from evperks.domain.wallet import DEFAULT_RULES, StoredValueRules
from evperks.services.campaigns.types import recharge as recharge_campaign
from evperks.services.wallet.results import RechargeVoucher

KINDS = ("recharge", "payment", "refund", "refund_reversal", "order_refund")


def post_entry(
    conn: Connection,
    *,
    member_id: str,
    amount_fen: int,
    kind: str,
    ref: str,
    now: datetime,
    reason: str | None = None,
    created_by: str | None = None,
) -> int | None:
    """Change the balance by ``amount_fen`` and append its ledger row; the balance after, or None (and
    nothing written) when a debit exceeds the available balance (what open charge sessions hold is not
    available: a session settling releases its hold first). ``(kind, ref)`` is unique: the caller makes sure
    it is new (a duplicate raises IntegrityError and so rolls the whole unit back)."""
    assert kind in KINDS and amount_fen != 0
    m = members.c
    guard = [m.id == member_id]
    if amount_fen < 0:
        guard.append(m.wallet_balance_fen - m.wallet_held_fen >= -amount_fen)
    balance = conn.execute(
        update(members).where(*guard).values(wallet_balance_fen=m.wallet_balance_fen + amount_fen)
        .returning(m.wallet_balance_fen)
    ).scalar_one_or_none()
    if balance is None:
        return None
    conn.execute(
        insert_for(conn, wallet_ledger).values(
            member_id=member_id, amount_fen=amount_fen, balance_after_fen=balance, kind=kind, ref=ref,
            reason=reason, created_by=created_by, created_at=now,
        )
    )
    return balance


def available_fen(conn: Connection, member_id: str) -> int:
    """The balance less what open charge sessions hold."""
    m = members.c
    return conn.execute(select(m.wallet_balance_fen - m.wallet_held_fen).where(m.id == member_id)).scalar_one()


def settings_row(conn: Connection):
    """The saved stored-value settings row, or None while the defaults apply."""
    return conn.execute(select(stored_value_settings)).first()


def read_rules(conn: Connection) -> StoredValueRules:
    """The rules in force."""
    row = settings_row(conn)
    return DEFAULT_RULES if row is None else rules_of(row)


def session_rules(conn: Connection) -> SessionRules:
    """The charge-session rules in force (启动充电最低余额, hold_hours)."""
    row = settings_row(conn)
    return DEFAULT_SESSION_RULES if row is None else session_rules_of(row)


def session_rules_of(row) -> SessionRules:
    return SessionRules(row.min_start_balance_fen, row.hold_hours)


def rules_of(row) -> StoredValueRules:
    return StoredValueRules(row.min_recharge_fen, tuple(row.denominations_fen), row.allow_custom_amount)


def recharge_row(conn: Connection, order_no: str):
    return conn.execute(select(recharges).where(recharges.c.order_no == order_no)).first()


def vouchers_by_recharge(conn: Connection, member_id: str, order_nos: list[str]) -> dict[str, list[RechargeVoucher]]:
    """The vouchers of the campaign packages each recharge brought (the recharge campaign's trigger, ref order_no)."""
    if not order_nos:
        return {}
    p, v = campaign_packages.c, vouchers.c
    rows = conn.execute(
        select(p.ref, v.id, v.name, v.face_value_fen, v.deduction_type, v.status, v.valid_until, p.campaign_id,
               v.kind, v.percent_off, v.max_deduction_fen)
        .select_from(campaign_packages.join(vouchers, v.package_id == p.id))
        .where(p.trigger == recharge_campaign.NAME, p.member_id == member_id, p.ref.in_(order_nos))
        .order_by(p.ref, v.id)
    )
    found: dict[str, list[RechargeVoucher]] = {}
    for r in rows:
        found.setdefault(r.ref, []).append(RechargeVoucher(
            id=r.id, campaign_id=r.campaign_id, name=r.name, face_value_fen=r.face_value_fen,
            deduction_type=r.deduction_type, status=r.status, valid_until=r.valid_until, kind=r.kind,
            percent_off=r.percent_off, max_deduction_fen=r.max_deduction_fen,
        ))
    return found
