"""Aliyun SMS (短信服务, dysmsapi API 2017-05-25, action SendSms) through the official SDK
``alibabacloud-dysmsapi20170525``. The SDK signs with Aliyun's V3 signature (ACS3-HMAC-SHA256).
The answer's ``Code`` is ``OK`` when the message was taken; anything else (isv.BUSINESS_LIMIT_CONTROL,
isv.MOBILE_NUMBER_ILLEGAL, …) or an exception (authentication, network, timeout) means it was not."""

from __future__ import annotations

import json

from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_dysmsapi20170525.models import SendSmsRequest
from alibabacloud_tea_openapi.models import Config
from Tea.exceptions import TeaException

from evperks.config import Settings
from evperks.services.sms import SmsNotSent
from evperks.services.sms_providers import required, scheme_and_host


class AliyunSms:
    name = "aliyun"

    def __init__(self, settings: Settings) -> None:
        key_id, key_secret, self._sign_name, self._template_code = required(
            settings, self.name, "sms_aliyun_access_key_id", "sms_aliyun_access_key_secret",
            "sms_aliyun_sign_name", "sms_aliyun_template_code")
        self._template_param = settings.sms_aliyun_template_param
        protocol, host = scheme_and_host(settings.sms_aliyun_endpoint)
        timeout_ms = int(settings.sms_timeout_seconds * 1000)
        self._client = Client(Config(access_key_id=key_id, access_key_secret=key_secret, protocol=protocol,
                                     endpoint=host, connect_timeout=timeout_ms, read_timeout=timeout_ms))

    def send_code(self, *, phone: str, code: str) -> None:
        request = SendSmsRequest(phone_numbers=phone, sign_name=self._sign_name, template_code=self._template_code,
                                 template_param=json.dumps({self._template_param: code}))
        try:
            answer = self._client.send_sms(request).body
        except TeaException as exc:
            # Not chained: the SDK's network errors quote the request URL, and with it the code.
            raise SmsNotSent(exc.code or type(getattr(exc, "inner_exception", exc)).__name__) from None
        if answer.code != "OK":
            raise SmsNotSent(f"{answer.code} (request {answer.request_id})")
