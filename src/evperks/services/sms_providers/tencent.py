"""Tencent Cloud SMS (API 2021-01-11, action SendSms) through the official SDK
``tencentcloud-sdk-python-sms``, signed with API 3.0's TC3-HMAC-SHA256. The message was taken when
``SendStatusSet[0].Code`` is ``Ok``; another code (LimitExceeded.PhoneNumberDailyLimit, …) or a
TencentCloudSDKException (authentication, ClientNetworkError, timeout) means it was not."""

from __future__ import annotations

from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111.models import SendSmsRequest
from tencentcloud.sms.v20210111.sms_client import SmsClient

from evperks.config import Settings
from evperks.services.sms import SmsNotSent
from evperks.services.sms_providers import required, scheme_and_host


class TencentSms:
    name = "tencent"

    def __init__(self, settings: Settings) -> None:
        secret_id, secret_key, self._app_id, self._sign_name, self._template_id = required(
            settings, self.name, "sms_tencent_secret_id", "sms_tencent_secret_key", "sms_tencent_sdk_app_id",
            "sms_tencent_sign_name", "sms_tencent_template_id")
        protocol, host = scheme_and_host(settings.sms_tencent_endpoint)
        # reqTimeout bounds both the connection and each read (it is requests' timeout).
        http = HttpProfile(protocol=protocol, endpoint=host, reqTimeout=settings.sms_timeout_seconds)
        self._client = SmsClient(Credential(secret_id, secret_key), settings.sms_tencent_region,
                                 ClientProfile(httpProfile=http))

    def send_code(self, *, phone: str, code: str) -> None:
        request = SendSmsRequest()
        request.PhoneNumberSet = [f"+86{phone}"]  # E.164; evperks phones are mainland mobile numbers
        request.SmsSdkAppId = self._app_id
        request.SignName = self._sign_name
        request.TemplateId = self._template_id
        request.TemplateParamSet = [code]
        try:
            answer = self._client.SendSms(request)
        except TencentCloudSDKException as exc:
            raise SmsNotSent(exc.get_code() or "TencentCloudSDKException") from None
        status = answer.SendStatusSet[0] if answer.SendStatusSet else None
        if status is None or status.Code != "Ok":
            raise SmsNotSent(f"{status.Code if status else 'no status'} (request {answer.RequestId})")
