"""绑定会员 in the console, as the manual's steps go: create the campaign, 查看 → 绑定会员 (one row, the
ticked rows with 批量绑定, or every result of a search), 解绑, 下一步 → step 4, the publish confirmation."""

from __future__ import annotations

from playwright.sync_api import expect

from evperks.services.campaigns import binding, lifecycle
from tests import factories as f
from tests.browser.conftest import shot
from tests.browser.test_admin_campaigns import _basics, _create, _reward_row, _start


def _bound_table(page):
    return page.get_by_role("table", name="已绑定会员")


def test_a_referral_campaign_binds_one_member_by_row_then_goes_on_to_publish(page, site):
    _start(site, page)
    ten = f.template(site.ctx, 1000, name="10元券")
    inviter = f.member(site.ctx, nickname="老张")
    f.member(site.ctx, nickname="小李")
    _create(page, "拉新活动")
    _basics(page, "邀请有奖")
    _reward_row(page, 1, ten)
    page.get_by_role("button", name="保存草稿").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("绑定会员 · 邀请有奖")
    expect(page.get_by_role("status")).to_have_text("草稿已保存。")
    page.get_by_role("button", name=f"绑定 {inviter['phone']}").click()
    expect(page.get_by_role("status")).to_have_text("本次绑定 1 名会员，共绑定 1 名。")
    expect(_bound_table(page)).to_contain_text("老张")
    expect(_bound_table(page)).not_to_contain_text("小李")

    page.get_by_role("link", name="下一步").click()  # step 3 goes on to step 4, not back to step 2
    expect(page.get_by_role("heading", level=1)).to_have_text("确认发布活动？")
    expect(page.get_by_role("list", name="步骤").locator("[aria-current=step]")).to_have_text("4. 发布")
    page.get_by_role("link", name="返回修改活动方案").click()  # the plan is one link away
    expect(page.get_by_role("heading", level=1)).to_have_text("编辑活动 · 拉新活动")
    assert page.get_by_label("活动名称").input_value() == "邀请有奖"
    page.go_back()
    page.get_by_role("button", name="确认发布").click()
    expect(page.get_by_role("status")).to_have_text("活动已发布。")
    expect(page.get_by_role("heading", level=1)).to_contain_text("进行中")


def test_a_one_time_grant_binds_the_ticked_rows_in_bulk_and_is_published(page, site):
    _start(site, page)
    ten = f.template(site.ctx, 1000, name="10元券")
    people = [f.member(site.ctx, nickname=f"会员{i}") for i in range(4)]
    _create(page, "一次性发放")
    _basics(page, "老会员回馈", total="3")
    _reward_row(page, 1, ten, "2")
    page.get_by_role("button", name="保存草稿").click()

    page.get_by_label("全选").check()  # the box in the first column's header
    page.get_by_label(f"选择 {people[0]['phone']}").uncheck()
    shot(page, "admin-campaign-members")
    page.get_by_role("button", name="批量绑定").click()
    expect(page.get_by_role("status")).to_have_text("本次绑定 3 名会员，共绑定 3 名。")
    for person in people[1:]:
        expect(_bound_table(page)).to_contain_text(person["phone"])
    expect(_bound_table(page)).not_to_contain_text(people[0]["phone"])

    page.get_by_role("button", name="批量绑定").click()  # nothing ticked any more
    expect(page.locator(".flash.error")).to_have_text("请先勾选至少一名会员。")

    page.get_by_role("link", name="下一步").click()
    page.get_by_role("button", name="确认发布").click()
    expect(page.get_by_role("status")).to_have_text("活动已发布。")
    expect(page.locator("dl.facts")).to_contain_text("发放时间2026-03-10 08:00")
    expect(page.locator("dl.facts")).to_contain_text("10元券 × 2")


def test_binding_all_search_results_binds_every_page_of_the_search_and_unbinding_removes_one(page, site):
    _start(site, page)
    ten = f.template(site.ctx, 1000, name="10元券")
    five = f.template(site.ctx, 500, name="5元券")
    tagged = [f.member(site.ctx, tags=("vip",)) for _ in range(23)]  # more than one page of results
    others = [f.member(site.ctx) for _ in range(2)]
    _create(page, "消费活动")
    _basics(page, "充电满额送")
    page.get_by_label("计量类型").select_option("energy")
    page.get_by_label("活动进度提醒").fill("2.5")
    page.get_by_label("倒计时天数").fill("3")
    first = page.get_by_role("group", name="第 1 档")
    first.get_by_label("消费电量满（kWh）").fill("10")  # the unit follows the metric as soon as it is chosen
    _reward_row(first, 1, five)
    page.get_by_role("button", name="添加一档").click()
    second = page.get_by_role("group", name="第 2 档")
    expect(second.get_by_label("消费电量满（kWh）")).to_be_visible()  # the metric chosen names the unit
    second.get_by_label("消费电量满（kWh）").fill("50.5")
    _reward_row(second, 1, ten)
    page.get_by_role("button", name="保存草稿").click()

    page.get_by_label("标签").fill("vip")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("found-count")).to_have_text("共找到 23 名会员，其中 0 名已绑定")
    expect(page.get_by_role("navigation", name="搜索结果分页")).to_contain_text("共 23 条 · 第 1/2 页")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="绑定全部 23 个搜索结果").click()
    expect(page.locator(".flash")).to_have_text("本次绑定 23 名会员，共绑定 23 名。")
    assert asked == ["将本次搜索到的全部 23 名会员绑定到本活动？已绑定的会员保持不变。"]
    bound = {m["member_id"] for m in binding.list_bound(site.ctx, _only_campaign(site), limit=100)["items"]}
    assert bound == {m["id"] for m in tagged}
    assert page.get_by_label("标签").input_value() == "vip"  # the search stays
    expect(page.get_by_test_id("found-count")).to_have_text("共找到 23 名会员，其中 23 名已绑定")
    expect(page.get_by_test_id("bound-count")).to_have_text("共 23 名")
    results = page.get_by_role("table", name="查询结果")
    expect(results.get_by_text("已绑定", exact=True)).to_have_count(20)  # every row of the page is marked
    expect(page.get_by_role("button", name="绑定全部")).to_have_count(0)  # nothing is left to bind
    page.get_by_role("navigation", name="搜索结果分页").get_by_role("link", name="下一页").click()
    expect(page.locator(".flash")).to_have_count(0)  # the next page of results, without the message again
    expect(page.get_by_role("navigation", name="搜索结果分页")).to_contain_text("第 2/2 页")
    assert page.get_by_label("标签").input_value() == "vip"
    page.get_by_role("navigation", name="搜索结果分页").get_by_role("link", name="上一页").click()

    unbind = _bound_table(page).get_by_role("button").first  # the bound list shows one page of 23
    label = unbind.get_attribute("aria-label")
    unbind.click()
    expect(page.locator(".flash")).to_have_text("已解绑 1 名会员，共绑定 22 名。")
    expect(page.get_by_role("button", name=label)).to_have_count(0)
    assert len(binding.list_bound(site.ctx, _only_campaign(site), limit=100)["items"]) == 22
    assert not any(o["phone"] in _bound_table(page).inner_text() for o in others)

    page.get_by_role("link", name="下一步").click()
    page.get_by_role("button", name="确认发布").click()
    expect(page.get_by_role("status")).to_have_text("活动已发布。")
    settings = page.locator("dl.facts")
    expect(settings).to_contain_text("消费电量（kWh）")
    expect(settings).to_contain_text("达到 10.000 kWh： 5元券 × 1")
    expect(settings).to_contain_text("达到 50.500 kWh： 10元券 × 1")
    expect(settings).to_contain_text("2.500 kWh")


def test_a_viewer_sees_the_bound_members_but_no_binding_controls_and_cannot_bind(page, site):
    _start(site, page, role="viewer")
    member = f.member(site.ctx)
    draft = lifecycle.create_campaign(site.ctx, fields={"type": "one_time", "name": "回馈"})
    binding.bind_members(site.ctx, draft["id"], member_ids=[member["id"]])
    page.goto(f"/admin/campaigns/{draft['id']}/members")
    expect(_bound_table(page)).to_contain_text(member["phone"])
    for hidden in ["批量绑定", "绑定全部", "批量解绑", "解绑全部", f"绑定 {member['phone']}", f"解绑 {member['phone']}"]:
        expect(page.get_by_role("button", name=hidden)).to_have_count(0)
    expect(page.get_by_label("全选")).to_have_count(0)

    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    other = f.member(site.ctx)
    assert page.request.post(f"/admin/campaigns/{draft['id']}/members/bind",
                             form={"csrf_token": token, "bind": "all"}).status == 403
    assert page.request.post(f"/admin/campaigns/{draft['id']}/members/unbind",
                             form={"csrf_token": token, "member_ids": member["id"]}).status == 403
    assert page.request.post(f"/admin/campaigns/{draft['id']}/members/bind",
                             form={"one": other["id"]}).status == 403
    bound = [m["member_id"] for m in binding.list_bound(site.ctx, draft["id"])["items"]]
    assert bound == [member["id"]]


def _only_campaign(site) -> int:
    (campaign,) = lifecycle.list_campaigns(site.ctx)["items"]
    return campaign["id"]


def _confirm(page, answer: bool) -> list[str]:
    """Answer the next confirmation dialog; the list receives its message."""
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept() if answer else dialog.dismiss()))
    return asked


def test_bulk_unbinding_takes_the_ticked_rows_the_bound_results_of_a_search_or_everyone_after_asking(page, site):
    _start(site, page)
    vip = [f.member(site.ctx, tags=("vip",)) for _ in range(5)]
    others = [f.member(site.ctx) for _ in range(3)]
    draft = lifecycle.create_campaign(site.ctx, fields={"type": "one_time", "name": "回馈"})
    binding.bind_members(site.ctx, draft["id"], member_ids=[m["id"] for m in vip + others])
    page.goto(f"/admin/campaigns/{draft['id']}/members")
    expect(page.get_by_test_id("bound-count")).to_have_text("共 8 名")

    for member in vip[:2]:
        page.get_by_label(f"选择已绑定的 {member['phone']}").check()
    page.get_by_role("button", name="批量解绑").click()
    expect(page.locator(".flash")).to_have_text("已解绑 2 名会员，共绑定 6 名。")

    page.get_by_label("标签").fill("vip")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("found-count")).to_have_text("共找到 5 名会员，其中 3 名已绑定")
    results = page.get_by_role("table", name="查询结果")
    expect(results.get_by_role("row").filter(has_text=vip[0]["phone"])).not_to_contain_text("已绑定")
    expect(results.get_by_role("row").filter(has_text=vip[2]["phone"])).to_contain_text("已绑定")
    expect(results.get_by_role("button", name=f"绑定 {vip[0]['phone']}")).to_be_visible()
    expect(results.get_by_role("button", name=f"解绑 {vip[2]['phone']}")).to_be_visible()

    asked = _confirm(page, answer=False)  # 取消: nothing changes
    page.get_by_role("button", name="解绑搜索结果中已绑定的 3 名").click()
    expect(page.get_by_test_id("bound-count")).to_have_text("共 6 名")
    assert asked == ["解绑本次搜索结果中已绑定的 3 名会员？"]
    assert len(binding.list_bound(site.ctx, draft["id"])["items"]) == 6

    _confirm(page, answer=True)
    page.get_by_role("button", name="解绑搜索结果中已绑定的 3 名").click()
    expect(page.locator(".flash")).to_have_text("已解绑 3 名会员，共绑定 3 名。")
    assert {m["member_id"] for m in binding.list_bound(site.ctx, draft["id"])["items"]} == {m["id"] for m in others}

    asked = _confirm(page, answer=True)
    page.get_by_role("button", name="解绑全部 3 名已绑定会员").click()
    expect(page.locator(".flash")).to_have_text("已解绑 3 名会员，共绑定 0 名。")
    assert asked == ["解绑全部 3 名已绑定会员？"]
    assert binding.list_bound(site.ctx, draft["id"])["items"] == []
    expect(page.get_by_role("button", name="解绑全部")).to_have_count(0)


def test_binding_a_whole_search_shows_that_it_is_working_and_cannot_be_sent_twice(page, site):
    _start(site, page)
    people = [f.member(site.ctx) for _ in range(3)]
    draft = lifecycle.create_campaign(site.ctx, fields={"type": "one_time", "name": "回馈"})
    page.goto(f"/admin/campaigns/{draft['id']}/members")
    sent = []
    # The server's answer never comes (204 keeps the page as it is), so the page can be seen while it waits.
    page.route("**/members/bind", lambda route: (sent.append(route.request.post_data), route.fulfill(status=204)))
    _confirm(page, answer=True)
    page.get_by_role("button", name="绑定全部 3 个搜索结果").click()
    expect(page.get_by_text("正在绑定 3 名会员，请稍候…")).to_be_visible()
    expect(page.get_by_role("button", name="批量绑定")).to_be_disabled()
    expect(page.get_by_role("button", name="绑定全部 3 个搜索结果")).to_be_disabled()
    assert len(sent) == 1 and "bind=all" in sent[0]  # the button's name and value went with the form

    page.unroute("**/members/bind")
    page.reload()
    _confirm(page, answer=True)
    page.get_by_role("button", name="绑定全部 3 个搜索结果").click()
    expect(page.locator(".flash")).to_have_text("本次绑定 3 名会员，共绑定 3 名。")
    assert {m["member_id"] for m in binding.list_bound(site.ctx, draft["id"])["items"]} == {p["id"] for p in people}
