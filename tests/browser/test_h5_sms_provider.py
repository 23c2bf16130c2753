"""Registration on an H5 whose codes go out through Aliyun SMS (the SDK against the local fake endpoint):
a failed send is explained on the page, the next one arrives on the phone, and the member registers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Site, served_site, shot
from tests.browser.h5_support import local, member_by_phone
from tests.sms_fakes import AliyunSmsFake


@pytest.fixture
def aliyun() -> Iterator[AliyunSmsFake]:
    with AliyunSmsFake() as fake:
        yield fake


@pytest.fixture
def site(database_url: str, aliyun: AliyunSmsFake) -> Iterator[Site]:
    """The browser tests' site, with EVPERKS_SMS_PROVIDER=aliyun pointing at the fake."""
    with served_site(database_url, sms_provider="aliyun", sms_aliyun_access_key_id=aliyun.access_key_id,
                     sms_aliyun_access_key_secret=aliyun.access_key_secret, sms_aliyun_sign_name="易充会员",
                     sms_aliyun_template_code="SMS_300000001", sms_aliyun_endpoint=aliyun.url) as served:
        yield served


def test_a_failed_sms_is_explained_and_the_next_code_arrives_by_sms_and_registers(phone, site, aliyun):
    site.ctx.clock.move_to(local(2026, 3, 12, 12))
    aliyun.fail_next("isv.BUSINESS_LIMIT_CONTROL")
    phone.goto("/h5/register")
    phone.get_by_label("手机号").fill("139 0000 0003")
    phone.get_by_role("button", name="获取验证码").click()
    expect(phone.get_by_role("alert").filter(has_text="短信发送失败，请稍后再试")).to_be_visible()
    expect(phone.get_by_label("手机号")).to_have_value("139 0000 0003")
    shot(phone, "h5-register-sms-failed")

    phone.get_by_role("button", name="获取验证码").click()  # at once: the failure started no 60 s wait
    expect(phone.get_by_role("status")).to_contain_text("验证码已发送至 13900000003")
    expect(phone.get_by_test_id("sandbox-code")).to_have_count(0)
    (sms,) = aliyun.sent
    assert (sms.phone, sms.sign, sms.template) == ("13900000003", "易充会员", "SMS_300000001")
    phone.get_by_label("验证码").fill(sms.params["code"])
    phone.get_by_role("button", name="注册", exact=True).click()
    phone.wait_for_url("**/h5?welcome=1")
    expect(phone.get_by_role("status")).to_have_text("注册成功，欢迎加入！")
    assert member_by_phone(site, "13900000003")["channel"] == "h5"
