"""The sandbox payment provider: a server-rendered pay page instead of a wallet app.

Everything is signed with the ``sandbox-payments`` signing secret (HMAC-SHA256; see ``signing_keys``:
generated in the database, or ``EVPERKS_SANDBOX_PAYMENT_SECRET``): the pay page's form token (so a form
can only confirm the order and amount it was rendered for) and the notification, sent as
``X-Sandbox-Signature: sha256=<hex of HMAC(body)>`` like a real provider's signed callback. Neither
names its key, so verifying tries each accepted one. After ``evperks secrets rotate sandbox-payments``
the previous version stays accepted for PREVIOUS_KEY_OVERLAP: long enough for a pay page left open.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from evperks.services import signing_keys
from evperks.services.context import Context
from evperks.services.payments.provider import Notification, NotificationRefused, PaymentStart

SIGNATURE_HEADER = "X-Sandbox-Signature"
PREVIOUS_KEY_OVERLAP = timedelta(hours=1)
SECRET = signing_keys.Secret("sandbox-payments", "sandbox_payment_secret", overlap=lambda _: PREVIOUS_KEY_OVERLAP)


class SandboxProvider:
    name = "sandbox"

    def __init__(self, keys: signing_keys.Ring, base_url: str) -> None:
        self._keys = keys
        self._base_url = base_url.rstrip("/")

    @classmethod
    def for_context(cls, ctx: Context) -> SandboxProvider:
        return cls(signing_keys.Ring(ctx, SECRET), ctx.settings.public_base_url)

    # --- PaymentProvider ----------------------------------------------------------------------------
    def create_payment(self, *, order_no: str, member_id: str, amount_fen: int) -> PaymentStart:
        return PaymentStart(provider=self.name, pay_url=f"{self._base_url}/pay/sandbox/{order_no}")

    def verify_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        given = _header(headers, SIGNATURE_HEADER).removeprefix("sha256=")
        if not given or not self._signed_by_an_accepted_key(given, body):
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
        return _hmac(self._keys.current(), body)

    def form_token(self, order_no: str, amount_fen: int) -> str:
        return self.signature(_form(order_no, amount_fen))

    def form_token_ok(self, token: str, order_no: str, amount_fen: int) -> bool:
        return self._signed_by_an_accepted_key(token, _form(order_no, amount_fen))

    def transaction_id(self, order_no: str) -> str:
        """One transaction per order: pressing 确认支付 twice pays (and so credits) once, also across a
        rotation of the secret (so the id is not derived from it: it need not be secret, only stable)."""
        return "SBX" + hashlib.sha256(f"evperks sandbox txn\n{order_no}".encode()).hexdigest()[:29].upper()

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

    def _signed_by_an_accepted_key(self, given: str, data: bytes) -> bool:
        return self._keys.find(lambda key: hmac.compare_digest(given, _hmac(key, data))) is not None


def _hmac(key: signing_keys.Key, data: bytes) -> str:
    return hmac.new(key.secret, data, hashlib.sha256).hexdigest()


def _form(order_no: str, amount_fen: int) -> bytes:
    return f"pay-form\n{order_no}\n{amount_fen}".encode()


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""
