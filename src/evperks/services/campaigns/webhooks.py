"""Moved to ``evperks.services.outbox`` (the outbox in its own module); these names stay importable here."""

from evperks.services.outbox import Delivery, backoff, body_bytes, deliver_webhooks, signature

__all__ = ["Delivery", "backoff", "body_bytes", "deliver_webhooks", "signature"]
