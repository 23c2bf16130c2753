"""会员 in the console: attribute search, the member's page (profile, vouchers, ledgers, invites), manual
points and vouchers with a reason, revoking, and what viewers may not do."""

from __future__ import annotations

from playwright.sync_api import expect

from evperks.services import members, vouchers
from evperks.services.settlement import settle
from tests import factories as f
from tests.browser.conftest import log_in, shot


def _start(site, page, role="operator"):
    site.ctx.clock.move_to(f.local(2026, 3, 15, 9))
    f.station(site.ctx, "S1")
    log_in(page, site, username="olivia", role=role)


def _submit(page, name):
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        page.get_by_role("button", name=name).click()
    page.wait_for_load_state()
    return response.value


def _result_phones(page) -> list[str]:
    return page.get_by_role("table", name="查询结果").locator("tbody tr td:first-child a").all_inner_texts()


def test_searching_members_by_each_attribute_lists_only_the_matches(page, site):
    _start(site, page)
    old = f.member(site.ctx, nickname="老会员", registered_at=f.local(2026, 1, 5, 10), tags=("vip",))
    invited = f.member(site.ctx, nickname="新朋友", registered_at=f.local(2026, 3, 2, 10), invite_code=old["invite_code"])
    charger = f.member(site.ctx, nickname="常客", registered_at=f.local(2026, 3, 3, 10))
    settle(site.ctx, f.charge_order(charger["id"], energy_wh=30_000, elec_fee_fen=3000, service_fee_fen=1000))
    page.goto("/admin/members")
    assert sorted(_result_phones(page)) == sorted(m["phone"] for m in (old, invited, charger))

    def search(**typed):
        page.goto("/admin/members")
        for label, value in typed.items():
            field = page.get_by_label(label)
            field.select_option(label=value) if label == "是否受邀注册" else field.fill(value)
        with page.expect_navigation():
            page.get_by_role("button", name="查询").click()
        return _result_phones(page)

    assert search(标签="vip") == [old["phone"]]
    assert search(是否受邀注册="是") == [invited["phone"]]
    assert sorted(search(是否受邀注册="否")) == sorted([old["phone"], charger["phone"]])
    assert search(**{"注册日期起": "2026-03-02", "注册日期至（含）": "2026-03-02"}) == [invited["phone"]]
    assert search(充电次数不少于="1") == [charger["phone"]]
    assert search(**{"累计电量不少于（kWh）": "29.5"}) == [charger["phone"]]
    assert search(**{"累计消费不少于（元）": "40.01"}) == []
    assert search(**{"手机号（前缀）": charger["phone"]}) == [charger["phone"]]
    assert len(search(**{"手机号（前缀）": charger["phone"][:3]})) == 3
    shot(page, "admin-member-search")

    page.goto("/admin/members?min_total_paid=1.234&min_total_kwh=abc")
    expect(page.locator("#e-min_total_paid")).to_have_text("最多两位小数（精确到分）")
    expect(page.locator("#e-min_total_kwh")).to_have_text("请输入电量（kWh）")
    assert page.get_by_label("累计消费不少于（元）").input_value() == "1.234"


def test_the_member_page_shows_the_profile_and_invite_relations_both_ways(page, site):
    _start(site, page)
    inviter = f.member(site.ctx, nickname="老王", channel="公众号")
    friend = f.member(site.ctx, nickname="小张", invite_code=inviter["invite_code"], tags=("vip", "车队"))
    page.goto("/admin/members")
    page.get_by_role("link", name=friend["phone"]).click()
    facts = page.locator("dl.facts")
    for text in [friend["id"], "小张", friend["invite_code"], "vip、车队", f"老王 ({inviter['phone']})"]:
        expect(facts).to_contain_text(text)
    expect(page.get_by_test_id("points-balance")).to_have_text("0")
    expect(page.get_by_test_id("wallet-balance")).to_have_text("0.00")
    page.get_by_role("link", name="邀请关系").click()
    expect(page.get_by_role("table", name="其邀请的会员")).to_contain_text("尚未邀请任何人。")
    page.get_by_role("link", name=f"老王 ({inviter['phone']})").first.click()
    page.get_by_role("link", name="邀请关系").click()
    invitees = page.get_by_role("table", name="其邀请的会员")
    expect(invitees.locator("tbody tr")).to_have_count(1)
    expect(invitees).to_contain_text("小张")
    expect(page.locator("dl.facts")).to_contain_text("公众号")


def test_granting_and_deducting_points_show_in_the_ledger_and_balance_and_overdrawing_is_refused(page, site):
    _start(site, page)
    member = f.member(site.ctx, nickname="小李")
    page.goto(f"/admin/members/{member['id']}")
    page.locator("#f-points").fill("100")
    page.locator("#f-points_reason").fill("活动补发")
    _submit(page, "确认调整")
    expect(page.get_by_role("status")).to_have_text("积分已发放。")
    expect(page.get_by_test_id("points-balance")).to_have_text("100")
    ledger = page.get_by_role("table", name="积分明细")
    expect(ledger.locator("tbody tr").first).to_contain_text("手动发放")
    expect(ledger.locator("tbody tr").first).to_contain_text("+100")
    expect(ledger.locator("tbody tr").first).to_contain_text("活动补发")

    page.get_by_label("发放或扣减").select_option(label="扣减")
    page.locator("#f-points").fill("30")
    page.locator("#f-points_reason").fill("误发回收")
    _submit(page, "确认调整")
    expect(page.get_by_role("status")).to_have_text("积分已扣减。")
    expect(page.get_by_test_id("points-balance")).to_have_text("70")
    expect(ledger.locator("tbody tr").first).to_contain_text("-30")
    expect(ledger.locator("tbody tr").first).to_contain_text("70")

    page.get_by_label("发放或扣减").select_option(label="扣减")
    page.locator("#f-points").fill("500")
    page.locator("#f-points_reason").fill("超额扣减")
    assert _submit(page, "确认调整").status == 409
    expect(page.locator("#e-points")).to_have_text("会员的有效积分不足")
    assert page.locator("#f-points").input_value() == "500"
    assert page.get_by_label("发放或扣减").input_value() == "deduct"
    expect(page.get_by_test_id("points-balance")).to_have_text("70")

    page.locator("#f-points").fill("0")
    page.locator("#f-points_reason").fill("")
    assert _submit(page, "确认调整").status == 422
    expect(page.locator("#e-points")).to_have_text("必须大于 0")
    expect(page.locator("#e-points_reason")).to_have_text("必填")
    shot(page, "admin-member-detail")
    assert members.get_member(site.ctx, member["id"])["points_balance"] == 70


def test_issuing_a_voucher_from_the_member_page_and_revoking_it_with_a_reason(page, site):
    _start(site, page)
    member = f.member(site.ctx)
    template = f.template(site.ctx, name="五元券", face_value_fen=500)
    f.template(site.ctx, name="停用券", enabled=False)
    page.goto(f"/admin/members/{member['id']}")
    expect(page.get_by_label("代金券*").locator("option")).to_have_count(2)  # 请选择… and the enabled one
    page.get_by_label("代金券*").select_option(label="五元券 (¥5.00)")
    page.locator("#f-issue_reason").fill("投诉补偿")
    _submit(page, "发放")
    expect(page.get_by_role("status")).to_have_text("代金券已发放。")
    held = page.get_by_role("table", name="持有代金券").locator("tbody tr")
    expect(held).to_have_count(1)
    expect(held.first).to_contain_text("可用")

    voucher_id = vouchers.list_member_vouchers(site.ctx, member_id=member["id"])["items"][0]["id"]
    assert _submit(page, "撤销").status == 422
    expect(held.first).to_contain_text("必填")
    page.get_by_label(f"撤销代金券 {voucher_id} 的原因").fill("发错会员")
    _submit(page, "撤销")
    expect(page.get_by_role("status")).to_have_text("代金券已撤销。")
    expect(held.first).to_contain_text("已撤销")
    expect(page.get_by_role("button", name="撤销")).to_have_count(0)
    assert vouchers.get_template(site.ctx, template["id"])["issued_count"] == 1


def test_a_viewer_reads_a_member_but_sees_no_forms_and_cannot_grant_points(page, site):
    _start(site, page, role="viewer")
    member = f.member(site.ctx)
    page.goto(f"/admin/members/{member['id']}")
    expect(page.get_by_test_id("points-balance")).to_have_text("0")
    expect(page.get_by_role("button", name="确认调整")).to_have_count(0)
    expect(page.get_by_role("button", name="发放")).to_have_count(0)
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = page.request.post(f"/admin/members/{member['id']}/points",
                                form={"csrf_token": token, "adjust": "grant", "points": "100", "points_reason": "x"})
    assert refused.status == 403
    assert members.get_member(site.ctx, member["id"])["points_balance"] == 0


def test_a_points_grant_without_the_csrf_token_is_refused(page, site):
    _start(site, page)
    member = f.member(site.ctx)
    refused = page.request.post(f"/admin/members/{member['id']}/points",
                                form={"adjust": "grant", "points": "100", "points_reason": "x"})
    assert refused.status == 403
    assert members.get_member(site.ctx, member["id"])["points_balance"] == 0
