"""Browser tests: the system Chromium, driven by Playwright for Python, against a live server per engine.

Chromium comes from Debian (``apt-get install chromium``; ``.ci/run`` installs it). Without it these
tests skip, except under ``CI`` where that is a failure. Every page a test opens is watched for
JavaScript errors and failed asset loads: any of them fails the test.

Set ``EVPERKS_SCREENSHOTS=docs/screenshots`` to save the screenshots tests take with ``shot``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from evperks.config import Settings
from evperks.services.access import create_admin_user, create_api_key
from evperks.services.context import Context
from tests.conftest import empty_all_tables
from tests.live import free_port, serving

CHROMIUM = os.environ.get("EVPERKS_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct-horse-battery"
PHONE = {"width": 375, "height": 740}
LAPTOP = {"width": 1366, "height": 860}


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required under CI but {CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import expect, sync_playwright  # noqa: PLC0415 - only browser tests need it

    expect.set_options(timeout=20_000)  # the same waiting bound as the pages' (see _new_page)

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--lang=zh-CN"])
        yield chromium
        chromium.close()


@dataclass
class Site:
    """The running application: its base URL, its service context and keys to set things up with."""

    base_url: str
    ctx: Context
    platform_key: str
    admin_key: str
    problems: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url + path


@contextmanager
def served_site(database_url: str, **settings: object) -> Iterator[Site]:
    """A live server on an emptied database with a platform and an admin key; ``settings`` add to the
    sandbox's (an SMS provider, WeChat Pay)."""
    port = free_port()
    ctx = Context.from_settings(Settings(database_url=database_url, sandbox=True, scheduler=False,
                                         public_base_url=f"http://127.0.0.1:{port}", **settings))
    empty_all_tables(ctx.db)
    platform_key = create_api_key(ctx, name="platform", role="platform")
    admin_key = create_api_key(ctx, name="admin", role="admin")
    with serving(ctx, port) as base_url:
        yield Site(base_url, ctx, platform_key, admin_key)
    ctx.db.dispose()


@pytest.fixture
def site(database_url: str) -> Iterator[Site]:
    with served_site(database_url) as served:
        yield served


def _watch(page, site: Site) -> None:
    """Collect JavaScript errors and failed same-site requests; the test fails if any happened."""
    page.on("pageerror", lambda exc: site.problems.append(f"JavaScript error: {exc}"))
    page.on("console", lambda msg: msg.type == "error" and not msg.text.startswith("Failed to load resource")
            and site.problems.append(f"console error: {msg.text}"))
    # ERR_ABORTED is a load cut short by the next navigation, not a fault of the page.
    page.on("requestfailed", lambda req: req.url.startswith(site.base_url) and req.failure != "net::ERR_ABORTED"
            and site.problems.append(f"request failed: {req.url} {req.failure}"))
    # A page may answer 4xx on purpose (a refused form); its scripts, styles and images may not.
    page.on("response", lambda res: res.status >= 400 and res.request.resource_type != "document"
            and not res.request.headers.get("hx-request")
            and site.problems.append(f"{res.status} for {res.request.resource_type} {res.url}"))


def _new_page(browser, site: Site, viewport: dict):
    context = browser.new_context(viewport=viewport, locale="zh-CN", base_url=site.base_url)
    context.set_default_timeout(20_000)  # a waiting bound for a loaded 2-core machine, not a speed limit
    page = context.new_page()
    _watch(page, site)
    return context, page


@pytest.fixture
def new_page(browser, site: Site):
    """Make pages (each its own browser, like another person's): ``new_page(PHONE)``. At the end they
    are closed, and any JavaScript error or failed asset on any of them fails the test."""
    contexts = []

    def make(viewport: dict = LAPTOP):
        context, tab = _new_page(browser, site, viewport)
        contexts.append(context)
        return tab

    yield make
    for context in contexts:
        context.close()
    assert not site.problems, site.problems


@pytest.fixture
def page(new_page):
    """A laptop-sized page (the admin console)."""
    return new_page(LAPTOP)


@pytest.fixture
def phone(new_page):
    """A phone-sized page (the member H5), 375 px wide."""
    return new_page(PHONE)


def log_in(page, site: Site, username: str = "admin", role: str = "admin") -> None:
    """Create a console user with ``role`` and sign in through the login form."""
    create_admin_user(site.ctx, username=username, password=PASSWORD, role=role)
    page.goto("/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin")


@pytest.fixture
def admin(page, site: Site):
    """A page signed in to the console as an admin."""
    log_in(page, site)
    return page


def shot(page, name: str) -> None:
    """Save a full-page screenshot as ``$EVPERKS_SCREENSHOTS/<name>.png`` when that is set."""
    folder = os.environ.get("EVPERKS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
