"""活动列表 and 创建活动 in the console: each campaign type created through its form and published, a
publish refused field by field, the safe edits of a published campaign, stopping, and the detail's
live statistics after a real reward."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from evperks.services.campaigns import lifecycle
from tests import factories as f
from tests.browser.conftest import log_in, shot
from tests.browser.h5_support import WAIT

T0 = f.local(2026, 3, 10, 9)  # the sandbox clock stands here; campaigns start at 08:00 the same day
START, END = "2026-03-10T08:00", "2026-04-10T00:00"


def _start(site, page, role: str = "operator") -> None:
    site.ctx.clock.move_to(T0)
    log_in(page, site, username=role, role=role)


def _basics(page, name: str, *, total: str = "100", rules: str = "活动期间每位会员限领一次。") -> None:
    page.get_by_label("活动名称").fill(name)
    page.get_by_label("开始时间").fill(START)
    page.get_by_label("结束时间").fill(END)
    page.get_by_label("总赠送份数").fill(total)
    page.get_by_label("活动规则").fill(rules)


def _reward_row(scope, row: int, template: dict, quantity: str = "1") -> None:
    scope.get_by_label(f"代金券 {row}", exact=True).select_option(str(template["id"]))
    scope.get_by_label(f"每份张数 {row}", exact=True).fill(quantity)


def _create(page, type_name: str, *, screenshot: str | None = None) -> None:
    page.goto("/admin/campaigns")
    page.get_by_role("link", name="创建活动").click()
    if screenshot:
        shot(page, screenshot)
    page.get_by_role("link", name=type_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"创建活动 · {type_name}")


def _published_campaign(site, **fields) -> dict:
    template = f.template(site.ctx, 1000, name="10元券")
    values = {"type": "registration", "name": "注册有礼", "start_at": f.local(2026, 3, 10, 8),
              "end_at": f.local(2026, 4, 10), "rules_text": "注册即送", "total_packages": 10,
              "reward": [{"template_id": template["id"], "quantity": 1}], **fields}
    campaign = lifecycle.create_campaign(site.ctx, fields=values)
    return lifecycle.publish_campaign(site.ctx, campaign["id"])


def test_a_registration_campaign_with_two_denominations_is_published_and_its_detail_counts_a_new_member(page, site):
    _start(site, page)
    ten = f.template(site.ctx, 1000, name="10元券")
    five = f.template(site.ctx, 500, name="5元券")
    _create(page, "注册活动")
    _basics(page, "新用户注册有礼", total="50")
    _reward_row(page, 1, ten)
    page.get_by_role("button", name="添加一行").click()
    _reward_row(page, 2, five, "2")
    assert page.get_by_label("活动名称").input_value() == "新用户注册有礼"  # adding a row kept what was typed
    shot(page, "admin-campaign-form")
    page.get_by_role("button", name="保存并发布").click()

    expect(page.get_by_role("status")).to_have_text("活动已发布。")
    expect(page.get_by_role("heading", level=1)).to_contain_text("进行中")
    settings = page.locator("dl.facts")
    expect(settings).to_contain_text("注册活动")
    expect(settings).to_contain_text("10元券 × 1、5元券 × 2")
    expect(settings).to_contain_text("2026-03-10 08:00 – 2026-04-10 00:00")
    expect(page.get_by_test_id("stat-packages-given")).to_contain_text("0")

    registered = httpx.post(site.url("/api/v1/members"), json={"phone": "13800000001"},
                            headers={"Authorization": f"Bearer {site.platform_key}"}, timeout=WAIT)
    assert registered.status_code == 201
    with page.expect_request(lambda request: request.url.endswith("/stats")) as polled:
        pass  # the next htmx refresh, sent after the registration
    polled.value.response()
    expect(page.get_by_test_id("stat-packages-given")).to_contain_text("1")
    expect(page.get_by_test_id("stat-packages-left")).to_contain_text("49")
    expect(page.get_by_test_id("stat-vouchers-issued")).to_contain_text("3")
    expect(page.get_by_test_id("stat-participants")).to_contain_text("1")
    expect(page.get_by_role("img", name="每日发放份数")).to_be_visible()
    shot(page, "admin-campaign-detail")


def test_a_recharge_campaign_with_two_tiers_is_saved_as_draft_then_published_from_the_list(page, site):
    _start(site, page)
    ten = f.template(site.ctx, 1000, name="10元券")
    thirty = f.template(site.ctx, 3000, name="30元券")
    _create(page, "充值活动", screenshot="admin-campaign-types")
    _basics(page, "充值送券")
    first = page.get_by_role("group", name="第 1 档")
    first.get_by_label("充值金额满（元）").fill("100")
    _reward_row(first, 1, ten)
    page.get_by_role("button", name="添加一档").click()
    second = page.get_by_role("group", name="第 2 档")
    second.get_by_label("充值金额满（元）").fill("300.505")
    _reward_row(second, 1, thirty)
    second.get_by_role("button", name="添加一行").click()
    _reward_row(second, 2, ten, "-2")
    page.get_by_label("总赠送份数").fill("10000000000")
    page.get_by_role("button", name="保存草稿").click()  # refused: nothing is saved, everything stays typed
    for scope, label, message in [(second, "充值金额满（元）", "最多两位小数（精确到分）"),
                                  (second, "每份张数 2", "不能为负数"), (page, "总赠送份数", "数值过大")]:
        field = scope.locator(".field").filter(has=page.get_by_label(label, exact=label.startswith("每份")))
        expect(field.locator(".error")).to_have_text(message)
    assert second.get_by_label("充值金额满（元）").input_value() == "300.505"
    assert lifecycle.list_campaigns(site.ctx)["items"] == []
    second.get_by_label("充值金额满（元）").fill("300.50")
    second.get_by_label("每份张数 2", exact=True).fill("2")
    page.get_by_label("总赠送份数").fill("100")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("status")).to_have_text("草稿已保存。")
    expect(page.get_by_role("heading", level=1)).to_contain_text("草稿")

    page.goto("/admin/campaigns")
    row = page.get_by_role("row").filter(has_text="充值送券")
    expect(row).to_contain_text("充值活动")
    expect(row).to_contain_text("0 / 100")
    row.get_by_role("link", name="发布").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("确认发布活动？")
    page.get_by_role("button", name="确认发布").click()
    expect(page.get_by_role("status")).to_have_text("活动已发布。")
    settings = page.locator("dl.facts")
    expect(settings).to_contain_text("达到 ¥100.00： 10元券 × 1")
    expect(settings).to_contain_text("达到 ¥300.50： 30元券 × 1、10元券 × 2")
    page.goto("/admin/campaigns?status=active")
    expect(page.get_by_role("row").filter(has_text="充值送券")).to_contain_text("进行中")
    shot(page, "admin-campaign-list")


def test_a_publish_refused_names_each_missing_field_beside_it_and_keeps_what_was_typed(page, site):
    _start(site, page)
    f.template(site.ctx, 1000, name="10元券")
    _create(page, "一次性发放")
    page.get_by_label("活动名称").fill("老会员回馈")
    page.get_by_label("总赠送份数").fill("abc")
    page.get_by_role("button", name="保存并发布").click()
    total = page.locator(".field").filter(has=page.get_by_label("总赠送份数"))
    expect(total.locator(".error")).to_have_text("请输入整数")
    assert page.get_by_label("活动名称").input_value() == "老会员回馈"

    page.get_by_label("总赠送份数").fill("0")
    page.get_by_role("button", name="保存并发布").click()  # saved as a draft, but it cannot be published
    expect(page.locator(".flash.error")).to_have_text("活动还不能发布：请修改下方标出的字段。")
    for label, message in [("开始时间", "必填"), ("结束时间", "必填"), ("总赠送份数", "至少为 1"), ("活动规则", "必填")]:
        field = page.locator(".field").filter(has=page.get_by_label(label))
        expect(field.locator(".error")).to_have_text(message)
    expect(page.get_by_text("至少选择一种代金券")).to_be_visible()
    expect(page.get_by_text("请先绑定至少一名会员")).to_be_visible()
    assert page.get_by_label("活动名称").input_value() == "老会员回馈"
    assert page.get_by_label("总赠送份数").input_value() == "0"
    shot(page, "admin-campaign-refused")

    page.goto("/admin/campaigns?status=draft")
    expect(page.get_by_role("row").filter(has_text="老会员回馈")).to_contain_text("草稿")


def test_a_published_campaign_takes_more_packages_but_refuses_fewer_beside_the_field(page, site):
    _start(site, page)
    campaign = _published_campaign(site)
    page.goto(f"/admin/campaigns/{campaign['id']}/edit")
    expect(page.get_by_label("活动名称")).to_be_disabled()
    page.get_by_label("总赠送份数").fill("5")
    page.get_by_role("button", name="保存", exact=True).click()
    field = page.locator(".field").filter(has=page.get_by_label("总赠送份数"))
    expect(field.locator(".error")).to_have_text("发布后只能增加")
    assert page.get_by_label("总赠送份数").input_value() == "5"

    page.get_by_label("总赠送份数").fill("20")
    page.get_by_label("结束时间").fill("2026-05-01T00:00")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("修改已保存。")
    settings = page.locator("dl.facts")
    expect(settings).to_contain_text("2026-03-10 08:00 – 2026-05-01 00:00")
    expect(page.get_by_test_id("stat-packages-left")).to_contain_text("20")


def test_stopping_a_running_campaign_after_confirming_ends_it_as_stopped(page, site):
    _start(site, page)
    campaign = _published_campaign(site, name="春季注册礼")
    page.goto("/admin/campaigns")
    page.get_by_role("row").filter(has_text="春季注册礼").get_by_role("link", name="停止").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("确认停止活动？")
    page.get_by_role("button", name="确认停止").click()
    expect(page.get_by_role("status")).to_have_text("活动已停止。")
    expect(page.get_by_role("heading", level=1)).to_contain_text("已结束")
    expect(page.get_by_role("heading", level=1)).to_contain_text("手动停止")
    expect(page.get_by_role("link", name="停止")).to_have_count(0)

    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    again = page.request.post(f"/admin/campaigns/{campaign['id']}/stop", form={"csrf_token": token})
    assert again.status == 409
    assert "只有未开始或进行中的活动可以停止。" in again.text()
    page.goto("/admin/campaigns?type=registration&status=ended")
    expect(page.get_by_role("row").filter(has_text="春季注册礼")).to_contain_text("手动停止")
    unknown = page.goto("/admin/campaigns/999999")
    assert unknown.status == 404
    expect(page.get_by_role("alert")).to_be_visible()  # a page saying so, not a stack trace


def test_a_viewer_sees_campaigns_without_change_buttons_and_cannot_publish_or_create(page, site):
    _start(site, page, role="viewer")
    draft = lifecycle.create_campaign(site.ctx, fields={"type": "referral", "name": "邀请有奖"})
    page.goto("/admin/campaigns")
    row = page.get_by_role("row").filter(has_text="邀请有奖")
    expect(row.get_by_role("link", name="查看")).to_be_visible()
    for hidden in ["编辑", "发布"]:
        expect(row.get_by_role("link", name=hidden)).to_have_count(0)
    expect(page.get_by_role("link", name="创建活动")).to_have_count(0)
    row.get_by_role("link", name="查看").click()
    expect(page.get_by_role("link", name="发布")).to_have_count(0)

    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = page.request.post(f"/admin/campaigns/{draft['id']}/publish", form={"csrf_token": token})
    assert refused.status == 403
    created = page.request.post("/admin/campaigns/new?type=registration",
                                form={"csrf_token": token, "name": "偷偷创建", "then": "save"})
    assert created.status == 403
    assert lifecycle.get_campaign(site.ctx, draft["id"])["status"] == "draft"
    assert [c["name"] for c in lifecycle.list_campaigns(site.ctx)["items"]] == ["邀请有奖"]


def test_campaign_posts_without_the_csrf_token_change_nothing(page, site):
    _start(site, page, role="admin")
    campaign = _published_campaign(site)
    draft = lifecycle.create_campaign(site.ctx, fields={"type": "registration", "name": "草稿"})
    assert page.request.post(f"/admin/campaigns/{draft['id']}/publish", form={}).status == 403
    assert page.request.post(f"/admin/campaigns/{campaign['id']}/stop", form={}).status == 403
    assert page.request.post(f"/admin/campaigns/{campaign['id']}/edit", form={"total_packages": "99"}).status == 403
    assert lifecycle.get_campaign(site.ctx, draft["id"])["status"] == "draft"
    assert lifecycle.get_campaign(site.ctx, campaign["id"])["total_packages"] == 10
    assert lifecycle.get_campaign(site.ctx, campaign["id"])["status"] == "active"
