"""Signing in to the console: the form, wrong passwords, lock-out, CSRF, logout, language."""

from __future__ import annotations

import httpx

from evperks.services.access import create_admin_user
from tests.browser.conftest import PASSWORD, log_in, shot
from tests.browser.h5_support import WAIT


def test_an_admin_signs_in_and_sees_the_chinese_menu(page, site):
    log_in(page, site)
    assert page.get_by_test_id("who").inner_text() == "admin · 管理员"
    menu = page.get_by_role("navigation", name="主菜单")
    for item in ["首页", "代金券管理", "活动列表", "会员", "积分管理", "积分商城", "储值管理", "站点", "审计日志"]:
        assert menu.get_by_role("link", name=item).is_visible()
    shot(page, "admin-home")


def test_a_wrong_password_is_refused_and_keeps_the_username(page, site):
    create_admin_user(site.ctx, username="alice", password=PASSWORD, role="operator")
    page.goto("/admin/login")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text() == "用户名或密码错误。"
    assert page.input_value("input[name=username]") == "alice"
    page.goto("/admin")
    assert "/admin/login" in page.url


def test_five_failures_lock_the_name_even_with_the_right_password_afterwards(page, site):
    create_admin_user(site.ctx, username="alice", password=PASSWORD, role="admin")
    for _ in range(site.ctx.settings.login_max_failures):
        page.goto("/admin/login")
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", "guess")
        page.click("button[type=submit]")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text() == "失败次数过多，请稍后再试。"
    assert "/admin/login" in page.url


def test_a_login_post_without_the_forms_csrf_token_is_refused(site):
    create_admin_user(site.ctx, username="alice", password=PASSWORD, role="admin")
    response = httpx.post(site.url("/admin/login"), data={"username": "alice", "password": PASSWORD}, timeout=WAIT)
    assert response.status_code == 403
    assert "evperks_admin" not in response.cookies


def test_logging_out_ends_the_session(page, site):
    log_in(page, site)
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/admin/login")
    page.goto("/admin")
    assert "/admin/login" in page.url


def test_lang_en_switches_to_english_and_is_remembered(page, site):
    log_in(page, site)
    page.goto("/admin/campaigns?status=active")
    page.get_by_role("link", name="English").click()
    assert page.url.endswith("/admin/campaigns?status=active&lang=en")
    assert page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Voucher management").is_visible()
    page.goto("/admin")
    assert page.get_by_test_id("who").inner_text() == "admin · admin"
