"""Issue 17 in the console and the H5: the publish confirmation says what publishing will mean (another
referral campaign pays first; a grant's members, packages, shortfall and cost), a grant's skipped members
are listed and exported, binding is not offered once it is closed, drafts are deleted, the tier table
says how tiers pay and names the metric's unit as it is chosen, and voucher templates are told apart."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from evperks.domain.vouchers import DeductionType
from evperks.services.campaigns import binding, lifecycle
from tests import factories as f
from tests.browser.h5_support import WAIT, enter
from tests.browser.test_admin_campaigns import _create, _start

WINDOW = {"start_at": f.local(2026, 3, 10, 8), "end_at": f.local(2026, 4, 10), "rules_text": "规则"}


def _referral(site, name: str, template: dict, *, publish: bool = True) -> dict:
    created = lifecycle.create_campaign(site.ctx, fields={
        "type": "referral", "name": name, "total_packages": 100, **WINDOW,
        "reward": [{"template_id": template["id"], "quantity": 1}]})
    return lifecycle.publish_campaign(site.ctx, created["id"]) if publish else created


def _tick(site) -> None:
    response = httpx.post(site.url("/api/v1/sandbox/tick"), headers={"Authorization": f"Bearer {site.admin_key}"},
                          timeout=WAIT)
    assert response.status_code == 200, response.text


def test_publishing_a_second_referral_campaign_warns_it_pays_nothing_and_members_see_only_the_first(page, phone, site):
    _start(site, page)
    ten = f.template(site.ctx, 1000, name="10元券")
    first = _referral(site, "老拉新", ten)
    second = _referral(site, "新拉新", ten, publish=False)

    page.goto(f"/admin/campaigns/{second['id']}")
    page.get_by_role("link", name="发布", exact=True).click()
    warning = page.locator(".publish-warning")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text(f"活动 {first['id']}（老拉新）更早发布、面向全部会员且覆盖本活动全程")
    page.get_by_role("button", name="确认发布").click()
    expect(page.get_by_role("status")).to_have_text("活动已发布。")

    member = f.member(site.ctx)
    enter(phone, site, member["id"])
    cards = phone.get_by_test_id("campaign")
    expect(cards.filter(has_text="老拉新")).to_have_count(1)
    expect(cards.filter(has_text="新拉新")).to_have_count(0)  # it would pay this member nothing


def test_save_and_publish_with_a_warning_stops_at_the_confirmation_first(page, site):
    _start(site, page)
    ten = f.template(site.ctx, 1000, name="10元券")
    _referral(site, "老拉新", ten)
    _create(page, "拉新活动")
    page.get_by_label("活动名称").fill("又一个拉新")
    page.get_by_label("开始时间").fill("2026-03-11T08:00")
    page.get_by_label("结束时间").fill("2026-03-20T00:00")
    page.get_by_label("总赠送份数").fill("10")
    page.get_by_label("活动规则").fill("规则")
    page.get_by_label("代金券 1", exact=True).select_option(str(ten["id"]))
    page.get_by_label("每份张数 1", exact=True).fill("1")
    page.get_by_role("button", name="保存并发布").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("确认发布活动？")
    expect(page.locator(".publish-warning")).to_contain_text("本活动不会发放任何拉新奖励")
    drafts = lifecycle.list_campaigns(site.ctx, status="draft")["items"]
    assert [c["name"] for c in drafts] == ["又一个拉新"]  # saved, not yet published


def test_a_grant_short_of_packages_shows_the_shortfall_and_cost_then_lists_and_exports_who_was_skipped(page, site):
    _start(site, page)
    ten = f.template(site.ctx, 1000, name="10元券")
    people = [f.member(site.ctx, nickname=f"会员{i}") for i in range(5)]
    draft = lifecycle.create_campaign(site.ctx, fields={
        "type": "one_time", "name": "老会员回馈", "total_packages": 2, **WINDOW,
        "issue_at": f.local(2026, 3, 10, 12), "reward": [{"template_id": ten["id"], "quantity": 2}]})
    binding.bind_members(site.ctx, draft["id"], member_ids=[p["id"] for p in people])

    page.goto(f"/admin/campaigns/{draft['id']}/members")
    page.get_by_role("link", name="下一步").click()
    facts = page.get_by_label("发布概况")
    expect(facts).to_contain_text("已绑定会员5")
    expect(facts).to_contain_text("总赠送份数2")
    expect(facts).to_contain_text("得不到赠送的会员3")
    expect(facts).to_contain_text("每份券包面值¥20.00")
    expect(facts).to_contain_text("成本敞口（面值 × 份数）¥40.00 （¥20.00 × 2）")
    expect(page.locator(".publish-warning")).to_have_text(
        "已绑定 5 名会员，但总赠送份数只有 2 份：最后绑定的 3 名会员将得不到赠送。")
    page.get_by_role("button", name="确认发布").click()
    expect(page.get_by_role("status")).to_have_text("活动已发布。")
    expect(page.get_by_role("table", name="已绑定但未获赠的会员")).to_have_count(0)  # the grant has not run

    site.ctx.clock.move_to(f.local(2026, 3, 10, 12))  # within the sign-in session
    _tick(site)
    page.reload()
    skipped = page.get_by_role("table", name="已绑定但未获赠的会员")
    for person in people[2:]:
        expect(skipped).to_contain_text(person["phone"])
    for person in people[:2]:
        expect(skipped).not_to_contain_text(person["phone"])
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 CSV").click()
    lines = open(download.value.path(), encoding="utf-8-sig").read().splitlines()
    assert lines[0] == "手机号,昵称,会员编号,绑定时间"
    assert [line.split(",")[0] for line in lines[1:]] == [p["phone"] for p in people[2:]]
    assert lines[1].split(",")[1] == "会员2"

    page.get_by_role("link", name="绑定会员").first.click()  # 5: the grant has run, binding is closed
    expect(page.get_by_role("note")).to_have_text("该活动当前不能再更改绑定会员。")
    expect(page.get_by_role("button", name="绑定全部搜索结果")).to_have_count(0)
    expect(page.get_by_role("button", name=f"绑定 {people[0]['phone']}")).to_have_count(0)
    expect(page.get_by_role("button", name=f"解绑 {people[0]['phone']}")).to_have_count(0)


def test_a_draft_is_deleted_after_confirmation_and_a_published_campaign_offers_no_delete(page, site):
    _start(site, page)
    ten = f.template(site.ctx, 1000, name="10元券")
    draft = lifecycle.create_campaign(site.ctx, fields={"type": "registration", "name": "草稿一号"})
    published = _referral(site, "进行中的拉新", ten)

    page.goto(f"/admin/campaigns/{published['id']}")
    expect(page.get_by_role("link", name="删除草稿")).to_have_count(0)
    page.goto(f"/admin/campaigns/{draft['id']}")
    page.get_by_role("link", name="删除草稿").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("确定删除草稿？")
    page.get_by_role("button", name="确认删除").click()
    expect(page.get_by_role("status")).to_have_text("草稿已删除。")
    expect(page.get_by_role("main")).not_to_contain_text("草稿一号")
    expect(page.get_by_role("main")).to_contain_text("进行中的拉新")


def test_the_tier_tables_say_how_tiers_pay_and_the_unit_follows_the_metric_as_it_is_chosen(page, site):
    _start(site, page)
    _create(page, "充值活动")
    expect(page.get_by_role("note").filter(has_text="档位规则")).to_contain_text("每笔充值只送其金额达到的最高一档券包")

    _create(page, "消费活动")
    expect(page.get_by_role("note").filter(has_text="档位规则")).to_contain_text("会员累计达到的每一档都会赠送该档券包")
    tier = page.get_by_role("group", name="第 1 档")
    expect(tier.get_by_label("消费总额满（kWh 或元）")).to_be_visible()
    page.get_by_label("计量类型").select_option("energy")
    expect(tier.get_by_label("消费电量满（kWh）")).to_be_visible()  # no reload: the label changed in place
    page.get_by_label("计量类型").select_option("amount")
    expect(tier.get_by_label("消费金额满（元）")).to_be_visible()
    tier.get_by_label("消费金额满（元）").fill("100")
    page.get_by_role("button", name="添加一档").click()  # the form comes back with the same words
    expect(page.get_by_role("group", name="第 2 档").get_by_label("消费金额满（元）")).to_be_visible()


def test_voucher_templates_refuse_a_duplicate_name_and_the_picker_tells_same_looking_ones_apart(page, site):
    _start(site, page)
    f.station(site.ctx, "S1")
    f.template(site.ctx, 1000, name="10元券")
    f.template(site.ctx, 1000, name="10元券（南山）", station_ids=("S1",),
               deduction_type=DeductionType.SERVICE_FEE, days=7)
    page.goto("/admin/voucher-templates/new")
    page.get_by_label("名称").fill("  10元券 ")
    page.get_by_label("面额（元）").fill("10")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#e-name")).to_contain_text("已有同名代金券模板")
    assert page.get_by_label("名称").input_value() == "  10元券 "

    _create(page, "注册活动")
    options = page.get_by_label("代金券 1", exact=True).locator("option")
    expect(options.filter(has_text="10元券（¥10.00 · 消费总额 · 全部站点 · 领取后 30 天有效）")).to_have_count(1)
    expect(options.filter(has_text="10元券（南山）（¥10.00 · 服务费 · 站 S1 · 领取后 7 天有效）")).to_have_count(1)


def test_a_template_in_use_shows_its_value_fields_locked_and_can_still_be_renamed(page, site):
    _start(site, page)
    ten = f.template(site.ctx, 1000, name="10元券")
    _referral(site, "拉新", ten)
    page.goto(f"/admin/voucher-templates/{ten['id']}/edit")
    expect(page.get_by_role("note")).to_contain_text("已发布的活动正在使用此模板")
    for label in ["面额（元）", "抵扣类型", "最低消费（元）", "特定天数有效", "特定时间段有效"]:
        expect(page.get_by_label(label)).to_be_disabled()
    expect(page.get_by_label("名称")).to_be_enabled()
    page.get_by_label("名称").fill("拉新奖励10元券")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_have_text("修改已保存。")
    expect(page.get_by_role("heading", level=1)).to_contain_text("拉新奖励10元券")
