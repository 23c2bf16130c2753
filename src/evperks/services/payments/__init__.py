"""Payment providers: the seam (``provider``), the sandbox, and receiving a notification."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from evperks.services.context import Context
from evperks.services.payments.provider import Notification, NotificationRefused, PaymentProvider, PaymentStart
from evperks.services.payments.sandbox import SandboxProvider
from evperks.services.payments.wechat import WechatProvider

if TYPE_CHECKING:
    from evperks.services.wallet.results import Confirmed

__all__ = ["Notification", "NotificationRefused", "PaymentProvider", "PaymentStart", "SandboxProvider",
           "WechatProvider", "provider_for", "receive_notification", "wechat_for"]


def provider_for(ctx: Context) -> PaymentProvider | None:
    """The provider members pay through (EVPERKS_PAYMENT_PROVIDER): the sandbox, WeChat Pay, or None —
    the charging platform collects the money itself and calls POST /recharges/{order_no}/confirm."""
    name = ctx.settings.effective_payment_provider
    if name == "sandbox":
        return SandboxProvider.for_context(ctx)
    if name == "wechat":
        return WechatProvider(ctx.settings, ctx.clock)
    return None


def wechat_for(ctx: Context) -> WechatProvider:
    """WeChat Pay, for the recharges and refunds made through it (even after the setting changed)."""
    return WechatProvider(ctx.settings, ctx.clock)


def receive_notification(ctx: Context, provider: PaymentProvider, headers: Mapping[str, str],
                         body: bytes) -> Confirmed:
    """Verify a provider's notification and confirm its recharge (idempotently); NotificationRefused
    when it is not authentic, and then nothing changes."""
    from evperks.services.wallet.recharges import confirm_recharge  # noqa: PLC0415 - wallet imports payments

    fact = provider.verify_notification(headers, body)
    return confirm_recharge(ctx, order_no=fact.order_no, provider_txn_id=fact.provider_txn_id,
                            amount_fen=fact.amount_fen, paid_at=fact.paid_at)
