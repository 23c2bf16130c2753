"""EVPERKS_PUBLIC_BASE_URL defaults to where ``evperks serve`` listens, and a loopback address outside the
sandbox is warned about at start."""

from __future__ import annotations

import os
import sys

import httpx
import pytest

from evperks.config import Settings, is_loopback_url, listening_base_url
from evperks.db.migrate import upgrade
from evperks.services.access import create_api_key
from evperks.services.context import Context
from tests import factories as f
from tests.installed.serving import serving_process
from tests.live import free_port


@pytest.mark.parametrize(("host", "fqdn", "expected"), [
    ("127.0.0.1", "ignored", "http://127.0.0.1:9000"),
    ("perks.internal", "ignored", "http://perks.internal:9000"),
    ("0.0.0.0", "node-1.example.net", "http://node-1.example.net:9000"),
    ("::", "node-1.example.net", "http://node-1.example.net:9000"),
    ("0.0.0.0", "localhost", "http://127.0.0.1:9000"),
    ("::1", "ignored", "http://[::1]:9000"),
])
def test_the_default_public_address_is_where_serve_listens(host, fqdn, expected, monkeypatch):
    monkeypatch.setattr("socket.getfqdn", lambda: fqdn)
    assert listening_base_url(host, 9000) == expected


@pytest.mark.parametrize(("url", "loopback"), [
    ("http://127.0.0.1:8000", True), ("http://localhost:8000", True), ("http://[::1]:8000", True),
    ("http://127.8.0.1", True), ("https://perks.example.com", False), ("http://10.0.0.5:8000", False),
])
def test_loopback_addresses_are_recognised(url, loopback):
    assert is_loopback_url(url) is loopback


def _served(tmp_path, extra_env: dict[str, str]):
    """`evperks serve` on a free port (not 8000) over a SQLite file with a member and a platform key."""
    url = f"sqlite:///{tmp_path / 'served.db'}"
    upgrade(url)
    ctx = Context.from_settings(Settings(database_url=url, scheduler=False))
    member, key = f.member(ctx), create_api_key(ctx, name="platform", role="platform")
    ctx.db.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVPERKS_")}
    env |= {"EVPERKS_DATABASE_URL": url, "EVPERKS_SCHEDULER": "false", "EVPERKS_H5_LINK_SECRET": "s" * 32, **extra_env}
    port = free_port()
    command = [sys.executable, "-m", "evperks", "serve", "--port", str(port)]
    return serving_process(command, env, tmp_path), member, key, port


def _h5_link(base: str, member: dict, key: str) -> str:
    response = httpx.get(f"{base}/api/v1/members/{member['id']}/h5-link", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    return response.json()["url"]


def test_member_links_point_at_the_port_serve_listens_on_and_the_loopback_default_is_warned_about(tmp_path):
    server, member, key, port = _served(tmp_path, {})
    with server as (base, log):
        link = _h5_link(base, member, key)
        assert link.startswith(f"http://127.0.0.1:{port}/h5/enter?")
        assert httpx.get(link, follow_redirects=True).url.path.startswith("/h5")
    assert f"EVPERKS_PUBLIC_BASE_URL is http://127.0.0.1:{port}" in log.read_text()


def test_a_public_address_set_by_the_operator_wins_and_is_not_warned_about(tmp_path):
    server, member, key, _ = _served(tmp_path, {"EVPERKS_PUBLIC_BASE_URL": "https://perks.example.com"})
    with server as (base, log):
        assert _h5_link(base, member, key).startswith("https://perks.example.com/h5/enter?")
    assert "EVPERKS_PUBLIC_BASE_URL is" not in log.read_text()
