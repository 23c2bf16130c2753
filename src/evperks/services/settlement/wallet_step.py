"""Settlement step: the wallet (储值) pays what vouchers and points left, as far as its balance goes."""

from __future__ import annotations

from sqlalchemy import Connection

from evperks.domain.holds import usable
from evperks.domain.wallet import wallet_payment_fen
from evperks.services.context import Context
from evperks.services.errors import Conflict
from evperks.services.messages_store import post_message
from evperks.services.settlement.pipeline import Settlement
from evperks.services.wallet.store import post_entry


class WalletStep:
    """Only with ``use_wallet``: pays what is left as far as the money no other charge session holds goes
    (a session's own hold first); the rest stays ``due_fen``."""

    def plan(self, conn: Connection, ctx: Context, s: Settlement) -> None:
        if s.order.use_wallet:
            m = s.member
            payable = usable(balance=m.wallet_balance_fen, held_total=m.wallet_held_fen,
                             own_hold=s.hold.wallet_fen if s.hold else 0)
            s.breakdown.wallet_paid_fen = wallet_payment_fen(payable, s.breakdown.due_fen)

    def apply(self, conn: Connection, ctx: Context, s: Settlement) -> None:
        paid = s.breakdown.wallet_paid_fen
        if paid == 0:
            return
        balance = post_entry(conn, member_id=s.order.member_id, amount_fen=-paid, kind="payment",
                             ref=s.order.order_no, now=s.now)
        if balance is None:  # impossible while the member row is locked; never overdraw regardless
            raise Conflict("the wallet balance changed during settlement", field="use_wallet", code="wallet.balance_changed")
        post_message(conn, ctx, member_id=s.order.member_id, type="wallet_paid", now=s.now,
                     data={"order_no": s.order.order_no, "amount_fen": paid, "wallet_balance_fen": balance})
