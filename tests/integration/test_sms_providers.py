"""The Aliyun and Tencent Cloud SMS providers, through their official SDKs, against local fakes of their
endpoints that check the signatures (both engines); a failed send is a clear 503, logged, and counts
against no limit."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from evperks.api.errors import status_of
from evperks.app import create_app
from evperks.db.tables_web import sms_codes
from evperks.services import sms
from evperks.services.context import Context
from evperks.services.errors import Conflict
from tests import factories as f
from tests.sms_fakes import AliyunSmsFake, Message, TencentSmsFake, closed_port_url

NOON = f.local(2026, 3, 12, 12)
PHONE = "13900000001"


def configured(ctx, **settings):
    """``ctx`` outside sandbox mode with these settings (the provider is built as the application would)."""
    return type(ctx)(db=ctx.db, clock=ctx.clock,
                     settings=ctx.settings.model_copy(update={"sandbox": False, **settings}))


@dataclass
class Case:
    """One provider under test: its running fake, a context configured for it, and what to expect of it."""

    name: str
    fake: AliyunSmsFake | TencentSmsFake
    ctx: Context
    wrong_secret: dict  # settings whose signatures the fake refuses
    endpoint_setting: str
    signature_refusal: str  # the provider's error code for a refused signature
    business_refusal: str  # an error code the provider answers for a message it will not send

    def expected(self, code: str) -> Message:
        if self.name == "aliyun":
            return Message(PHONE, "易充会员", "SMS_300000001", {"code": code})
        return Message("+86" + PHONE, "易充会员", "1800001", [code])

    @staticmethod
    def code_in(message: Message) -> str:
        return message.params["code"] if isinstance(message.params, dict) else message.params[0]


def aliyun_case(ctx, fake: AliyunSmsFake) -> Case:
    settings = {"sms_provider": "aliyun", "sms_aliyun_access_key_id": fake.access_key_id,
                "sms_aliyun_access_key_secret": fake.access_key_secret, "sms_aliyun_sign_name": "易充会员",
                "sms_aliyun_template_code": "SMS_300000001", "sms_aliyun_endpoint": fake.url}
    return Case("aliyun", fake, configured(ctx, **settings), {"sms_aliyun_access_key_secret": "not-the-secret"},
                "sms_aliyun_endpoint", "SignatureDoesNotMatch", "isv.BUSINESS_LIMIT_CONTROL")


def tencent_case(ctx, fake: TencentSmsFake) -> Case:
    settings = {"sms_provider": "tencent", "sms_tencent_secret_id": fake.secret_id,
                "sms_tencent_secret_key": fake.secret_key, "sms_tencent_sdk_app_id": fake.sdk_app_id,
                "sms_tencent_sign_name": "易充会员", "sms_tencent_template_id": "1800001",
                "sms_tencent_endpoint": fake.url}
    return Case("tencent", fake, configured(ctx, **settings), {"sms_tencent_secret_key": "not-the-secret"},
                "sms_tencent_endpoint", "AuthFailure.SignatureFailure", "LimitExceeded.PhoneNumberDailyLimit")


CASES = {"aliyun": (AliyunSmsFake, aliyun_case), "tencent": (TencentSmsFake, tencent_case)}


@pytest.fixture(params=sorted(CASES))
def provider(request, ctx) -> Iterator[Case]:
    make_fake, case = CASES[request.param]
    ctx.clock.move_to(NOON)
    with make_fake() as fake:
        yield case(ctx, fake)


def stored_codes(ctx) -> list:
    with ctx.db.read() as conn:
        return conn.execute(select(sms_codes)).all()


def refused_send(ctx, caplog) -> str:
    """Asks for a code that the provider does not send; returns the warning logged."""
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="evperks.sms"), pytest.raises(sms.SmsSendFailed) as failed:
        sms.request_code(ctx, phone=PHONE)
    assert (status_of(failed.value), [(e.field, e.code, e.message) for e in failed.value.errors]) == (
        503, [("phone", "sms.send_failed", sms.SEND_FAILED)])
    (record,) = [r for r in caplog.records if r.name == "evperks.sms"]
    assert record.levelno == logging.WARNING
    return record.getMessage()


def test_a_code_goes_through_the_providers_sdk_to_its_endpoint_and_then_verifies(provider):
    sent = sms.request_code(provider.ctx, phone=PHONE)
    assert (sent.provider, sent.shown_code, sent.expires_at) == (provider.name, None, NOON + sms.CODE_TTL)
    (received,) = provider.fake.sent
    code = provider.code_in(received)
    assert len(code) == 6 and code.isdigit() and received == provider.expected(code)
    assert sms.check_code(provider.ctx, phone=PHONE, code=code) == PHONE


def test_wrong_credentials_are_refused_by_the_endpoint_and_count_for_nothing(provider, caplog):
    logged = refused_send(configured(provider.ctx, **provider.wrong_secret), caplog)
    assert provider.fake.refusals == [provider.signature_refusal] and provider.fake.sent == []
    assert logged == f"SMS provider {provider.name} did not send a code to 139****0001: {provider.signature_refusal}"
    assert stored_codes(provider.ctx) == []
    assert sms.request_code(provider.ctx, phone=PHONE).provider == provider.name  # at once: no interval started
    assert len(provider.fake.sent) == 1


def test_a_provider_error_code_fails_cleanly_logs_the_code_and_leaves_no_usable_code(provider, caplog):
    provider.fake.fail_next(provider.business_refusal)
    logged = refused_send(provider.ctx, caplog)
    (failed,) = provider.fake.failed
    unsent = provider.code_in(failed)
    assert provider.business_refusal in logged and unsent not in caplog.text
    assert stored_codes(provider.ctx) == []
    with pytest.raises(sms.Invalid) as refused:  # the code the provider refused cannot be used
        sms.check_code(provider.ctx, phone=PHONE, code=unsent)
    assert [(e.field, e.message) for e in refused.value.errors] == [("code", sms.NO_CODE)]


def test_an_unreachable_endpoint_fails_cleanly(provider, caplog):
    logged = refused_send(configured(provider.ctx, **{provider.endpoint_setting: closed_port_url()}), caplog)
    assert logged.startswith(f"SMS provider {provider.name} did not send a code to 139****0001: ")
    assert stored_codes(provider.ctx) == []


def test_an_endpoint_that_never_answers_fails_when_the_timeout_ends(provider, caplog):
    provider.fake.hang()
    refused_send(configured(provider.ctx, sms_timeout_seconds=0.5), caplog)
    assert stored_codes(provider.ctx) == [] and provider.fake.sent == []


def test_after_failures_the_member_still_gets_five_codes_that_hour(provider, caplog):
    ctx = provider.ctx
    provider.fake.fail_next(*[provider.business_refusal] * 3)
    for _ in range(3):
        refused_send(ctx, caplog)
    for minute in range(sms.MAX_PER_HOUR):
        ctx.clock.move_to(NOON + timedelta(minutes=minute))
        sms.request_code(ctx, phone=PHONE)
    assert len(provider.fake.sent) == sms.MAX_PER_HOUR and len(stored_codes(ctx)) == sms.MAX_PER_HOUR
    ctx.clock.move_to(NOON + timedelta(minutes=30))
    with pytest.raises(Conflict, match="an hour"):
        sms.request_code(ctx, phone=PHONE)


def test_ten_parallel_requests_for_one_phone_send_one_code(provider):
    def ask(_):
        try:
            return sms.request_code(provider.ctx, phone=PHONE).provider
        except Conflict as exc:
            return exc.errors[0].message

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = sorted(pool.map(ask, range(10)))
    assert outcomes == sorted([provider.name] + [sms.TOO_SOON] * 9)
    assert len(provider.fake.sent) == 1 and len(stored_codes(provider.ctx)) == 1


def test_a_provider_missing_a_setting_stops_the_application_at_start_naming_it(provider):
    setting = "sms_aliyun_sign_name" if provider.name == "aliyun" else "sms_tencent_sdk_app_id"
    with pytest.raises(ValueError, match=f"EVPERKS_SMS_PROVIDER='{provider.name}' needs EVPERKS_{setting.upper()}$"):
        create_app(ctx=configured(provider.ctx, **{setting: None}))


def test_the_h5_page_tells_the_member_the_sms_failed_and_keeps_the_number(provider):
    provider.fake.fail_next(provider.business_refusal)
    with TestClient(create_app(ctx=configured(provider.ctx, scheduler=False))) as client:
        page = client.post("/h5/register", data={"action": "send", "phone": PHONE})
        assert page.status_code == 503
        assert "短信发送失败，请稍后再试" in page.text and f'value="{PHONE}"' in page.text
        again = client.post("/h5/register", data={"action": "send", "phone": PHONE})
        assert again.status_code == 200 and "短信发送失败" not in again.text
    assert len(provider.fake.sent) == 1


def test_a_provider_whose_sdk_is_not_installed_stops_the_application_at_start_saying_what_to_install(
        provider, monkeypatch):
    sdk = {"aliyun": "alibabacloud_dysmsapi20170525.client", "tencent": "tencentcloud.sms.v20210111.sms_client"}
    monkeypatch.setitem(sys.modules, sdk[provider.name], None)  # what an import finds when the package is absent
    monkeypatch.delitem(sys.modules, f"evperks.services.sms_providers.{provider.name}", raising=False)
    hint = rf"EVPERKS_SMS_PROVIDER='{provider.name}' cannot be loaded: .*\(pip install 'evperks\[{provider.name}\]'\)$"
    with pytest.raises(ValueError, match=hint):
        create_app(ctx=configured(provider.ctx, sms_timeout_seconds=4.0))  # settings unlike any built provider's


class ExplodingProvider:
    """A provider as EVPERKS_SMS_PROVIDER=module:factory names one, whose SDK raises something unforeseen."""

    name = "exploding"

    def __init__(self, settings) -> None:
        pass

    def send_code(self, *, phone: str, code: str) -> None:
        raise RuntimeError(f"gateway exploded while sending {code}")


def test_whatever_a_custom_provider_raises_the_member_gets_a_503_and_nothing_is_counted(ctx, caplog):
    ctx.clock.move_to(NOON)
    exploding = configured(ctx, sms_provider=f"{__name__}:ExplodingProvider")
    assert refused_send(exploding, caplog) == "SMS provider exploding did not send a code to 139****0001: RuntimeError"
    assert "gateway exploded" not in caplog.text
    assert stored_codes(ctx) == []


def test_sandbox_names_the_sandbox_provider_even_outside_sandbox_mode(ctx):
    sent = sms.request_code(configured(ctx, sms_provider="sandbox"), phone=PHONE)
    assert sent.provider == "sandbox" and len(sent.shown_code) == 6
