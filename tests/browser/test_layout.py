"""The console works on a tablet and the H5 on a small phone: no page scrolls sideways (wide tables
scroll inside their own box), the menus stay reachable, and H5 pages stay small."""

from __future__ import annotations

import re

from tests.browser import h5_support as h5
from tests.browser.conftest import log_in

TABLET = {"width": 768, "height": 1024}
SMALL_PHONE = {"width": 320, "height": 640}
CONSOLE_PAGES = ["/admin", "/admin/voucher-templates", "/admin/voucher-templates/new", "/admin/campaigns",
                 "/admin/campaigns/new?type=consumption", "/admin/members", "/admin/points", "/admin/stored-value",
                 "/admin/stations", "/admin/audit", "/admin/mall", "/admin/mall/new"]
H5_PAGES = ["/h5", "/h5/campaigns", "/h5/me", "/h5/vouchers", "/h5/recharge", "/h5/recharges", "/h5/balance",
            "/h5/points", "/h5/messages", "/h5/invite", "/h5/mall"]


def sideways_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_every_console_page_fits_a_tablet_and_keeps_its_menu(new_page, site):
    tablet = new_page(TABLET)
    log_in(tablet, site)
    for path in CONSOLE_PAGES:
        tablet.goto(path)
        assert sideways_overflow(tablet) == 0, path
        assert tablet.get_by_role("navigation", name="主菜单").get_by_role("link", name="活动列表").is_visible()


def test_every_h5_page_is_small_has_no_script_and_fits_a_320_pixel_phone(new_page, site):
    """Members open these on slow phone connections: a page is a few KB of HTML and one shared stylesheet.
    The one script is 邀请有奖's (copying the invite link needs it), and it is small."""
    phone = new_page(SMALL_PHONE)
    member = h5.member(site, "13900001111", nickname="小窄")
    h5.enter(phone, site, member["id"])
    for path in H5_PAGES:
        response = phone.goto(path)
        assert sideways_overflow(phone) == 0, path
        html = response.body()
        scripts = re.findall(rb"<script[^>]*>", html)
        allowed = [b'<script src="/static/invite.js" defer>'] if path == "/h5/invite" else []
        assert len(html) < 12_000 and scripts == allowed, (path, len(html), scripts)
    assert len(phone.request.get(site.url("/static/h5.css")).body()) < 16_000
    assert len(phone.request.get(site.url("/static/invite.js")).body()) < 4_000
