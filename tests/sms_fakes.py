"""Local fakes of the Aliyun and Tencent Cloud SMS endpoints, for the providers' official SDKs to talk to.

Each fake is a threaded HTTP server on 127.0.0.1 (a free port) that checks a request the way the real
endpoint documents it — Aliyun's V3 request signature (``ACS3-HMAC-SHA256``), Tencent Cloud's API 3.0
signature (``TC3-HMAC-SHA256``) — with the keys the test made, and answers in the endpoint's JSON. What it
accepts is recorded in ``sent``; ``fail_next(code)`` makes the next accepted message fail with a provider
error code (it goes to ``failed``); ``hang()`` makes it hold every request until the fake stops (a
provider that never answers).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

from tests.live import free_port


@dataclass(frozen=True)
class Message:
    phone: str
    sign: str
    template: str
    params: list[str] | dict[str, str]


class Refused(Exception):
    """The request is refused before any message is considered (authentication, malformed request)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class _FakeEndpoint:
    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.failed: list[Message] = []  # taken, then answered with a fail_next code
        self.refusals: list[str] = []  # the error code of every refused or failed request
        self._failures: list[str] = []
        self._release = threading.Event()
        self._hanging = False
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if fake._hanging:
                    fake._release.wait()
                    return
                status, answer = fake.answer(self.command, self.path, self.headers, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, *codes: str) -> None:
        """The next accepted messages (one per code) fail with these provider error codes."""
        with self._lock:
            self._failures.extend(codes)

    def hang(self) -> None:
        self._hanging = True

    def _take_failure(self) -> str | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def answer(self, method: str, path: str, headers, body: bytes) -> tuple[int, dict]:
        raise NotImplementedError


def closed_port_url() -> str:
    """An http address on 127.0.0.1 where nothing listens: connecting is refused at once."""
    return f"http://127.0.0.1:{free_port()}"


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


class AliyunSmsFake(_FakeEndpoint):
    """dysmsapi.aliyuncs.com, action SendSms of API version 2017-05-25, RPC style, signed with the V3
    signature: ``Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<names>,Signature=<hex>``
    over the canonical request (method, path, sorted percent-encoded query, the signed headers, the hashed
    payload in ``x-acs-content-sha256``). Every request needs a fresh ``x-acs-signature-nonce``."""

    REQUIRED_SIGNED = {"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce",
                       "x-acs-version"}

    def __init__(self, access_key_id: str | None = None, access_key_secret: str | None = None) -> None:
        super().__init__()
        self.access_key_id = access_key_id or "LTAI" + secrets.token_hex(8)
        self.access_key_secret = access_key_secret or secrets.token_urlsafe(24)
        self._nonces: set[str] = set()

    def answer(self, method, path, headers, body):
        request_id = str(uuid.uuid4()).upper()
        try:
            params = self._authenticated(method, path, headers, body)
        except Refused as refused:
            self.refusals.append(refused.code)
            return refused.status, {"RequestId": request_id, "Code": refused.code, "Message": refused.message}
        message = Message(phone=params["PhoneNumbers"], sign=params["SignName"], template=params["TemplateCode"],
                          params=json.loads(params["TemplateParam"]))
        failure = self._take_failure()
        if failure:
            self.refusals.append(failure)
            self.failed.append(message)
            return 200, {"RequestId": request_id, "Code": failure, "Message": f"refused: {failure}"}
        self.sent.append(message)
        return 200, {"RequestId": request_id, "Code": "OK", "Message": "OK", "BizId": f"{time.time_ns()}^0"}

    def _authenticated(self, method, path, headers, body) -> dict[str, str]:
        scheme, _, fields = (headers.get("Authorization") or "").partition(" ")
        if scheme != "ACS3-HMAC-SHA256":
            raise Refused(400, "MissingAuthorization", "an ACS3-HMAC-SHA256 Authorization header is required")
        parts = dict(part.strip().split("=", 1) for part in fields.split(",") if "=" in part)
        if parts.get("Credential") != self.access_key_id:
            raise Refused(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        signed = parts.get("SignedHeaders", "").split(";")
        if not self.REQUIRED_SIGNED <= set(signed) or signed != sorted(signed):
            raise Refused(400, "IncompleteSignature", f"SignedHeaders must include {sorted(self.REQUIRED_SIGNED)}")
        if headers.get("x-acs-content-sha256", "") != _sha256_hex(body):
            raise Refused(400, "InvalidParameter.ContentSHA256", "x-acs-content-sha256 does not match the body")
        url = urlsplit(path)
        query = parse_qsl(url.query, keep_blank_values=True)
        canonical_query = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(query))
        canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed)
        canonical = "\n".join([method, url.path or "/", canonical_query, canonical_headers, ";".join(signed),
                               headers.get("x-acs-content-sha256", "")])
        to_sign = f"ACS3-HMAC-SHA256\n{_sha256_hex(canonical.encode())}"
        expected = _hmac(self.access_key_secret.encode(), to_sign).hex()
        if not hmac.compare_digest(expected, parts.get("Signature", "")):
            raise Refused(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
        try:
            sent_at = datetime.strptime(headers.get("x-acs-date", ""), "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise Refused(400, "InvalidTimeStamp.Format", "x-acs-date must be yyyy-MM-ddTHH:mm:ssZ") from None
        if abs(time.time() - sent_at.replace(tzinfo=timezone.utc).timestamp()) > 15 * 60:
            raise Refused(400, "InvalidTimeStamp.Expired", "x-acs-date is more than 15 minutes off")
        with self._lock:
            if headers.get("x-acs-signature-nonce", "") in self._nonces:
                raise Refused(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
            self._nonces.add(headers.get("x-acs-signature-nonce", ""))
        if (headers.get("x-acs-action", ""), headers.get("x-acs-version", "")) != ("SendSms", "2017-05-25"):
            raise Refused(400, "InvalidAction.NotFound", "only SendSms of 2017-05-25 is faked")
        params = dict(query)
        if body and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(body.decode(), keep_blank_values=True))
        missing = {"PhoneNumbers", "SignName", "TemplateCode", "TemplateParam"} - set(params)
        if missing:
            raise Refused(400, "MissingParameter", f"missing {sorted(missing)}")
        return params


class TencentSmsFake(_FakeEndpoint):
    """sms.tencentcloudapi.com, action SendSms of API version 2021-01-11, signed with API 3.0's
    ``TC3-HMAC-SHA256``: ``Credential=<SecretId>/<date>/sms/tc3_request, SignedHeaders=content-type;host,
    Signature=<hex>``, the key derived from ``"TC3" + SecretKey`` by date, service and ``tc3_request``."""

    def __init__(self, secret_id: str | None = None, secret_key: str | None = None,
                 sdk_app_id: str = "1400000001") -> None:
        super().__init__()
        self.secret_id = secret_id or "AKID" + secrets.token_hex(16)
        self.secret_key = secret_key or secrets.token_urlsafe(24)
        self.sdk_app_id = sdk_app_id

    def answer(self, method, path, headers, body):
        request_id = str(uuid.uuid4())
        try:
            params = self._authenticated(method, path, headers, body)
        except Refused as refused:
            self.refusals.append(refused.code)
            return 200, {"Response": {"Error": {"Code": refused.code, "Message": refused.message},
                                      "RequestId": request_id}}
        phone = params["PhoneNumberSet"][0]
        message = Message(phone=phone, sign=params["SignName"], template=params["TemplateId"],
                          params=list(params.get("TemplateParamSet") or []))
        failure = self._take_failure()
        if failure:
            self.refusals.append(failure)
        (self.failed if failure else self.sent).append(message)
        status = {"SerialNo": secrets.token_hex(8), "PhoneNumber": phone, "Fee": 0 if failure else 1,
                  "SessionContext": "", "Code": failure or "Ok",
                  "Message": f"refused: {failure}" if failure else "send success", "IsoCode": "CN"}
        return 200, {"Response": {"SendStatusSet": [status], "RequestId": request_id}}

    def _authenticated(self, method, path, headers, body) -> dict:
        scheme, _, fields = (headers.get("Authorization") or "").partition(" ")
        if scheme != "TC3-HMAC-SHA256":
            raise Refused(200, "AuthFailure.SignatureFailure", "a TC3-HMAC-SHA256 Authorization is required")
        parts = dict(part.strip().split("=", 1) for part in fields.split(",") if "=" in part)
        secret_id, _, scope = parts.get("Credential", "").partition("/")
        date, _, service_scope = scope.partition("/")
        if secret_id != self.secret_id:
            raise Refused(200, "AuthFailure.SecretIdNotFound", "The SecretId is not found.")
        if service_scope != "sms/tc3_request":
            raise Refused(200, "AuthFailure.SignatureFailure", "the credential scope must be <date>/sms/tc3_request")
        stamp = (headers.get("X-TC-Timestamp") or "").strip()
        timestamp = int(stamp) if stamp.isdigit() else 0
        if abs(time.time() - timestamp) > 5 * 60:
            raise Refused(200, "AuthFailure.SignatureExpire", "X-TC-Timestamp is more than 5 minutes off")
        if datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d") != date:
            raise Refused(200, "AuthFailure.SignatureFailure", "the credential date is not the timestamp's date")
        signed = parts.get("SignedHeaders", "").split(";")
        if not {"content-type", "host"} <= set(signed):
            raise Refused(200, "AuthFailure.SignatureFailure", "content-type and host must be signed")
        canonical_headers = "".join(f"{name}:{headers.get(name, '').strip().lower()}\n" for name in signed)
        url = urlsplit(path)
        canonical = "\n".join([method, url.path or "/", url.query, canonical_headers, ";".join(signed),
                               _sha256_hex(body)])
        to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{_sha256_hex(canonical.encode())}"
        key = _hmac(_hmac(_hmac(("TC3" + self.secret_key).encode(), date), "sms"), "tc3_request")
        if not hmac.compare_digest(_hmac(key, to_sign).hex(), parts.get("Signature", "")):
            raise Refused(200, "AuthFailure.SignatureFailure", "The provided credentials could not be validated.")
        if (headers.get("X-TC-Action"), headers.get("X-TC-Version")) != ("SendSms", "2021-01-11"):
            raise Refused(200, "InvalidAction", "only SendSms of 2021-01-11 is faked")
        params = json.loads(body)
        if params.get("SmsSdkAppId") != self.sdk_app_id:
            raise Refused(200, "InvalidParameterValue.SdkAppIdNotExist", "SmsSdkAppId does not exist")
        missing = {"PhoneNumberSet", "SignName", "TemplateId"} - set(params)
        if missing:
            raise Refused(200, "MissingParameter", f"missing {sorted(missing)}")
        return params
