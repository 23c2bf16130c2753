"""WeChat Pay API v3 through the ``wechatpayv3`` library: JSAPI and H5 prepay, order query and close,
refunds, and reading notifications.

The library signs every request (WECHATPAY2-SHA256-RSA2048 with the merchant key), verifies the
signature of every answer and notification (with the WeChat Pay public key, or the platform
certificates) and decrypts notification resources (AEAD_AES_256_GCM with the APIv3 key). evperks adds
what the library leaves out: the timestamp window, the mchid/appid check, and the API address
(EVPERKS_WECHAT_API_BASE_URL, which the tests point at a local fake server). The library hard-codes
https://api.mch.weixin.qq.com as ``Core._gate_way``; ``_Core`` pins that attribute to the configured
address before the library's own constructor runs, so even its certificate download goes there.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import requests
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.core import Core

from evperks.clock import Clock
from evperks.config import Settings
from evperks.services.errors import Unavailable
from evperks.services.payments.provider import Notification, NotificationRefused, PaymentStart
from evperks.services.results import Result, result

log = logging.getLogger("evperks.payments.wechat")
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
REQUIRED = ("wechat_mchid", "wechat_appid", "wechat_merchant_serial_no", "wechat_private_key", "wechat_apiv3_key")


class WechatPayError(Exception):
    """WeChat Pay refused a call (``status`` 4xx, with its ``code``) or could not be reached (no status)."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    @property
    def definitive(self) -> bool:
        """A refusal that asking again will not change (unlike a timeout, a 5xx or a rate limit)."""
        return self.status is not None and 400 <= self.status < 500 and self.status != 429


@dataclass(frozen=True)
class TradeState:
    """An order as WeChat Pay knows it: trade_state SUCCESS, NOTPAY, CLOSED, USERPAYING, PAYERROR,
    REVOKED, REFUND, or NOT_FOUND (never prepaid); ``paid`` is set when it was paid."""

    state: str
    paid: Notification | None = None


@dataclass(frozen=True)
class RefundEvent:
    """A refund as WeChat Pay reports it: status 'success', 'failed' (CLOSED or ABNORMAL) or 'pending'."""

    refund_no: str
    status: str
    provider_refund_id: str | None
    detail: str


@result
class JsapiParams(Result):
    """What WeixinJSBridge's getBrandWCPayRequest takes (WeChat's names)."""

    appId: str  # noqa: N815 - WeChat's name
    timeStamp: str  # noqa: N815
    nonceStr: str  # noqa: N815
    package: str
    signType: str  # noqa: N815
    paySign: str  # noqa: N815


class _Core(Core):
    """The library's Core with the API address taken from the settings instead of its constant."""

    def __init__(self, gateway: str, **kwargs) -> None:
        self._evperks_gateway = gateway.rstrip("/")
        super().__init__(**kwargs)

    @property
    def _gate_way(self) -> str:
        return self._evperks_gateway

    @_gate_way.setter
    def _gate_way(self, _value: str) -> None:  # Core.__init__ assigns the production address
        pass


class _Client(WeChatPay):
    def __init__(self, settings: SimpleNamespace) -> None:
        missing = [f"EVPERKS_{name.upper()}" for name in REQUIRED if not getattr(settings, name)]
        if not (settings.wechat_public_key and settings.wechat_public_key_id) and not settings.wechat_cert_dir:
            missing.append("EVPERKS_WECHAT_PUBLIC_KEY and _ID, or EVPERKS_WECHAT_CERT_DIR")
        if missing:
            raise Unavailable("WeChat Pay is not configured: %(missing)s", code="wechat_pay.not_configured",
                              missing=", ".join(missing))
        # What WeChatPay.__init__ sets, with our Core in place of the library's.
        self._type = WeChatPayType.JSAPI
        self._mchid = settings.wechat_mchid
        self._appid = settings.wechat_appid
        self._notify_url = notify_url(settings)
        self._partner_mode = False
        self._core = _Core(
            settings.wechat_api_base_url,
            mchid=settings.wechat_mchid,
            cert_serial_no=settings.wechat_merchant_serial_no,
            private_key=_pem(settings.wechat_private_key),
            apiv3_key=settings.wechat_apiv3_key,
            cert_dir=settings.wechat_cert_dir,
            logger=None,
            proxy=None,
            timeout=settings.wechat_timeout_seconds,
            public_key=_pem(settings.wechat_public_key) if settings.wechat_public_key else None,
            public_key_id=settings.wechat_public_key_id,
        )


def notify_url(settings: Settings | SimpleNamespace) -> str:
    return settings.public_base_url.rstrip("/") + "/api/v1/payments/wechat/notify"


def _pem(value: str) -> str:
    """PEM text as given, or read from the path given."""
    if "-----BEGIN" in value:
        return value
    return Path(value).read_text(encoding="utf-8")


@lru_cache(maxsize=4)
def _client_for(config: tuple[tuple[str, object], ...]) -> _Client:
    return _Client(SimpleNamespace(**dict(config)))


def client(settings: Settings) -> _Client:
    """One client per configuration and process: keys and certificates are loaded once."""
    config = tuple((name, value) for name, value in sorted(settings.model_dump().items())
                   if name.startswith("wechat_") or name == "public_base_url")
    return _client_for(config)


class WechatProvider:
    name = "wechat"

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock

    @property
    def _api(self) -> _Client:
        return client(self._settings)

    def check_configured(self) -> None:
        """503 (Unavailable) naming the missing settings, before anything is written."""
        client(self._settings)

    # --- PaymentProvider ----------------------------------------------------------------------------
    def create_payment(self, *, order_no: str, member_id: str, amount_fen: int) -> PaymentStart:
        """Our own H5 page that prepays (JSAPI inside WeChat, H5 outside): prepaying needs the member's
        browser, so nothing is asked of WeChat Pay until the member opens it."""
        return PaymentStart(provider=self.name,
                            pay_url=f"{self._settings.public_base_url.rstrip('/')}/h5/recharges/{order_no}/pay")

    def verify_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        event = self.read_notification(headers, body)
        if not isinstance(event, Notification):
            raise NotificationRefused("not a payment notification")
        return event

    # --- notifications -------------------------------------------------------------------------------
    def read_notification(self, headers: Mapping[str, str], body: bytes) -> Notification | RefundEvent:
        """A verified, decrypted notification: a payment (TRANSACTION.SUCCESS) or a refund's outcome
        (REFUND.*); NotificationRefused for anything forged, replayed late, tampered or foreign."""
        lower = {k.lower(): v for k, v in headers.items()}
        self._check_timestamp(lower.get("wechatpay-timestamp", ""))
        serial = lower.get("wechatpay-serial", "")
        if self._settings.wechat_public_key_id and serial != self._settings.wechat_public_key_id:
            # Without this the library would look the serial up among platform certificates, by
            # downloading them: anyone could make evperks call WeChat Pay.
            raise NotificationRefused("Wechatpay-Serial is not our WeChat Pay public key id")
        api = self._api  # unconfigured: 503, not a refused notification
        try:
            data = api.callback(lower, body.decode("utf-8"))
        except Exception as exc:  # noqa: BLE001 - the library raises bare Exception for unsupported input
            raise NotificationRefused(f"the notification is not readable: {exc}") from exc
        if not data:
            raise NotificationRefused("the notification's signature is wrong or its resource does not decrypt")
        resource = data.get("resource")
        if not isinstance(resource, dict) or resource.get("mchid") != self._settings.wechat_mchid:
            raise NotificationRefused("the notification is for another merchant")
        event = str(data.get("event_type", ""))
        try:
            if event == "TRANSACTION.SUCCESS":
                paid = self._paid(resource)
                if paid is None:
                    raise NotificationRefused("the transaction is not paid")
                return paid
            if event.startswith("REFUND."):
                return _refund_event(resource)
        except (KeyError, TypeError, ValueError) as exc:
            raise NotificationRefused(f"the notification is not readable: {exc}") from exc
        raise NotificationRefused(f"unknown event_type {event!r}")

    def _check_timestamp(self, value: str) -> None:
        if not value.isdigit():
            raise NotificationRefused("Wechatpay-Timestamp is missing")
        drift = abs(self._clock.now().timestamp() - int(value))
        if drift > self._settings.wechat_notify_window_seconds:
            raise NotificationRefused("Wechatpay-Timestamp is outside the accepted window")

    def _paid(self, resource: dict) -> Notification | None:
        if resource.get("appid") != self._settings.wechat_appid:
            raise NotificationRefused("the transaction is for another appid")
        if resource.get("trade_state") != "SUCCESS":
            return None
        amount = resource["amount"]["total"]
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise ValueError("amount.total is not a positive integer")
        paid_at = datetime.fromisoformat(resource["success_time"])
        if paid_at.tzinfo is None:
            raise ValueError("success_time has no offset")
        return Notification(order_no=str(resource["out_trade_no"]), provider_txn_id=str(resource["transaction_id"]),
                            amount_fen=amount, paid_at=paid_at.astimezone(UTC))

    # --- calls -------------------------------------------------------------------------------------
    def jsapi(self, *, order_no: str, amount_fen: int, openid: str, expire_at: datetime,
              description: str) -> JsapiParams:
        """The parameters WeixinJSBridge's getBrandWCPayRequest takes, signed with the merchant key."""
        answer = self._call(self._api.pay, description=description, out_trade_no=order_no,
                            amount={"total": amount_fen, "currency": "CNY"}, payer={"openid": openid},
                            time_expire=_rfc3339(expire_at), pay_type=WeChatPayType.JSAPI)
        package = f"prepay_id={answer['prepay_id']}"
        timestamp = str(int(self._clock.now().timestamp()))
        nonce = secrets.token_hex(16)
        appid = self._settings.wechat_appid
        return JsapiParams(appId=appid, timeStamp=timestamp, nonceStr=nonce, package=package, signType="RSA",
                           paySign=self._api.sign([appid, timestamp, nonce, package]))

    def h5(self, *, order_no: str, amount_fen: int, client_ip: str, expire_at: datetime, description: str) -> str:
        """The h5_url the member's mobile browser is sent to (it opens WeChat to pay)."""
        answer = self._call(self._api.pay, description=description, out_trade_no=order_no,
                            amount={"total": amount_fen, "currency": "CNY"}, time_expire=_rfc3339(expire_at),
                            scene_info={"payer_client_ip": client_ip, "h5_info": {"type": "Wap"}},
                            pay_type=WeChatPayType.H5)
        return str(answer["h5_url"])

    def query(self, order_no: str) -> TradeState:
        try:
            answer = self._call(self._api.query, out_trade_no=order_no)
        except WechatPayError as exc:
            if exc.code == "ORDER_NOT_EXIST":
                return TradeState("NOT_FOUND")
            raise
        if answer.get("mchid") != self._settings.wechat_mchid or answer.get("out_trade_no") != order_no:
            raise WechatPayError("the query answered about another order")
        try:
            return TradeState(str(answer["trade_state"]), self._paid(answer))
        except (KeyError, TypeError, ValueError, NotificationRefused) as exc:
            raise WechatPayError(f"the query's answer is not readable: {exc}") from exc

    def close(self, order_no: str) -> None:
        self._call(self._api.close, out_trade_no=order_no)

    def refund(self, *, refund_no: str, txn_id: str, amount_fen: int, total_fen: int, reason: str) -> RefundEvent:
        answer = self._call(self._api.refund, out_refund_no=refund_no, transaction_id=txn_id, reason=reason[:80],
                            amount={"refund": amount_fen, "total": total_fen, "currency": "CNY"})
        return _refund_event(answer)

    def query_refund(self, refund_no: str) -> RefundEvent:
        return _refund_event(self._call(self._api.query_refund, out_refund_no=refund_no))

    def _call(self, method, **kwargs) -> dict:
        """The JSON answer of a 2xx (an empty dict for 204); WechatPayError otherwise."""
        try:
            status, text = method(**kwargs)
        except requests.RequestException as exc:
            raise WechatPayError(f"WeChat Pay is unreachable: {exc}") from exc
        except Exception as exc:  # noqa: BLE001 - the library raises bare Exception, e.g. for a bad signature
            raise WechatPayError(f"WeChat Pay's answer was refused: {exc}") from exc
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        try:
            answer = json.loads(text) if text else {}
        except ValueError:
            answer = {}
        if not 200 <= status < 300:
            code = answer.get("code") if isinstance(answer, dict) else None
            message = answer.get("message") if isinstance(answer, dict) else None
            raise WechatPayError(f"WeChat Pay answered {status} {code}: {message}", status=status, code=code)
        if not isinstance(answer, dict):
            raise WechatPayError("WeChat Pay's answer is not an object")
        return answer


def _refund_event(resource: dict) -> RefundEvent:
    """WeChat Pay names the status ``status`` in answers and ``refund_status`` in notifications."""
    state = str(resource.get("refund_status") or resource["status"])
    status = {"SUCCESS": "success", "CLOSED": "failed", "ABNORMAL": "failed"}.get(state, "pending")
    return RefundEvent(refund_no=str(resource["out_refund_no"]), status=status,
                       provider_refund_id=resource.get("refund_id"), detail=state)


def _rfc3339(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
