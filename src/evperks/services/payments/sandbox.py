"""The sandbox payment provider: a server-rendered pay page instead of a wallet app.

Everything is signed with one HMAC-SHA256 secret (see ``sandbox_secret``): the pay page's form token
(so a form can only confirm the order and amount it was rendered for) and the notification, sent as
``X-Sandbox-Signature: sha256=<hex of HMAC(body)>`` like a real provider's signed callback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache

from evperks.config import Settings
from evperks.services.payments.provider import Notification, NotificationRefused, PaymentStart

log = logging.getLogger("evperks.payments")
SIGNATURE_HEADER = "X-Sandbox-Signature"
_PROCESS_SECRET = secrets.token_bytes(32)


def sandbox_secret(settings: Settings) -> bytes:
    """Derived from EVPERKS_H5_LINK_SECRET (stable across workers and restarts); without it, a random
    secret for this process only — fine for one ``evperks demo`` process, not for several workers."""
    if settings.h5_link_secret:
        return hmac.new(settings.h5_link_secret.encode(), b"evperks sandbox payments v1", hashlib.sha256).digest()
    _warn_once()
    return _PROCESS_SECRET


@lru_cache(maxsize=1)
def _warn_once() -> None:
    log.warning("EVPERKS_H5_LINK_SECRET is not set: sandbox payment signatures hold for this process only")


class SandboxProvider:
    name = "sandbox"

    def __init__(self, secret: bytes, base_url: str) -> None:
        self._secret = secret
        self._base_url = base_url.rstrip("/")

    @classmethod
    def from_settings(cls, settings: Settings) -> SandboxProvider:
        return cls(sandbox_secret(settings), settings.public_base_url)

    # --- PaymentProvider ----------------------------------------------------------------------------
    def create_payment(self, *, order_no: str, member_id: str, amount_fen: int) -> PaymentStart:
        return PaymentStart(provider=self.name, pay_url=f"{self._base_url}/pay/sandbox/{order_no}")

    def verify_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        given = _header(headers, SIGNATURE_HEADER).removeprefix("sha256=")
        if not given or not hmac.compare_digest(given, self.signature(body)):
            raise NotificationRefused("the notification's signature is missing or wrong")
        try:
            data = json.loads(body)
            paid_at = datetime.fromisoformat(data["paid_at"])
            if paid_at.tzinfo is None:
                raise ValueError("paid_at has no offset")
            paid_at = paid_at.astimezone(UTC)
            amount = data["amount_fen"]
            if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
                raise ValueError("amount_fen is not a positive integer")
            return Notification(order_no=str(data["order_no"]), provider_txn_id=str(data["provider_txn_id"]),
                                amount_fen=amount, paid_at=paid_at)
        except (ValueError, KeyError, TypeError, OverflowError) as exc:
            raise NotificationRefused(f"the notification is not readable: {exc}") from exc

    # --- the sandbox's own side: the pay page and the "provider server" ---------------------------
    def signature(self, body: bytes) -> str:
        return hmac.new(self._secret, body, hashlib.sha256).hexdigest()

    def form_token(self, order_no: str, amount_fen: int) -> str:
        return self.signature(f"pay-form\n{order_no}\n{amount_fen}".encode())

    def form_token_ok(self, token: str, order_no: str, amount_fen: int) -> bool:
        return hmac.compare_digest(token, self.form_token(order_no, amount_fen))

    def transaction_id(self, order_no: str) -> str:
        """One transaction per order: pressing 确认支付 twice pays (and so credits) once."""
        return "SBX" + self.signature(f"txn\n{order_no}".encode())[:29].upper()

    def notification(self, *, order_no: str, amount_fen: int, paid_at: datetime | None = None) -> tuple[dict, bytes]:
        """The signed notification the sandbox 'provider' sends when the payer confirms: (headers, body)."""
        paid_at = paid_at or datetime.now(UTC)
        body = json.dumps({
            "order_no": order_no,
            "provider_txn_id": self.transaction_id(order_no),
            "amount_fen": amount_fen,
            "paid_at": paid_at.isoformat(),
        }).encode()
        return {SIGNATURE_HEADER: "sha256=" + self.signature(body), "Content-Type": "application/json"}, body


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""
