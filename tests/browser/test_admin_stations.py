"""站点 in the console: the list, adding and correcting a station, and the refusals."""

from __future__ import annotations

from playwright.sync_api import expect

from evperks.services import stations
from tests import factories as f
from tests.browser.conftest import log_in, shot


def _submit(page, name):
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        page.get_by_role("button", name=name).click()
    page.wait_for_load_state()
    return response.value


def test_an_operator_adds_a_station_corrects_it_and_bad_ids_are_refused(page, site):
    f.station(site.ctx, "S1")
    log_in(page, site, username="olivia", role="operator")
    page.goto("/admin/stations")
    expect(page.locator("main")).to_contain_text("站点通常由充电平台通过接口同步过来")
    expect(page.get_by_role("table", name="站点").locator("tbody tr")).to_have_count(1)

    page.get_by_label("站点编号").fill("S1")
    page.get_by_label("名称").fill("重复站")
    assert _submit(page, "新增").status == 409
    expect(page.locator("#e-id")).to_have_text("已存在该编号的站点")
    page.get_by_label("站点编号").fill("S 2/x")
    page.get_by_label("城市").fill("广州")
    assert _submit(page, "新增").status == 422
    expect(page.locator("#e-id")).to_have_text("只能包含字母、数字和 - . _ ~ * : @ ! $ ( ) , ; =，且不能只是 . 或 ..")
    assert page.get_by_label("名称").input_value() == "重复站"
    assert page.get_by_label("城市").input_value() == "广州"

    page.get_by_label("站点编号").fill("GZ-01")
    page.get_by_label("名称").fill("天河站")
    _submit(page, "新增")
    expect(page.get_by_role("status")).to_have_text("站点已新增。")
    expect(page.locator("tr#GZ-01")).to_contain_text("天河站")
    expect(page.locator("tr#GZ-01")).to_contain_text("广州")
    shot(page, "admin-stations")

    page.get_by_role("link", name="编辑站点 GZ-01").click()
    page.get_by_label("名称").fill("")
    assert _submit(page, "保存").status == 422
    expect(page.locator("#e-name")).to_have_text("必填")
    page.get_by_label("名称").fill("天河北站")
    _submit(page, "保存")
    expect(page.get_by_role("status")).to_have_text("站点已保存。")
    expect(page.locator("tr#GZ-01")).to_contain_text("天河北站")
    assert stations.get_station(site.ctx, "GZ-01") == {"id": "GZ-01", "name": "天河北站", "city": "广州"}


def test_a_viewer_sees_stations_but_cannot_add_and_a_post_without_csrf_is_refused(page, site, new_page):
    f.station(site.ctx, "S1")
    log_in(page, site, username="victor", role="viewer")
    page.goto("/admin/stations")
    expect(page.get_by_role("table", name="站点")).to_contain_text("站 S1")
    expect(page.get_by_role("button", name="新增")).to_have_count(0)
    expect(page.get_by_role("link", name="编辑")).to_have_count(0)
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = page.request.post("/admin/stations/S1", form={"csrf_token": token, "name": "改名"})
    assert refused.status == 403

    operator = new_page()
    log_in(operator, site, username="olivia", role="operator")
    forged = operator.request.post("/admin/stations", form={"id": "X1", "name": "伪造"})
    assert forged.status == 403
    assert stations.get_station(site.ctx, "S1")["name"] == "站 S1"
    assert stations.get_station(site.ctx, "X1") is None
