"""充值 with WeChat Pay inside WeChat: the JSAPI page calls WeixinJSBridge, the return page credits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from evperks.services.members import update_member
from tests.browser.conftest import PHONE, Site, served_site, shot
from tests.browser.h5_support import link, member
from tests.wechatpay_fake import FakeWechatPay

INSIDE_WECHAT = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile MicroMessenger/8.0.50 NetType/WIFI Language/zh_CN"
# WeChat's in-app browser provides WeixinJSBridge; this stand-in records the call and lets the test
# answer it after the payer has paid at the fake WeChat Pay.
BRIDGE = """
window.WeixinJSBridge = {invoke: function (name, params, done) {
  window.__wechatCall = {name: name, params: params}; window.__wechatDone = done;
}};
"""


@pytest.fixture
def fake() -> Iterator[FakeWechatPay]:
    server = FakeWechatPay().start()
    yield server
    server.stop()


@pytest.fixture
def site(database_url: str, fake: FakeWechatPay) -> Iterator[Site]:
    with served_site(database_url, **fake.settings()) as served:
        yield served


def test_inside_wechat_the_member_pays_through_the_bridge_and_sees_the_credit(browser, site, fake):
    alice = member(site, "13800000001")
    update_member(site.ctx, alice["id"], {"wechat_openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"})
    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=site.base_url, user_agent=INSIDE_WECHAT)
    context.add_init_script(BRIDGE)
    errors: list[str] = []
    phone = context.new_page()
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        phone.goto(link(site, alice["id"]))
        phone.wait_for_url("**/h5")
        phone.goto("/h5/recharge")
        phone.get_by_text("¥100.00").click()
        phone.get_by_role("button", name="立即充值").click()
        phone.wait_for_url("**/h5/recharges/*/pay**")
        expect(phone.get_by_test_id("wechat-pay")).to_contain_text("¥100.00")
        phone.wait_for_function("window.__wechatCall !== undefined")
        call = phone.evaluate("window.__wechatCall")
        assert call["name"] == "getBrandWCPayRequest" and fake.jsapi_signed(call["params"])
        [order_no] = fake.orders
        assert call["params"]["package"] == f"prepay_id={fake.orders[order_no].prepay_id}"
        shot(phone, "h5-wechat-pay")
        fake.pay(order_no)
        phone.evaluate("window.__wechatDone({err_msg: 'get_brand_wcpay_request:ok'})")
        phone.wait_for_url("**/h5/recharges")
        expect(phone.get_by_test_id("balance")).to_have_text("100.00")
        expect(phone.get_by_test_id("recharge")).to_contain_text("已到账")
    finally:
        context.close()
    assert errors == []
