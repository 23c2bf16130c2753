"""The deployment examples in deploy/ (quoted by docs/operations.md) work as written: the systemd units start
commands the CLI has, nginx really proxies TLS to a live `evperks serve`, and the documented PostgreSQL backup
restores into a database that `evperks check` accepts."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import ssl
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from evperks.cli import app
from evperks.config import Settings
from evperks.db.migrate import current, head, upgrade
from evperks.db.tables import members
from evperks.services.access import create_admin_user, create_api_key
from evperks.services.context import Context
from tests import factories as f
from tests.conftest import empty_postgresql_database
from tests.installed.serving import serving_process
from tests.live import free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
OPERATIONS = (ROOT / "docs" / "operations.md").read_text()


def exec_start(unit: Path) -> list[str]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(unit)
    return shlex.split(parser["Service"]["ExecStart"])


def test_there_is_a_unit_for_serve_and_one_for_the_worker():
    assert {exec_start(unit)[1] for unit in UNITS} == {"serve", "worker"}


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_each_unit_starts_a_command_and_options_the_cli_has(unit):
    program, *args = exec_start(unit)
    assert program == "/opt/evperks/venv/bin/evperks"
    # --help after the real arguments: an unknown command or option fails, valid ones just print help.
    result = CliRunner().invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_systemd_accepts_each_unit(unit, tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    evperks = Path(sys.executable).with_name("evperks")
    assert evperks.exists(), "the evperks script next to this python (pip install -e .)"
    # systemd checks that the program exists: point the unit at this machine's evperks.
    local = tmp_path / unit.name
    local.write_text(unit.read_text().replace("/opt/evperks/venv/bin/evperks", str(evperks)))
    done = subprocess.run(["systemd-analyze", "verify", str(local)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert unit.name in OPERATIONS


# --- nginx with TLS in front of a live evperks serve --------------------------------------------------------
def _nginx_or_skip() -> str:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is required under CI (.ci/run installs nginx-light)")
        pytest.skip("nginx is not installed")
    return nginx


def _self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "fullchain.pem", directory / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def _substitute(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx/evperks.conf no longer contains {old!r}: update this test"
        text = text.replace(old, new)
    return text


def _nginx_config(directory: Path, upstream_port: int, http_port: int, https_port: int) -> Path:
    cert, key = _self_signed(directory)
    site = _substitute((DEPLOY / "nginx" / "evperks.conf").read_text(), {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream_port};",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
        "/etc/letsencrypt/live/perks.example.com/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/perks.example.com/privkey.pem": str(key),
    })
    (directory / "evperks.conf").write_text(site)
    main = directory / "nginx.conf"
    user = "user root;" if os.geteuid() == 0 else ""  # workers must reach the temp folders inside this test's tmp
    main.write_text(f"""{user}
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/evperks.conf;
}}
""")
    return main


def test_nginx_serves_evperks_over_https_with_secure_cookies_and_https_links(tmp_path):
    """One engine: this is about the proxy and `serve`, not the database (the API suite covers both)."""
    nginx = _nginx_or_skip()
    http_port, https_port = free_port(), free_port()
    public = f"https://localhost:{https_port}"
    url = f"sqlite:///{tmp_path / 'evperks.db'}"
    upgrade(url)
    ctx = Context.from_settings(Settings(database_url=url, scheduler=False))
    member, key = f.member(ctx), create_api_key(ctx, name="platform", role="platform")
    create_admin_user(ctx, username="alice", password="correct horse battery", role="admin")
    ctx.db.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVPERKS_")}
    env |= {"EVPERKS_DATABASE_URL": url, "EVPERKS_SCHEDULER": "false", "EVPERKS_H5_LINK_SECRET": "s" * 32,
            "EVPERKS_PUBLIC_BASE_URL": public}
    serve_port = free_port()
    config = _nginx_config(tmp_path, serve_port, http_port, https_port)
    assert subprocess.run([nginx, "-t", "-c", str(config)], capture_output=True).returncode == 0
    command = [sys.executable, "-m", "evperks", "serve", "--host", "127.0.0.1", "--port", str(serve_port)]
    with serving_process(command, env, tmp_path):
        proxy = subprocess.Popen([nginx, "-c", str(config), "-g", "daemon off;"], stderr=subprocess.PIPE, text=True)
        try:
            trusted = ssl.create_default_context(cafile=tmp_path / "fullchain.pem")
            with httpx.Client(base_url=public, verify=trusted) as client:
                _wait_for(client, proxy)
                _check_through_the_proxy(client, public, member, key)
            plain = httpx.get(f"http://127.0.0.1:{http_port}/admin")
            assert plain.status_code == 301 and plain.headers["location"].startswith("https://")
        finally:
            proxy.terminate()
            proxy.wait(timeout=20)


def _wait_for(client: httpx.Client, proxy: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert proxy.poll() is None, proxy.stderr.read()
        try:
            if client.get("/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "nginx did not start proxying"
        time.sleep(0.1)


def _check_through_the_proxy(client: httpx.Client, public: str, member: dict, key: str) -> None:
    link = client.get(f"/api/v1/members/{member['id']}/h5-link", headers={"Authorization": f"Bearer {key}"})
    assert link.status_code == 200 and link.json()["url"].startswith(f"{public}/h5/enter?")
    form = client.get("/admin/login")
    assert form.status_code == 200 and "登录" in form.text
    assert "secure" in form.headers["set-cookie"].lower()
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    signed = client.post("/admin/login", data={"username": "alice", "password": "correct horse battery",
                                               "csrf_token": token})
    assert signed.status_code == 303, signed.text
    session_cookie = signed.headers["set-cookie"]
    assert session_cookie.startswith("evperks_admin=") and "secure" in session_cookie.lower()
    # The app builds this absolute redirect from the request: https and the public port come from the proxy.
    slash = client.get("/admin/campaigns/")
    assert slash.status_code in (307, 308) and slash.headers["location"] == f"{public}/admin/campaigns"
    assert client.get("/admin/campaigns").status_code == 200


# --- backup and restore ------------------------------------------------------------------------------------
def _libpq(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(scheme="postgresql"))


def test_a_pg_dump_restored_into_a_new_database_passes_evperks_check(tmp_path, monkeypatch):
    for command in ("pg_dump --format=custom", "pg_restore --no-owner --exit-on-error", "evperks check"):
        assert command in OPERATIONS, f"docs/operations.md no longer shows {command!r}: keep the test in step"
    with empty_postgresql_database() as source_url, empty_postgresql_database() as restored_url:
        upgrade(source_url)
        ctx = Context.from_settings(Settings(database_url=source_url, scheduler=False))
        member = f.member(ctx)
        f.give(ctx, member["id"], f.template(ctx)["id"], quantity=2)
        ctx.db.dispose()
        dump = tmp_path / "evperks.dump"
        subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", _libpq(source_url)], check=True)
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_libpq(restored_url)}", str(dump)],
                       check=True)
        monkeypatch.setenv("EVPERKS_DATABASE_URL", restored_url)
        result = CliRunner().invoke(app, ["check"])
        assert result.exit_code == 0, result.output
        assert "equals its ledger" in result.output
        assert current(restored_url) == head()
        restored = Context.from_settings(Settings(database_url=restored_url, scheduler=False))
        with restored.db.read() as conn:
            assert conn.execute(select(members.c.id)).scalars().all() == [member["id"]]
        restored.db.dispose()
