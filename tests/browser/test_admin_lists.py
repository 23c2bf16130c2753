"""The console's lists as an operator uses them: how many results there are, page numbers, search by
name on 代金券管理 and 活动列表, and CSV downloads that open right in Excel."""

from __future__ import annotations

import csv
import io

from playwright.sync_api import expect

from evperks.services.campaigns import lifecycle
from tests import factories as f
from tests.browser.conftest import log_in


def test_the_voucher_list_counts_pages_by_number_and_finds_templates_by_name(page, site):
    site.ctx.clock.move_to(f.local(2026, 3, 10, 9))
    for n in range(23):
        f.template(site.ctx, 1000, name=f"满减券{n:02d}")
    f.template(site.ctx, 500, name="夜间充电券")
    log_in(page, site, username="olga", role="operator")
    page.goto("/admin/voucher-templates")
    pages = page.get_by_role("navigation", name="分页")
    expect(pages).to_contain_text("共 24 条 · 第 1/2 页")
    expect(page.locator("table tbody tr")).to_have_count(20)
    pages.get_by_role("link", name="第 2 页").click()
    expect(pages).to_contain_text("共 24 条 · 第 2/2 页")
    expect(page.locator("table tbody tr")).to_have_count(4)
    expect(pages.locator("[aria-current=page]")).to_have_text("2")

    page.get_by_label("名称包含").fill("夜间")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("table tbody tr")).to_have_count(1)
    expect(page.locator("table tbody")).to_contain_text("夜间充电券")
    expect(pages).to_contain_text("共 1 条 · 第 1/1 页")  # the page number went with the old search
    page.get_by_label("名称包含").fill("没有这种券")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("table tbody")).to_contain_text("没有符合条件的代金券。")
    page.goto("/admin/voucher-templates?page=99")  # past the end: the last page
    expect(pages).to_contain_text("第 2/2 页")


def test_the_campaign_list_finds_campaigns_by_name_and_exports_a_campaign_s_recipients(page, site):
    site.ctx.clock.move_to(f.local(2026, 3, 10, 9))
    template = f.template(site.ctx, 1000, name="10元券")
    welcome = lifecycle.create_campaign(site.ctx, fields={
        "type": "registration", "name": "新人注册礼", "rules_text": "注册即送", "total_packages": 10,
        "start_at": f.local(2026, 3, 10), "end_at": f.local(2026, 4, 10),
        "reward": [{"template_id": template["id"], "quantity": 1}]})
    lifecycle.publish_campaign(site.ctx, welcome["id"])
    lifecycle.create_campaign(site.ctx, fields={"type": "one_time", "name": "老会员回馈"})
    newcomer = f.member(site.ctx, nickname="小王")
    log_in(page, site, username="olga", role="operator")
    page.goto("/admin/campaigns")
    expect(page.get_by_role("navigation", name="分页")).to_contain_text("共 2 条")
    page.get_by_label("名称包含").fill("注册")
    page.get_by_role("button", name="查询").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("新人注册礼")

    with page.expect_download() as download:
        rows.first.get_by_role("link", name="导出领取记录").click()
    text = download.value.path().read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")
    [row] = list(csv.DictReader(io.StringIO(text[1:])))
    assert (row["会员编号"], row["昵称"], row["发放时间"]) == (newcomer["id"], "小王", "2026-03-10 09:00:00")


def test_the_member_search_shows_its_total_and_downloads_exactly_its_results(page, site):
    site.ctx.clock.move_to(f.local(2026, 3, 10, 9))
    vip = [f.member(site.ctx, tags=("vip",), nickname=f"贵宾{n}") for n in range(3)]
    f.member(site.ctx, nickname="普通")
    log_in(page, site, username="vera", role="viewer")  # reading and exporting is for every role
    page.goto("/admin/members")
    expect(page.get_by_role("navigation", name="分页")).to_contain_text("共 4 条 · 第 1/1 页")
    page.get_by_label("标签").fill("vip")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("navigation", name="分页")).to_contain_text("共 3 条")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出这 3 名会员（CSV）").click()
    assert download.value.suggested_filename == "members-20260310.csv"
    text = download.value.path().read_bytes().decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert sorted(r["昵称"] for r in rows) == sorted(m["nickname"] for m in vip)
    assert {r["注册时间"] for r in rows} == {"2026-03-10 09:00:00"}

    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="数据导出").click()
    page.get_by_label("结算日期自").fill("2026-03-10")
    with page.expect_download() as download:
        page.get_by_role("button", name="导出充电订单（CSV）").click()
    header = download.value.path().read_bytes().decode("utf-8").removeprefix("\ufeff").splitlines()[0]
    assert header.startswith("订单号,会员编号,手机号,站点编号,站点名称,开始时间")
