"""The Aliyun and Tencent Cloud SMS providers, through their official SDKs, against local fakes of their
endpoints that check the signatures (both engines); a failed send is a clear 503, logged, and counts
against no limit."""

from __future__ import annotations

import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from evperks.app import create_app
from evperks.db.tables_web import sms_codes
from evperks.services import sms
from evperks.services.errors import Conflict
from tests import factories as f
from tests.sms_fakes import AliyunSmsFake, Message, TencentSmsFake, closed_port_url

NOON = f.local(2026, 3, 12, 12)
PHONE = "13900000001"


def aliyun_settings(fake: AliyunSmsFake, **changes) -> dict:
    return {"sms_provider": "aliyun", "sms_aliyun_access_key_id": fake.access_key_id,
            "sms_aliyun_access_key_secret": fake.access_key_secret, "sms_aliyun_sign_name": "易充会员",
            "sms_aliyun_template_code": "SMS_300000001", "sms_aliyun_endpoint": fake.url, **changes}


def tencent_settings(fake: TencentSmsFake, **changes) -> dict:
    return {"sms_provider": "tencent", "sms_tencent_secret_id": fake.secret_id,
            "sms_tencent_secret_key": fake.secret_key, "sms_tencent_sdk_app_id": fake.sdk_app_id,
            "sms_tencent_sign_name": "易充会员", "sms_tencent_template_id": "1800001",
            "sms_tencent_endpoint": fake.url, **changes}


PROVIDERS = {
    "aliyun": (AliyunSmsFake, aliyun_settings, lambda code: Message(PHONE, "易充会员", "SMS_300000001", {"code": code}),
               "SignatureDoesNotMatch", "isv.BUSINESS_LIMIT_CONTROL"),
    "tencent": (TencentSmsFake, tencent_settings, lambda code: Message("+86" + PHONE, "易充会员", "1800001", [code]),
                "AuthFailure.SignatureFailure", "LimitExceeded.PhoneNumberDailyLimit"),
}
WRONG_SECRET = {"aliyun": {"sms_aliyun_access_key_secret": "not-the-secret"},
                "tencent": {"sms_tencent_secret_key": "not-the-secret"}}
ENDPOINT = {"aliyun": "sms_aliyun_endpoint", "tencent": "sms_tencent_endpoint"}


def configured(ctx, **settings):
    """``ctx`` outside sandbox mode with these settings (the provider is built as the application would)."""
    return type(ctx)(db=ctx.db, clock=ctx.clock,
                     settings=ctx.settings.model_copy(update={"sandbox": False, **settings}))


@pytest.fixture(params=sorted(PROVIDERS))
def provider(request, ctx):
    """(name, the running fake, a context configured for it, the message the fake should get for a code)."""
    make_fake, settings_for, message, *_ = PROVIDERS[request.param]
    ctx.clock.move_to(NOON)
    with make_fake() as fake:
        yield request.param, fake, configured(ctx, **settings_for(fake)), message


def stored_codes(ctx) -> list:
    with ctx.db.read() as conn:
        return conn.execute(select(sms_codes)).all()


def refused_send(ctx, caplog) -> str:
    """Asks for a code that the provider does not send; returns the warning logged."""
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="evperks.sms"), pytest.raises(sms.SmsSendFailed) as failed:
        sms.request_code(ctx, phone=PHONE)
    assert (failed.value.status, failed.value.errors) == (503, [("phone", sms.SEND_FAILED)])
    (record,) = [r for r in caplog.records if r.name == "evperks.sms"]
    assert record.levelno == logging.WARNING
    return record.getMessage()


def test_a_code_goes_through_the_providers_sdk_to_its_endpoint_and_then_verifies(provider):
    name, fake, ctx, message = provider
    sent = sms.request_code(ctx, phone=PHONE)
    assert (sent.provider, sent.shown_code, sent.expires_at) == (name, None, NOON + sms.CODE_TTL)
    (received,) = fake.sent
    code = received.params["code"] if name == "aliyun" else received.params[0]
    assert len(code) == 6 and code.isdigit() and received == message(code)
    assert sms.check_code(ctx, phone=PHONE, code=code) == PHONE


def test_wrong_credentials_are_refused_by_the_endpoint_and_count_for_nothing(provider, caplog):
    name, fake, ctx, _ = provider
    *_, signature_refusal, _ = PROVIDERS[name]
    wrong = configured(ctx, **WRONG_SECRET[name])
    logged = refused_send(wrong, caplog)
    assert fake.refusals == [signature_refusal] and fake.sent == []
    assert logged == f"SMS provider {name} did not send a code to 139****0001: {signature_refusal}"
    assert stored_codes(ctx) == []
    assert sms.request_code(ctx, phone=PHONE).provider == name  # at once: no resend interval was started
    assert len(fake.sent) == 1


def test_a_provider_error_code_fails_cleanly_logs_the_code_and_leaves_no_usable_code(provider, caplog):
    name, fake, ctx, _ = provider
    *_, business_refusal = PROVIDERS[name]
    fake.fail_next(business_refusal)
    logged = refused_send(ctx, caplog)
    (failed,) = fake.failed
    unsent = failed.params["code"] if name == "aliyun" else failed.params[0]
    assert business_refusal in logged and unsent not in caplog.text
    assert stored_codes(ctx) == []
    with pytest.raises(sms.Invalid) as refused:  # the code the provider refused cannot be used
        sms.check_code(ctx, phone=PHONE, code=unsent)
    assert refused.value.errors == [("code", sms.NO_CODE)]


def test_an_unreachable_endpoint_fails_cleanly(provider, caplog):
    name, _, ctx, _ = provider
    unreachable = configured(ctx, **{ENDPOINT[name]: closed_port_url()})
    logged = refused_send(unreachable, caplog)
    assert logged.startswith(f"SMS provider {name} did not send a code to 139****0001: ")
    assert stored_codes(ctx) == []


def test_an_endpoint_that_never_answers_fails_when_the_timeout_ends(provider, caplog):
    name, fake, ctx, _ = provider
    fake.hang()
    refused_send(configured(ctx, sms_timeout_seconds=0.5), caplog)
    assert stored_codes(ctx) == [] and fake.sent == []


def test_after_failures_the_member_still_gets_five_codes_that_hour(provider, caplog):
    name, fake, ctx, _ = provider
    *_, business_refusal = PROVIDERS[name]
    fake.fail_next(business_refusal, business_refusal, business_refusal)
    for _ in range(3):
        refused_send(ctx, caplog)
    for minute in range(sms.MAX_PER_HOUR):
        ctx.clock.move_to(NOON + timedelta(minutes=minute))
        sms.request_code(ctx, phone=PHONE)
    assert len(fake.sent) == sms.MAX_PER_HOUR and len(stored_codes(ctx)) == sms.MAX_PER_HOUR
    ctx.clock.move_to(NOON + timedelta(minutes=30))
    with pytest.raises(Conflict, match="an hour"):
        sms.request_code(ctx, phone=PHONE)


def test_ten_parallel_requests_for_one_phone_send_one_code(provider):
    _, fake, ctx, _ = provider

    def ask(_):
        try:
            return sms.request_code(ctx, phone=PHONE).provider
        except Conflict as exc:
            return exc.errors[0][1]

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = sorted(pool.map(ask, range(10)))
    assert outcomes == sorted([provider[0]] + [sms.TOO_SOON] * 9)
    assert len(fake.sent) == 1 and len(stored_codes(ctx)) == 1


def test_a_provider_missing_a_setting_stops_the_application_at_start_naming_it(provider):
    name, fake, ctx, _ = provider
    setting = "sms_aliyun_sign_name" if name == "aliyun" else "sms_tencent_sdk_app_id"
    missing = configured(ctx, **{setting: None})
    with pytest.raises(ValueError, match=f"EVPERKS_SMS_PROVIDER='{name}' needs EVPERKS_{setting.upper()}$"):
        create_app(ctx=missing)


def test_the_h5_page_tells_the_member_the_sms_failed_and_keeps_the_number(provider):
    name, fake, ctx, _ = provider
    *_, business_refusal = PROVIDERS[name]
    fake.fail_next(business_refusal)
    with TestClient(create_app(ctx=configured(ctx, scheduler=False))) as client:
        page = client.post("/h5/register", data={"action": "send", "phone": PHONE})
        assert page.status_code == 503
        assert "短信发送失败，请稍后再试" in page.text and f'value="{PHONE}"' in page.text
        again = client.post("/h5/register", data={"action": "send", "phone": PHONE})
        assert again.status_code == 200 and "短信发送失败" not in again.text
    assert len(fake.sent) == 1


def test_a_provider_whose_sdk_is_not_installed_stops_the_application_at_start_saying_what_to_install(
        provider, monkeypatch):
    name, fake, ctx, _ = provider
    sdk = {"aliyun": "alibabacloud_dysmsapi20170525.client", "tencent": "tencentcloud.sms.v20210111.sms_client"}
    monkeypatch.setitem(sys.modules, sdk[name], None)  # what an import finds when the package is absent
    monkeypatch.delitem(sys.modules, f"evperks.services.sms_providers.{name}", raising=False)
    hint = rf"EVPERKS_SMS_PROVIDER='{name}' cannot be loaded: .*\(pip install 'evperks\[{name}\]'\)$"
    with pytest.raises(ValueError, match=hint):
        create_app(ctx=configured(ctx, sms_timeout_seconds=4.0))  # settings unlike any built provider's


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
