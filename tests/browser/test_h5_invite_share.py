"""邀请有奖's button copies the invite link (and, inside WeChat, shows how to share the page); the
registration page says what registering brings, and members, registered already, no longer see those
registration offers on their home page."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import update

from evperks.db.tables import campaigns
from tests.browser.conftest import PHONE, _watch, shot
from tests.browser.h5_support import campaign, enter, local, member, template

WECHAT_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN")


def test_invite_now_copies_the_link_and_says_so(phone, site):
    site.ctx.clock.move_to(local(2026, 3, 12, 12))
    alice = member(site, "13800000001")
    phone.context.grant_permissions(["clipboard-read", "clipboard-write"])
    enter(phone, site, alice["id"])
    phone.goto("/h5/invite")
    status = phone.get_by_test_id("copy-status")
    expect(status).to_have_text("")
    phone.get_by_role("button", name="立即邀请 拿奖励").click()
    expect(status).to_have_text("已复制邀请链接，粘贴发送给好友即可")
    assert phone.evaluate("navigator.clipboard.readText()") == site.url(f"/h5/register?invite={alice['invite_code']}")
    expect(phone.get_by_test_id("share-hint")).to_be_hidden()  # not inside WeChat


def test_inside_wechat_the_button_also_shows_how_to_send_the_page_to_a_friend(browser, site):
    site.ctx.clock.move_to(local(2026, 3, 12, 12))
    alice = member(site, "13800000001")
    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=site.base_url, user_agent=WECHAT_UA)
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        wechat = context.new_page()
        _watch(wechat, site)
        enter(wechat, site, alice["id"])
        wechat.goto("/h5/invite")
        hint = wechat.get_by_test_id("share-hint")
        expect(hint).to_be_hidden()
        wechat.get_by_role("button", name="立即邀请 拿奖励").click()
        expect(hint).to_be_visible()
        expect(hint).to_contain_text("点击右上角 ··· 选择「发送给朋友」")
        expect(wechat.get_by_test_id("copy-status")).to_have_text("已复制邀请链接，粘贴发送给好友即可")
        shot(wechat, "h5-invite-wechat")
        wechat.get_by_role("button", name="知道了").click()
        expect(hint).to_be_hidden()
    finally:
        context.close()
    assert not site.problems, site.problems


def test_the_registration_page_shows_what_registering_brings_and_home_no_longer_offers_it(phone, new_page, site):
    site.ctx.clock.move_to(local(2026, 3, 12, 12))
    gift = template(site, "新人服务费券", 500, deduction="service_fee")
    spent = template(site, "已发完的券", 900)
    campaign(site, "registration", "新人礼", "注册即送 5 元服务费券两张。", reward=[{"template_id": gift, "quantity": 2}])
    spent_id = campaign(site, "registration", "早鸟礼", "前 1 名注册送券。", reward=[{"template_id": spent, "quantity": 1}],
                        total_packages=1)
    with site.ctx.db.write() as conn:  # its one package is given: it would pay nobody now
        conn.execute(update(campaigns).where(campaigns.c.id == spent_id).values(packages_given=1))
    campaign(site, "consumption", "累计充电赢好礼", "累计充电满 10 kWh 得券。", metric="energy",
             tiers=[{"threshold": "10", "reward": [{"template_id": gift, "quantity": 1}]}])
    inviter = member(site, "13800000001")

    friend = new_page(PHONE)
    friend.goto(f"/h5/register?invite={inviter['invite_code']}")
    offer = friend.get_by_test_id("registration-offer")
    expect(offer).to_contain_text("注册即得")
    expect(offer).to_contain_text("新人服务费券 · 服务费 ×2")
    expect(offer).to_contain_text("¥5.00")
    expect(offer).to_contain_text("新人礼")
    expect(offer).not_to_contain_text("已发完的券")
    shot(friend, "h5-register-offer")

    enter(phone, site, inviter["id"])
    cards = phone.get_by_test_id("campaign")
    expect(cards.filter(has_text="累计充电赢好礼")).to_have_count(1)
    expect(cards.filter(has_text="新人礼")).to_have_count(0)
    expect(cards.filter(has_text="早鸟礼")).to_have_count(0)


def test_without_a_paying_registration_campaign_the_registration_page_promises_nothing(new_page, site):
    site.ctx.clock.move_to(local(2026, 3, 12, 12))
    friend = new_page(PHONE)
    friend.goto("/h5/register")
    expect(friend.get_by_role("button", name="注册", exact=True)).to_be_visible()
    expect(friend.get_by_test_id("registration-offer")).to_have_count(0)
