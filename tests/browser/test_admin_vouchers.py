"""代金券管理 in the console: create (both validity types), refused forms, edit, enable/disable, manual
issue, and what viewers and forged posts may not do."""

from __future__ import annotations

from playwright.sync_api import expect

from evperks.services import vouchers
from evperks.services.campaigns import binding, lifecycle
from tests import factories as f
from tests.browser.conftest import log_in, shot

BREADCRUMB = "首页 / 营收管理 / 充电计费管理 / 代金券管理"


def _start(site, page, role="operator"):
    site.ctx.clock.move_to(f.local(2026, 3, 10, 9))
    f.station(site.ctx, "S1")
    f.station(site.ctx, "S2")
    log_in(page, site, username="olivia", role=role)


def _submit(page, name="保存"):
    """Click a submit button and return the response to that POST."""
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        page.get_by_role("button", name=name).click()
    page.wait_for_load_state()
    return response.value


def test_an_operator_creates_a_days_template_and_a_window_template_and_sees_both_listed(page, site):
    _start(site, page)
    page.goto("/admin/voucher-templates")
    expect(page.locator(".breadcrumb")).to_contain_text(BREADCRUMB)
    page.get_by_role("link", name="新建").click()
    expect(page.get_by_role("heading", name="新建代金券")).to_be_visible()
    page.get_by_label("名称").fill("服务费 12.5 元券")
    page.get_by_label("面额（元）").fill("12.50")
    page.get_by_label("抵扣类型").select_option(label="服务费")
    page.get_by_label("特定天数有效").check()
    page.get_by_label("天数（发放当天算第 1 天）").fill("7")
    page.get_by_label("站 S1").check()
    page.get_by_label("最低消费（元）").fill("20")
    shot(page, "admin-voucher-new")
    _submit(page)
    expect(page.get_by_role("status")).to_have_text("代金券已创建。")
    facts = page.locator("dl.facts")
    for text in ["12.50", "服务费", "站 S1", "7 天有效", "20.00"]:
        expect(facts).to_contain_text(text)
    expect(page.get_by_test_id("issued")).to_have_text("0")

    page.goto("/admin/voucher-templates/new")
    page.get_by_label("名称").fill("三月限时券")
    page.get_by_label("面额（元）").fill("5")
    page.get_by_label("特定时间段有效").check()
    page.get_by_label("开始时间").fill("2026-03-12T08:00")
    page.get_by_label("结束时间").fill("2026-03-31T23:00")
    _submit(page)
    expect(page.locator("dl.facts")).to_contain_text("2026-03-12 08:00 – 2026-03-31 23:00")

    page.goto("/admin/voucher-templates")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("三月限时券")
    expect(rows.nth(0)).to_contain_text("消费总额")
    expect(rows.nth(0)).to_contain_text("全部站点")
    expect(rows.nth(1)).to_contain_text("服务费 12.5 元券")
    expect(rows.nth(1)).to_contain_text("12.50")
    expect(rows.nth(1)).to_contain_text("站 S1")
    expect(rows.nth(1)).to_contain_text("已启用")
    shot(page, "admin-voucher-list")
    stored = vouchers.list_templates(site.ctx)["items"]
    assert [(t["face_value_fen"], t["min_spend_fen"], t["station_ids"]) for t in stored] == [
        (500, 0, []), (1250, 2000, ["S1"])]


def test_a_refused_template_form_keeps_what_was_typed_and_names_each_wrong_field(page, site):
    _start(site, page)
    page.goto("/admin/voucher-templates/new")
    page.get_by_label("面额（元）").fill("abc")
    page.get_by_label("特定时间段有效").check()
    page.get_by_label("开始时间").fill("2026-03-20T10:00")
    page.get_by_label("结束时间").fill("2026-03-15T10:00")
    page.get_by_label("站 S2").check()
    assert _submit(page).status == 422
    expect(page.locator("#e-name")).to_have_text("必填")
    expect(page.locator("#e-face_value")).to_have_text("请输入以元为单位的金额，如 12.50")
    expect(page.locator("#e-window_end")).to_have_text("结束时间必须晚于开始时间")
    expect(page.get_by_role("alert").first).to_be_visible()
    assert page.get_by_label("面额（元）").input_value() == "abc"
    assert page.get_by_label("开始时间").input_value() == "2026-03-20T10:00"
    expect(page.get_by_label("特定时间段有效")).to_be_checked()
    expect(page.get_by_label("站 S2")).to_be_checked()

    page.get_by_label("名称").fill("零元券")
    for typed, message in [("0", "必须大于 0"), ("1.234", "最多两位小数（精确到分）"), ("-3", "不能为负数")]:
        page.get_by_label("面额（元）").fill(typed)
        assert _submit(page).status == 422
        expect(page.locator("#e-face_value")).to_have_text(message)
        assert page.get_by_label("名称").input_value() == "零元券"
    shot(page, "admin-voucher-refused")
    assert vouchers.list_templates(site.ctx)["items"] == []


def test_editing_a_template_then_disabling_and_enabling_it(page, site):
    _start(site, page)
    template = f.template(site.ctx, name="10元券")
    page.goto(f"/admin/voucher-templates/{template['id']}")
    page.get_by_role("link", name="编辑").click()
    assert page.get_by_label("面额（元）").input_value() == "10.00"
    page.get_by_label("名称").fill("十元券")
    page.get_by_label("面额（元）").fill("8.8")
    page.get_by_label("站 S2").check()
    _submit(page)
    expect(page.get_by_role("status")).to_have_text("修改已保存。")
    expect(page.get_by_role("heading", level=1)).to_contain_text("十元券")
    expect(page.locator("dl.facts")).to_contain_text("8.80")
    expect(page.locator("dl.facts")).to_contain_text("站 S2")

    _submit(page, "停用")
    expect(page.get_by_role("status")).to_have_text("代金券已停用。")
    expect(page.get_by_role("heading", level=1)).to_contain_text("已停用")
    page.goto("/admin/voucher-templates?status=enabled")
    expect(page.locator("tbody")).to_contain_text("没有符合条件的代金券。")
    page.goto("/admin/voucher-templates?status=disabled")
    expect(page.locator("tbody")).to_contain_text("十元券")
    page.get_by_role("link", name="十元券").click()
    _submit(page, "启用")
    expect(page.get_by_role("heading", level=1)).to_contain_text("已启用")
    assert vouchers.get_template(site.ctx, template["id"])["enabled"] is True


def test_a_template_a_published_campaign_uses_can_be_renamed_but_not_revalued(page, site):
    _start(site, page)
    template = f.template(site.ctx, name="活动券")
    member = f.member(site.ctx)
    campaign = lifecycle.create_campaign(site.ctx, fields={
        "type": "one_time", "name": "回馈", "rules_text": "规则", "total_packages": 5,
        "start_at": f.local(2026, 3, 11), "end_at": f.local(2026, 3, 20),
        "reward": [{"template_id": template["id"], "quantity": 1}],
    })
    binding.bind_members(site.ctx, campaign["id"], member_ids=[member["id"]])
    lifecycle.publish_campaign(site.ctx, campaign["id"])
    page.goto(f"/admin/voucher-templates/{template['id']}/edit")
    expect(page.get_by_label("面额（元）")).to_be_disabled()  # locked up front, not offered and then refused
    page.get_by_label("面额（元）").evaluate("input => input.disabled = false")  # as a form opened earlier was
    page.get_by_label("面额（元）").fill("50")
    assert _submit(page).status == 409
    expect(page.get_by_role("alert").last).to_have_text("此代金券已被活动使用：只能修改名称和启用状态")
    expect(page.locator("#e-face_value")).to_have_text("有活动正在使用此代金券，不能修改")
    assert page.get_by_label("面额（元）").input_value() == "50"
    page.get_by_label("面额（元）").evaluate("input => input.disabled = false")
    page.get_by_label("面额（元）").fill("10")
    page.get_by_label("名称").fill("活动券（新名）")
    _submit(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("活动券（新名）")
    assert vouchers.get_template(site.ctx, template["id"])["face_value_fen"] == 1000


def test_issuing_to_a_member_by_phone_shows_the_vouchers_on_their_page_and_counts_them(page, site):
    _start(site, page)
    template = f.template(site.ctx, name="补偿券")
    member = f.member(site.ctx, nickname="小李")
    page.goto(f"/admin/voucher-templates/{template['id']}")
    page.get_by_label("会员编号或手机号").fill("13000000000")
    page.get_by_label("数量").fill("2")
    assert _submit(page, "发放").status == 422
    expect(page.locator("#e-member")).to_have_text("没有该编号或手机号的会员")
    expect(page.locator("#e-reason")).to_have_text("必填")
    assert page.get_by_label("数量").input_value() == "2"

    page.get_by_label("会员编号或手机号").fill(member["phone"])
    page.get_by_label("原因").fill("充电桩故障补偿")
    _submit(page, "发放")
    expect(page.get_by_role("status")).to_have_text("代金券已发放。")
    held = page.get_by_role("table", name="持有代金券").locator("tbody tr")
    expect(held).to_have_count(2)
    expect(held.first).to_contain_text("补偿券")
    expect(held.first).to_contain_text("客服补发: 充电桩故障补偿")
    expect(held.first).to_contain_text("可用")
    page.goto(f"/admin/voucher-templates/{template['id']}")
    expect(page.get_by_test_id("issued")).to_have_text("2")
    expect(page.get_by_test_id("used")).to_have_text("0")
    shot(page, "admin-voucher-detail")


def test_a_viewer_sees_templates_without_change_buttons_and_their_posts_are_refused(page, site):
    _start(site, page, role="viewer")
    template = f.template(site.ctx, name="只读券")
    page.goto("/admin/voucher-templates")
    expect(page.locator("tbody")).to_contain_text("只读券")
    expect(page.get_by_role("link", name="新建")).to_have_count(0)
    page.goto(f"/admin/voucher-templates/{template['id']}")
    expect(page.get_by_role("button", name="停用")).to_have_count(0)
    expect(page.get_by_role("button", name="发放")).to_have_count(0)
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = page.request.post(f"/admin/voucher-templates/{template['id']}/enabled",
                                form={"csrf_token": token, "enabled": "no"})
    assert refused.status == 403
    assert "您的角色无权进行此操作。" in refused.text()
    page.goto("/admin/voucher-templates/new")
    expect(page.get_by_role("alert")).to_have_text("您的角色无权进行此操作。")
    assert vouchers.get_template(site.ctx, template["id"])["enabled"] is True


def test_a_post_without_the_csrf_token_creates_nothing(page, site):
    _start(site, page)
    response = page.request.post("/admin/voucher-templates", form={
        "name": "伪造券", "face_value": "10", "deduction_type": "total", "validity_type": "days", "validity_days": "7"})
    assert response.status == 403
    assert "表单已过期或不是从本平台提交的。" in response.text()
    assert vouchers.list_templates(site.ctx)["items"] == []
