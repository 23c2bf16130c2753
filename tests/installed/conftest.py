"""Smoke tests of evperks as users install it: the wheel in a fresh virtualenv, run by ``scripts/test-wheel``
with that virtualenv's python. Nothing here imports evperks or the checkout: the tests drive the installed
``evperks`` command and talk HTTP to the ``evperks serve`` it starts, like an operator and a member would.

The normal test run ignores this folder (``collect_ignore`` in tests/conftest.py)."""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
import sysconfig
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest
from serving import serving_process

BIN = Path(sys.executable).parent  # the virtualenv's bin/, where pip put the `evperks` script
PG_ADMIN_URL = os.environ.get("EVPERKS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# An explicit override of the H5 secret evperks otherwise generates in the database: set on SQLite, left out
# on PostgreSQL (as README's "Running it" does), so both ways are served.
H5_LINK_SECRET = "installed-smoke-" + "x" * 32
PASSWORD = "smoke-test-passw0rd"


@pytest.fixture(scope="session", autouse=True)
def the_package_under_test_is_the_installed_one() -> None:
    spec = importlib.util.find_spec("evperks")
    assert spec is not None and spec.origin, "evperks is not installed in this virtualenv"
    site_packages = Path(sysconfig.get_paths()["purelib"]).resolve()
    assert Path(spec.origin).resolve().is_relative_to(site_packages), f"evperks comes from {spec.origin}"
    assert (BIN / "evperks").exists(), f"no evperks command in {BIN}"
    assert not any(Path(p).name == "src" and (Path(p) / "evperks").is_dir() for p in sys.path), sys.path


def _base_env(engine: str, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVPERKS_") and k != "PYTHONPATH"}
    env["EVPERKS_DATABASE_URL"] = database_url
    if engine == "sqlite":
        env["EVPERKS_H5_LINK_SECRET"] = H5_LINK_SECRET
    return env


def evperks(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run the installed ``evperks`` command; its output, or a failure showing it."""
    done = subprocess.run([str(BIN / "evperks"), *args], env=env, input=stdin, capture_output=True, text=True)
    assert done.returncode == 0, f"evperks {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _postgresql_database() -> Iterator[str]:
    parts = urlsplit(PG_ADMIN_URL)
    conninfo = urlunsplit(parts._replace(scheme="postgresql"))
    try:
        admin = psycopg.connect(conninfo, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required under CI but unreachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}")
    name = f"evperks_installed_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(parts._replace(path=f"/{name}"))
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def _database(engine: str, directory: Path) -> Iterator[str]:
    if engine == "sqlite":
        yield f"sqlite:///{directory / 'evperks.db'}"
    else:
        with _postgresql_database() as url:
            yield url


@dataclass
class Deployment:
    """A served evperks set up by its command line: keys, a console user, and a little data made through the API."""

    base: str
    env: dict[str, str]
    platform_key: str
    admin_key: str
    ids: dict[str, str] = field(default_factory=dict)

    def api(self, method: str, path: str, *, role: str = "platform", **kwargs) -> httpx.Response:
        key = self.platform_key if role == "platform" else self.admin_key
        return httpx.request(method, self.base + path, headers={"Authorization": f"Bearer {key}"}, **kwargs)

    def created(self, method: str, path: str, *, role: str = "platform", **kwargs) -> dict:
        response = self.api(method, path, role=role, **kwargs)
        assert response.status_code in (200, 201), (path, response.status_code, response.text)
        return response.json()

    def console(self) -> httpx.Client:
        """A browser-like client signed in to the console as the admin created with `evperks admin create`."""
        client = httpx.Client(base_url=self.base)
        form = client.get("/admin/login")
        assert form.status_code == 200 and "登录" in form.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        signed = client.post("/admin/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token})
        assert signed.status_code == 303 and signed.headers["location"] == "/admin", signed.text
        return client


def _seed(deployment: Deployment) -> None:
    d = deployment
    d.created("PUT", "/api/v1/stations/S1", json={"name": "南山站", "city": "深圳"})
    member = d.created("POST", "/api/v1/members", json={"phone": "13800000001", "nickname": "张三"})
    template = d.created("POST", "/api/v1/admin/voucher-templates", role="admin", json={
        "name": "10元券", "face_value_fen": 1000, "deduction_type": "total", "validity": {"type": "days", "days": 7}})
    d.created("POST", f"/api/v1/admin/members/{member['id']}/vouchers", role="admin",
              json={"template_id": template["id"], "quantity": 1, "reason": "客服补发"})
    campaign = d.created("POST", "/api/v1/admin/campaigns", role="admin", json={"type": "registration", "name": "注册有礼"})
    d.ids |= {"member": member["id"], "invite_code": member["invite_code"], "template": str(template["id"]),
              "campaign": str(campaign["id"]), "station": "S1"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def deployment(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """README's "Running it" with the installed command: migrate, keys, an admin user, then serve (2 workers)."""
    directory = tmp_path_factory.mktemp(request.param)
    with _database(request.param, directory) as url:
        env = _base_env(request.param, url)
        assert "database migrated from empty to " in evperks(env, "migrate")
        assert "database is up to date (at " in evperks(env, "migrate")
        platform_key = evperks(env, "keys", "create", "platform", "--role", "platform").strip().splitlines()[-1]
        admin_key = evperks(env, "keys", "create", "ops", "--role", "admin").strip().splitlines()[-1]
        evperks(env, "admin", "create", "alice", "--role", "admin", stdin=PASSWORD + "\n")
        command = [str(BIN / "evperks"), "serve", "--port", str(_free_port()), "--workers", "2"]
        with serving_process(command, env, directory, probe="/readyz") as (base, log):
            deployment = Deployment(base=base, env=env, platform_key=platform_key, admin_key=admin_key)
            _seed(deployment)
            yield deployment
        assert "Traceback" not in log.read_text(), log.read_text()

