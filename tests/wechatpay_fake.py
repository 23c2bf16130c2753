"""A local fake of WeChat Pay API v3, built from its documentation, with keys the tests generate.

It checks what the real service checks of a merchant's request — the ``Authorization:
WECHATPAY2-SHA256-RSA2048 mchid=…,nonce_str=…,signature=…,timestamp=…,serial_no=…`` signature over
``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n`` with the merchant's public key — and signs every
answer like the real one (``Wechatpay-Timestamp/-Nonce/-Serial/-Signature`` over
``TIMESTAMP\\nNONCE\\nBODY\\n`` with the platform private key; 微信支付公钥 mode, so the serial is the
public key id). ``notification`` builds callbacks exactly as documented: the resource is encrypted with
AEAD_AES_256_GCM under the APIv3 key, with a nonce and associated_data.

Endpoints: JSAPI and H5 prepay, query and close by out_trade_no, refunds and refund query. ``pay``
plays the payer paying in WeChat.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MCHID = "1900000109"
APPID = "wxd678efh567hg6787"
MERCHANT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
PUBLIC_KEY_ID = "PUB_KEY_ID_0119000001092025010100000000000001"
_AUTH = re.compile(r'^WECHATPAY2-SHA256-RSA2048 (.+)$')


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def rsa_sign(key: rsa.RSAPrivateKey, message: str) -> str:
    return base64.b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa_verify(public_key, message: str, signature: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass
class Order:
    out_trade_no: str
    total: int
    kind: str  # "jsapi" or "h5"
    openid: str | None
    notify_url: str
    prepay_id: str
    state: str = "NOTPAY"
    transaction_id: str | None = None
    success_time: str | None = None


@dataclass
class Refund:
    out_refund_no: str
    refund_id: str
    order: Order
    amount: int
    status: str
    created: str


@dataclass
class FakeWechatPay:
    merchant_key: rsa.RSAPrivateKey = field(default_factory=new_key)
    platform_key: rsa.RSAPrivateKey = field(default_factory=new_key)
    apiv3_key: str = field(default_factory=lambda: secrets.token_hex(16))
    orders: dict[str, Order] = field(default_factory=dict)
    refunds: dict[str, Refund] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of each authentic request
    refused: int = 0  # requests refused for their signature
    refund_answer: str = "PROCESSING"  # what a new refund's status is; or an error code such as "NOT_ENOUGH"
    down: bool = False  # answer 500 to everything (WeChat Pay unreachable)
    answer_key: rsa.RSAPrivateKey | None = None  # sign answers with another key (an impostor)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- the server ----------------------------------------------------------------------------------
    def start(self) -> FakeWechatPay:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                fake._handle(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                fake._handle(self, "POST")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def settings(self) -> dict:
        """The EVPERKS_WECHAT_* settings of a merchant of this fake (as Settings keyword arguments)."""
        return {
            "payment_provider": "wechat",
            "wechat_mchid": MCHID,
            "wechat_appid": APPID,
            "wechat_merchant_serial_no": MERCHANT_SERIAL,
            "wechat_private_key": private_pem(self.merchant_key),
            "wechat_apiv3_key": self.apiv3_key,
            "wechat_public_key": public_pem(self.platform_key),
            "wechat_public_key_id": PUBLIC_KEY_ID,
            "wechat_api_base_url": self.base_url,
        }

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        if self.down:
            return self._answer(handler, 500, {"code": "SYSTEM_ERROR", "message": "系统错误"})
        if not self._authentic(handler, method, body):
            self.refused += 1
            return self._answer(handler, 401, {"code": "SIGN_ERROR", "message": "签名错误"})
        path = urlsplit(handler.path).path
        with self.lock:
            self.requests.append((method, path))
            status, answer = self._route(method, path, urlsplit(handler.path).query, json.loads(body) if body else {})
        self._answer(handler, status, answer)

    def _authentic(self, handler: BaseHTTPRequestHandler, method: str, body: str) -> bool:
        match = _AUTH.match(handler.headers.get("Authorization", ""))
        if not match:
            return False
        parts = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        if parts.get("mchid") != MCHID or parts.get("serial_no") != MERCHANT_SERIAL:
            return False
        if abs(time.time() - int(parts.get("timestamp", "0"))) > 300:
            return False
        message = f"{method}\n{handler.path}\n{parts['timestamp']}\n{parts.get('nonce_str', '')}\n{body}\n"
        return rsa_verify(self.merchant_key.public_key(), message, parts.get("signature", ""))

    def _answer(self, handler: BaseHTTPRequestHandler, status: int, answer: dict | None) -> None:
        body = json.dumps(answer, ensure_ascii=False) if answer is not None else ""
        headers = self.signed_headers(body, key=self.answer_key)
        handler.send_response(status)
        if body:
            headers["Content-Type"] = "application/json; charset=utf-8"
        for name, value in headers.items():
            handler.send_header(name, value)
        raw = body.encode()
        handler.send_header("Content-Length", str(len(raw)))
        handler.end_headers()
        handler.wfile.write(raw)

    def signed_headers(self, body: str, *, timestamp: int | None = None, key: rsa.RSAPrivateKey | None = None,
                       serial: str = PUBLIC_KEY_ID) -> dict[str, str]:
        timestamp = int(time.time()) if timestamp is None else timestamp
        nonce = secrets.token_hex(16).upper()
        return {
            "Wechatpay-Timestamp": str(timestamp),
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Serial": serial,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
            "Wechatpay-Signature": rsa_sign(key or self.platform_key, f"{timestamp}\n{nonce}\n{body}\n"),
        }

    # --- the API -------------------------------------------------------------------------------------
    def _route(self, method: str, path: str, query: str, data: dict) -> tuple[int, dict | None]:
        if method == "POST" and path in ("/v3/pay/transactions/jsapi", "/v3/pay/transactions/h5"):
            return self._prepay(path.rsplit("/", 1)[1], data)
        if m := re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)", path):
            if method == "GET" and query == f"mchid={MCHID}":
                return self._query(m.group(1))
        if (m := re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)/close", path)) and method == "POST":
            return self._close(m.group(1), data)
        if path == "/v3/refund/domestic/refunds" and method == "POST":
            return self._refund(data)
        if (m := re.fullmatch(r"/v3/refund/domestic/refunds/([^/]+)", path)) and method == "GET":
            refund = self.refunds.get(m.group(1))
            if refund is None:
                return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"}
            return 200, self._refund_body(refund)
        return 404, {"code": "NOT_FOUND", "message": "no such endpoint"}

    def _prepay(self, kind: str, data: dict) -> tuple[int, dict]:
        if data.get("mchid") != MCHID or data.get("appid") != APPID or not data.get("notify_url"):
            return 400, {"code": "PARAM_ERROR", "message": "mchid, appid or notify_url"}
        if kind == "jsapi" and not (data.get("payer") or {}).get("openid"):
            return 400, {"code": "PARAM_ERROR", "message": "payer.openid"}
        if kind == "h5" and not (data.get("scene_info") or {}).get("payer_client_ip"):
            return 400, {"code": "PARAM_ERROR", "message": "scene_info.payer_client_ip"}
        no, total = data["out_trade_no"], data["amount"]["total"]
        order = self.orders.get(no)
        if order is not None and (order.total != total or order.state != "NOTPAY"):
            return 400, {"code": "OUT_TRADE_NO_USED", "message": "商户订单号重复"}
        if order is None:
            order = self.orders[no] = Order(out_trade_no=no, total=total, kind=kind,
                                            openid=(data.get("payer") or {}).get("openid"),
                                            notify_url=data["notify_url"], prepay_id="wx" + secrets.token_hex(14))
        if kind == "jsapi":
            return 200, {"prepay_id": order.prepay_id}
        return 200, {"h5_url": f"https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id={order.prepay_id}"
                               f"&package=2150917749"}

    def _query(self, no: str) -> tuple[int, dict]:
        order = self.orders.get(no)
        if order is None:
            return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
        return 200, self.transaction(order)

    def _close(self, no: str, data: dict) -> tuple[int, dict | None]:
        order = self.orders.get(no)
        if data.get("mchid") != MCHID or order is None:
            return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
        if order.state == "SUCCESS":
            return 400, {"code": "ORDERPAID", "message": "订单已支付"}
        order.state = "CLOSED"
        return 204, None

    def _refund(self, data: dict) -> tuple[int, dict]:
        order = next((o for o in self.orders.values() if o.transaction_id == data.get("transaction_id")), None)
        if order is None or order.state not in ("SUCCESS", "REFUND"):
            return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在"}
        no, amount = data["out_refund_no"], data["amount"]
        if no in self.refunds:
            return 200, self._refund_body(self.refunds[no])
        if amount["total"] != order.total:
            return 400, {"code": "PARAM_ERROR", "message": "amount.total"}
        if self.refund_answer not in ("PROCESSING", "SUCCESS"):
            return 403, {"code": self.refund_answer, "message": "退款被拒绝"}
        refunded = sum(r.amount for r in self.refunds.values() if r.order is order and r.status != "CLOSED")
        if refunded + amount["refund"] > order.total:
            return 400, {"code": "INVALID_REQUEST", "message": "退款金额超过订单剩余可退金额"}
        refund = self.refunds[no] = Refund(out_refund_no=no, refund_id="50" + secrets.token_hex(14), order=order,
                                           amount=amount["refund"], status=self.refund_answer, created=_now())
        order.state = "REFUND"
        return 200, self._refund_body(refund)

    def _refund_body(self, refund: Refund) -> dict:
        return {
            "refund_id": refund.refund_id, "out_refund_no": refund.out_refund_no,
            "transaction_id": refund.order.transaction_id, "out_trade_no": refund.order.out_trade_no,
            "channel": "ORIGINAL", "status": refund.status, "create_time": refund.created,
            "amount": {"total": refund.order.total, "refund": refund.amount, "payer_total": refund.order.total,
                       "payer_refund": refund.amount, "currency": "CNY"},
        }

    # --- what happens at WeChat Pay, for the tests -----------------------------------------------------
    def pay(self, out_trade_no: str, *, at: datetime | None = None) -> Order:
        """The payer pays the order in WeChat."""
        order = self.orders[out_trade_no]
        assert order.state == "NOTPAY", order.state
        order.state = "SUCCESS"
        order.transaction_id = "42000" + secrets.token_hex(12)
        order.success_time = (at or datetime.now(UTC)).isoformat(timespec="seconds")
        return order

    def finish_refund(self, out_refund_no: str, status: str) -> Refund:
        refund = self.refunds[out_refund_no]
        refund.status = status
        return refund

    def transaction(self, order: Order, *, total: int | None = None) -> dict:
        body = {
            "appid": APPID, "mchid": MCHID, "out_trade_no": order.out_trade_no, "trade_state": order.state,
            "trade_state_desc": order.state, "amount": {"total": total or order.total,
                                                        "payer_total": total or order.total, "currency": "CNY",
                                                        "payer_currency": "CNY"},
        }
        if order.transaction_id:
            body.update(transaction_id=order.transaction_id, trade_type=order.kind.upper(), bank_type="OTHERS",
                        success_time=order.success_time, payer={"openid": order.openid or "o-h5-payer"})
        return body

    def jsapi_signed(self, params: dict) -> bool:
        """Whether a JSAPI parameter set carries this merchant's signature, as WeChat checks it:
        ``appId\ntimeStamp\nnonceStr\npackage\n`` (RSA, SHA256)."""
        message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
        return rsa_verify(self.merchant_key.public_key(), message, params["paySign"])

    def notification(self, resource: dict, *, event_type: str = "TRANSACTION.SUCCESS", timestamp: int | None = None,
                     key: rsa.RSAPrivateKey | None = None, serial: str = PUBLIC_KEY_ID, apiv3_key: str | None = None,
                     tamper: bool = False) -> tuple[dict[str, str], bytes]:
        """A callback as WeChat Pay sends it: (headers, raw body)."""
        nonce = secrets.token_urlsafe(9)[:12]
        associated = "transaction" if event_type.startswith("TRANSACTION") else "refund"
        sealed = AESGCM((apiv3_key or self.apiv3_key).encode()).encrypt(
            nonce.encode(), json.dumps(resource, ensure_ascii=False).encode(), associated.encode())
        if tamper:
            sealed = bytes([sealed[0] ^ 1]) + sealed[1:]
        body = json.dumps({
            "id": secrets.token_hex(18), "create_time": _now(), "resource_type": "encrypt-resource",
            "event_type": event_type, "summary": "支付成功" if associated == "transaction" else "退款状态改变",
            "resource": {"original_type": associated, "algorithm": "AEAD_AES_256_GCM",
                         "ciphertext": base64.b64encode(sealed).decode(), "associated_data": associated,
                         "nonce": nonce},
        }, ensure_ascii=False)
        headers = self.signed_headers(body, timestamp=timestamp, key=key, serial=serial)
        headers["Content-Type"] = "application/json"
        return headers, body.encode()

    def paid_notification(self, out_trade_no: str, *, total: int | None = None, **kwargs) -> tuple[dict, bytes]:
        return self.notification(self.transaction(self.orders[out_trade_no], total=total), **kwargs)

    def refund_notification(self, out_refund_no: str, **kwargs) -> tuple[dict, bytes]:
        refund = self.refunds[out_refund_no]
        event = {"SUCCESS": "REFUND.SUCCESS", "CLOSED": "REFUND.CLOSED", "ABNORMAL": "REFUND.ABNORMAL"}[refund.status]
        resource = {**self._refund_body(refund), "mchid": MCHID, "refund_status": refund.status}
        resource.pop("status")
        return self.notification(resource, event_type=event, **kwargs)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
