"""Stored value (储值): settings, recharge orders, the wallet ledger, refunds and reconciliation."""

from evperks.services.wallet.ledger import member_ledger, reconcile_wallets, refund_wallet
from evperks.services.wallet.recharges import (
    cancel_recharge,
    confirm_recharge,
    create_recharge,
    get_recharge,
    list_member_recharges,
)
from evperks.services.wallet.settings import get_settings, put_settings

__all__ = ["cancel_recharge", "confirm_recharge", "create_recharge", "get_recharge", "get_settings",
           "list_member_recharges", "member_ledger", "put_settings", "reconcile_wallets", "refund_wallet"]
