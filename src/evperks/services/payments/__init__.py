"""Payment providers: the seam (``provider``), the sandbox, and receiving a notification."""

from __future__ import annotations

from collections.abc import Mapping

from evperks.services.context import Context
from evperks.services.payments.provider import Notification, NotificationRefused, PaymentProvider, PaymentStart
from evperks.services.payments.sandbox import SandboxProvider

__all__ = ["Notification", "NotificationRefused", "PaymentProvider", "PaymentStart", "SandboxProvider",
           "provider_for", "receive_notification"]


def provider_for(ctx: Context) -> PaymentProvider | None:
    """The provider members pay through: the sandbox in sandbox mode; otherwise None — the charging
    platform collects the money itself and calls POST /recharges/{order_no}/confirm."""
    return SandboxProvider.for_context(ctx) if ctx.settings.sandbox else None


def receive_notification(ctx: Context, provider: PaymentProvider, headers: Mapping[str, str], body: bytes) -> dict:
    """Verify a provider's notification and confirm its recharge (idempotently); NotificationRefused
    when it is not authentic, and then nothing changes."""
    from evperks.services.wallet.recharges import confirm_recharge  # noqa: PLC0415 - wallet imports payments

    fact = provider.verify_notification(headers, body)
    return confirm_recharge(ctx, order_no=fact.order_no, provider_txn_id=fact.provider_txn_id,
                            amount_fen=fact.amount_fen, paid_at=fact.paid_at)
