"""The installed package serves every console and H5 page in Chinese, on SQLite and on PostgreSQL: nothing the
pages need (templates at any depth, static files, translations, migrations) is missing from the wheel."""

from __future__ import annotations

import re

import httpx
from conftest import Deployment, evperks

# The console menu: each entry's address and the title its page must carry.
MENU = {
    "/admin": "首页",
    "/admin/voucher-templates": "代金券管理",
    "/admin/campaigns": "活动列表",
    "/admin/members": "会员",
    "/admin/points": "积分管理",
    "/admin/mall": "积分商城",
    "/admin/stored-value": "储值管理",
    "/admin/stations": "站点",
    "/admin/audit": "审计日志",
    "/admin/exports": "数据导出",
}
# Detail and create pages behind the menu, with the ids of the data the deployment made.
PAGES = {
    "/admin/voucher-templates/new": "新建代金券",
    "/admin/voucher-templates/{template}": "10元券",
    "/admin/voucher-templates/{template}/edit": "编辑代金券",
    "/admin/campaigns/new": "创建活动",
    "/admin/campaigns/new?type=registration": "创建活动",
    "/admin/campaigns/new?type=referral": "创建活动",
    "/admin/campaigns/new?type=recharge": "创建活动",
    "/admin/campaigns/new?type=consumption": "创建活动",
    "/admin/campaigns/new?type=one_time": "创建活动",
    "/admin/campaigns/{campaign}": "注册有礼",
    "/admin/campaigns/{campaign}/edit": "编辑活动",
    "/admin/campaigns/{campaign}/members": "绑定会员",
    "/admin/campaigns/{campaign}/publish": "确认发布活动",
    "/admin/campaigns/{campaign}/stats": "每日发放份数",
    "/admin/members?q=13800000001": "会员",
    "/admin/members/{member}": "张三",
    "/admin/members/{member}?tab=vouchers": "张三",
    "/admin/members/{member}?tab=points": "张三",
    "/admin/members/{member}?tab=wallet": "张三",
    "/admin/members/{member}?tab=invites": "张三",
    "/admin/stations/{station}/edit": "编辑站点",
    "/admin/mall/new": "新建商品",
}
H5_PAGES = {
    "/h5": "会员中心",
    "/h5/me": "个人中心",
    "/h5/vouchers": "代金券",
    "/h5/recharge": "充值",
    "/h5/recharges": "充值详情",
    "/h5/balance": "余额明细",
    "/h5/invite": "邀请有奖",
    "/h5/campaigns": "活动进度查看",
    "/h5/messages": "消息",
    "/h5/points": "积分",
    "/h5/mall": "积分商城",
}


def title_of(response: httpx.Response) -> str:
    found = re.search(r"<title>(.*?)</title>", response.text, re.S)
    return found.group(1).strip() if found else ""


def open_page(client: httpx.Client, path: str, expected: str, status: int = 200) -> httpx.Response:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:2000])
    assert response.headers["content-type"].startswith("text/html"), path
    # A page names itself in its <title>; an HTMX fragment (no <title>) must show the text somewhere.
    shown = title_of(response) if "<title>" in response.text else response.text
    assert expected in shown, (path, title_of(response), expected)
    return response


def assets_load(client: httpx.Client, pages: list[httpx.Response]) -> None:
    """Every stylesheet, script and icon the pages link to is served (static files ship in the wheel)."""
    assets = {a for page in pages for a in re.findall(r'(?:href|src)="(/static/[^"?]+)', page.text)}
    assert assets, "the pages link to no static file"
    for asset in sorted(assets):
        assert client.get(asset).status_code == 200, asset


def test_the_console_menu_and_every_page_behind_it_open_in_chinese(deployment: Deployment):
    client = deployment.console()
    home = open_page(client, "/admin", MENU["/admin"])
    menu = re.search(r"<nav.*?</nav>", home.text, re.S).group(0)
    assert re.findall(r'href="(/admin[^"]*)"', menu) == list(MENU)
    pages = [open_page(client, path, title) for path, title in MENU.items()]
    pages += [open_page(client, path.format(**deployment.ids), title) for path, title in PAGES.items()]
    assets_load(client, pages)


def test_wrong_addresses_and_broken_requests_get_chinese_error_pages(deployment: Deployment):
    client = deployment.console()
    open_page(client, "/admin/no-such-page", "页面不存在", status=404)
    open_page(client, "/h5/no-such-page", "页面不存在", status=404)
    open_page(client, "/admin/campaigns/99999999999999999999", "请求被拒绝", status=400)
    unreadable = client.post("/admin/login", data={"username": "x" * 500, "password": "p", "csrf_token": "t"})
    assert unreadable.status_code == 400 and "请求被拒绝" in title_of(unreadable)
    api = deployment.api("GET", "/api/v1/no-such-thing")
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"


def test_a_member_link_points_at_the_served_port_and_opens_every_h5_page(deployment: Deployment):
    link = deployment.created("GET", f"/api/v1/members/{deployment.ids['member']}/h5-link")["url"]
    # No EVPERKS_PUBLIC_BASE_URL was set: links point where `serve` listens.
    assert link.startswith(f"{deployment.base}/h5/enter?")
    phone = httpx.Client(base_url=deployment.base)
    home = phone.get(link, follow_redirects=True)
    assert home.url.path == "/h5" and "会员中心" in title_of(home)
    linked = set(re.findall(r'href="(/h5[^"?#]*)"', home.text))
    assert linked <= set(H5_PAGES), linked - set(H5_PAGES)
    pages = [open_page(phone, path, title) for path, title in H5_PAGES.items()]
    qr = phone.get("/h5/invite/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml") and b"<svg" in qr.content
    invited = httpx.Client(base_url=deployment.base)
    pages.append(open_page(invited, f"/h5/register?invite={deployment.ids['invite_code']}", "注册"))
    assets_load(phone, pages)


def test_the_probes_answer_and_the_books_reconcile_with_the_installed_command(deployment: Deployment):
    for path in ("/healthz", "/readyz"):
        assert httpx.get(deployment.base + path).json() == {"status": "ok"}
    assert "equals its ledger" in evperks(deployment.env, "check")
