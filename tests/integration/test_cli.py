"""The ``evperks`` command as an operator uses it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from typer.testing import CliRunner

from evperks.cli import app
from evperks.db.migrate import head
from evperks.services.access import role_of_key, verify_admin_password

runner = CliRunner()


@pytest.fixture
def env(ctx, database_url, monkeypatch):
    monkeypatch.setenv("EVPERKS_DATABASE_URL", database_url)
    return ctx


def test_keys_create_prints_a_working_key_as_the_last_line(env):
    result = runner.invoke(app, ["keys", "create", "charging-platform", "--role", "platform"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("evp_")
    assert role_of_key(env, key) == "platform"


def test_keys_create_refuses_an_unknown_role(env):
    result = runner.invoke(app, ["keys", "create", "x", "--role", "root"])
    assert result.exit_code == 1
    assert "role must be one of" in result.output


def test_admin_create_reads_the_password_from_stdin(env):
    result = runner.invoke(app, ["admin", "create", "alice", "--role", "operator"], input="correct horse battery\n")
    assert result.exit_code == 0, result.output
    assert verify_admin_password(env, username="alice", password="correct horse battery") == "operator"
    assert verify_admin_password(env, username="alice", password="wrong") is None
    again = runner.invoke(app, ["admin", "create", "alice"], input="another password\n")
    assert again.exit_code == 1 and "already exists" in again.output


def test_admin_create_refuses_a_short_password(env):
    result = runner.invoke(app, ["admin", "create", "bob"], input="short\n")
    assert result.exit_code == 1
    assert "at least 8" in result.output


def test_the_demo_prints_its_login_and_keys_and_serves_them(tmp_path):
    """The demo always makes its own SQLite file, so this runs once, not per engine."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVPERKS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "evperks", "demo", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        lines = []
        while not any(line.lstrip().startswith("try:") for line in lines):
            line = process.stdout.readline()
            assert line, "demo exited early:\n" + "".join(lines)
            lines.append(line)
        output = "".join(lines)
        platform_key = re.search(r"platform key:\s+(\S+)", output).group(1)
        assert re.search(r"admin login:\s+admin / \S+", output)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "demo did not start serving"
                time.sleep(0.2)
        vouchers = httpx.get(f"{base}/api/v1/members/demo-m1/vouchers",
                             headers={"Authorization": f"Bearer {platform_key}"}).json()["items"]
        manual = [v for v in vouchers if v["source"]["kind"] == "manual"]
        assert len(manual) == 5  # three amount vouchers, a 折扣券 and an off-peak one
        assert {(v["name"], v["kind"], v["percent_off"]) for v in manual if v["kind"] == "percent"} == {("服务费8折券", "percent", 20)}
        assert [v["usable_hours"] for v in manual if v["name"] == "谷时5元券"] == [[{"from": "23:00", "to": "07:00"}]]
        admin_key = re.search(r"admin key:\s+(\S+)", output).group(1)
        campaigns = httpx.get(f"{base}/api/v1/admin/campaigns", headers={"Authorization": f"Bearer {admin_key}"}).json()
        assert sorted(c["type"] for c in campaigns["items"]) == ["consumption", "one_time", "recharge", "referral", "registration"]
        assert {c["status"] for c in campaigns["items"]} == {"active"}
        offers = httpx.get(f"{base}/api/v1/mall/items", params={"member_id": "demo-m1"},
                           headers={"Authorization": f"Bearer {platform_key}"}).json()["items"]
        assert len(offers) == 2 and {o["member_exchanged"] for o in offers} == {0}
        h5 = httpx.get(re.search(r"member H5:\s+(\S+)", output).group(1), follow_redirects=True)
        assert h5.url.path == "/h5" and "张三" in h5.text
        console = httpx.get(re.search(r"admin console:\s+(\S+)", output).group(1), follow_redirects=True)
        assert console.url.path == "/admin/login" and "登录" in console.text
        assert (tmp_path / "evperks-demo.db").exists()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)


def test_check_passes_on_reconciled_books_and_names_a_tampered_balance(env):
    from sqlalchemy import update

    from evperks.db.tables import members
    from tests import factories as f

    member = f.member(env)
    ok = runner.invoke(app, ["check"])
    assert ok.exit_code == 0, ok.output
    assert "equals its ledger" in ok.output
    with env.db.write() as conn:
        conn.execute(update(members).where(members.c.id == member["id"]).values(wallet_balance_fen=500, points_balance=7))
    bad = runner.invoke(app, ["check"])
    assert bad.exit_code == 1
    assert member["id"] in bad.output
    assert "wallet:" in bad.output and "points:" in bad.output


def test_check_names_an_order_whose_refunds_disagree_with_it(env):
    from sqlalchemy import update

    from evperks.db.tables import charge_orders
    from evperks.services.settlement import refunds, settle
    from tests import factories as f

    env.clock.move_to(f.local(2026, 3, 12, 12))
    f.station(env)
    member = f.member(env)
    settle(env, f.charge_order(member["id"], order_no="CO-1", voucher=None))
    refunds.refund(env, order_no="CO-1", refund_no="RF-1", amount_fen=500)
    assert runner.invoke(app, ["check"]).exit_code == 0
    with env.db.write() as conn:
        conn.execute(update(charge_orders).where(charge_orders.c.order_no == "CO-1").values(refunded_fen=600))
    bad = runner.invoke(app, ["check"])
    assert bad.exit_code == 1
    assert "refunds: order CO-1: refunded_fen 600" in bad.output


def test_migrate_says_what_it_applied_then_that_the_database_is_up_to_date(tmp_path, monkeypatch):
    monkeypatch.setenv("EVPERKS_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    first = runner.invoke(app, ["migrate"])
    assert first.exit_code == 0, first.output
    assert f"database migrated from empty to {head()}" in first.output
    assert "applied 0001_initial: Initial schema" in first.output
    assert f"applied {head()}: " in first.output
    assert "up to date" not in first.output
    again = runner.invoke(app, ["migrate"])
    assert again.exit_code == 0, again.output
    assert f"database is up to date (at {head()}): no migration to apply" in again.output
    assert "applied" not in again.output


def test_a_command_that_migrates_on_start_says_so_so_migrate_then_finds_nothing_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("EVPERKS_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    keys = runner.invoke(app, ["keys", "create", "platform", "--role", "platform"])
    assert keys.exit_code == 0, keys.output
    assert f"database migrated from empty to {head()}" in keys.output
    again = runner.invoke(app, ["migrate"])
    assert f"database is up to date (at {head()}): no migration to apply" in again.output


def test_migrate_on_a_migrated_database_changes_nothing_and_says_so(env):
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert f"database is up to date (at {head()})" in result.output
