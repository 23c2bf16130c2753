"""The seam between evperks and a payment provider (WeChat Pay, Alipay, the sandbox).

A provider does two things: it starts a payment for a pending recharge (what the payer's browser
needs: a pay URL, or a JSAPI parameter set for WeChat), and it verifies a payment notification,
turning a signed HTTP request into the facts evperks acts on — or refusing it. Confirmation itself is
provider-independent (``services.wallet.confirm_recharge``): idempotent by order_no and by the
provider's transaction id. See docs/stored-value.md for how WeChat Pay v3 plugs in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class PaymentStart:
    """What the payer's browser needs to pay."""

    provider: str
    pay_url: str | None = None
    params: dict | None = None  # e.g. WeChat JSAPI's {appId, timeStamp, nonceStr, package, signType, paySign}


@dataclass(frozen=True)
class Notification:
    """A verified 'this recharge was paid' from the provider."""

    order_no: str  # our recharge order_no (WeChat: out_trade_no)
    provider_txn_id: str  # the provider's transaction id (WeChat: transaction_id)
    amount_fen: int  # what was actually paid (WeChat: amount.payer_total / amount.total)
    paid_at: datetime  # aware (WeChat: success_time)


class NotificationRefused(Exception):
    """The notification is not authentic (bad or missing signature) or not readable; nothing changes."""


class PaymentProvider(Protocol):
    name: str

    def create_payment(self, *, order_no: str, member_id: str, amount_fen: int) -> PaymentStart:
        """Start paying a pending recharge."""

    def verify_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        """The facts of an authentic notification; NotificationRefused otherwise."""
