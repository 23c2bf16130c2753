"""邀请有奖 and registration through an invite link, at phone size."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, shot
from tests.browser.h5_support import campaign, charge, enter, local, member, member_by_phone, station, template


def test_a_friend_registers_through_the_invite_link_charges_and_the_inviter_sees_the_reward(phone, new_page, site):
    site.ctx.clock.move_to(local(2026, 3, 12, 12))
    station(site)
    reward = template(site, "邀请奖励券", 1000)
    campaign(site, "referral", "邀请好友得券", "每邀请一位好友注册并完成首次充电，奖励 10 元代金券。",
             reward=[{"template_id": reward, "quantity": 1}])
    inviter = member(site, "13800000001", nickname="小王")
    enter(phone, site, inviter["id"])
    home = phone.get_by_test_id("campaign").filter(has_text="邀请好友得券")
    expect(home).to_contain_text("每邀请一位好友注册并完成首次充电")
    expect(phone.get_by_test_id("voucher-count")).to_have_text("0")
    shot(phone, "h5-home")

    phone.get_by_role("link", name="邀请有奖").first.click()
    expect(phone.get_by_role("heading", name="立即邀请 拿奖励")).to_be_visible()
    invite_link = site.url(f"/h5/register?invite={inviter['invite_code']}")
    expect(phone.get_by_test_id("invite-link")).to_have_text(invite_link)
    expect(phone.get_by_test_id("invite-code")).to_have_text(inviter["invite_code"])
    assert phone.locator("img.qr").evaluate("img => img.complete && img.naturalWidth > 0")
    expect(phone.get_by_test_id("invitees")).to_contain_text("还没有好友")
    shot(phone, "h5-invite")

    friend = new_page(PHONE)
    friend.goto(invite_link)
    expect(friend.get_by_text("138****0001 邀请你注册")).to_be_visible()
    expect(friend.get_by_label("邀请码")).to_have_value(inviter["invite_code"])
    friend.get_by_label("手机号").fill("139 0000 0002")
    friend.get_by_role("button", name="获取验证码").click()
    sandbox = friend.get_by_test_id("sandbox-code")
    expect(sandbox).to_contain_text("沙箱")
    code = sandbox.locator("strong").inner_text()
    friend.get_by_label("验证码").fill(code)
    shot(friend, "h5-register")
    friend.get_by_role("button", name="注册", exact=True).click()
    friend.wait_for_url("**/h5?welcome=1")
    expect(friend.get_by_role("status")).to_have_text("注册成功，欢迎加入！")

    registered = member_by_phone(site, "13900000002")
    assert registered["invited_by"] == inviter["id"] and registered["channel"] == "h5"
    charge(site, registered["id"], "ORD-FRIEND-1")

    phone.reload()
    expect(phone.get_by_test_id("invitees")).to_contain_text("139****0002")
    expect(phone.get_by_test_id("invitees")).to_contain_text("已获奖励")
    rewards = phone.get_by_test_id("rewards")
    expect(rewards).to_contain_text("邀请奖励券")
    expect(rewards).to_contain_text("¥10.00")
    expect(rewards).to_contain_text("邀请 139****0002")
    phone.get_by_role("navigation", name="底部导航").get_by_role("link", name="首页").click()
    expect(phone.get_by_test_id("voucher-count")).to_have_text("1")
    phone.goto("/h5/messages")
    expect(phone.get_by_test_id("message").first).to_contain_text("您获得了「邀请好友得券」活动的 1 张代金券")


def test_registration_refuses_a_bad_invite_code_a_used_phone_and_a_wrong_code(phone, site):
    site.ctx.clock.move_to(local(2026, 3, 12, 12))
    inviter = member(site, "13800000001")
    phone.goto("/h5/register?invite=NOSUCH22")
    expect(phone.locator(".field", has=phone.get_by_label("邀请码"))).to_contain_text("邀请码无效，请核对邀请链接")

    phone.get_by_label("手机号").fill("13800000001")
    phone.get_by_role("button", name="获取验证码").click()
    expect(phone.get_by_role("alert").filter(has_text="该手机号已注册")).to_be_visible()
    expect(phone.get_by_label("手机号")).to_have_value("13800000001")
    expect(phone.get_by_test_id("sandbox-code")).to_have_count(0)

    phone.get_by_label("手机号").fill("12345")
    phone.get_by_role("button", name="获取验证码").click()
    expect(phone.get_by_role("alert").filter(has_text="请输入正确的 11 位手机号")).to_be_visible()

    phone.get_by_label("手机号").fill("13900000009")
    phone.get_by_role("button", name="获取验证码").click()
    code = phone.get_by_test_id("sandbox-code").locator("strong").inner_text()
    phone.get_by_role("button", name="获取验证码").click()  # again at once
    expect(phone.get_by_role("alert").filter(has_text="请 60 秒后再试")).to_be_visible()

    phone.get_by_label("验证码").fill("000000" if code != "000000" else "111111")
    phone.get_by_role("button", name="注册", exact=True).click()
    expect(phone.get_by_role("alert").filter(has_text="验证码错误或已过期")).to_be_visible()
    assert member_by_phone(site, "13900000009") is None

    # The right code with the bad invite code: refused on the invite code; the code stays usable.
    phone.get_by_label("验证码").fill(code)
    phone.get_by_role("button", name="注册", exact=True).click()
    expect(phone.get_by_role("alert").filter(has_text="邀请码无效")).to_be_visible()
    assert member_by_phone(site, "13900000009") is None
    phone.get_by_label("邀请码").fill(inviter["invite_code"])
    phone.get_by_role("button", name="注册", exact=True).click()
    phone.wait_for_url("**/h5?welcome=1")
    assert member_by_phone(site, "13900000009")["invited_by"] == inviter["id"]
