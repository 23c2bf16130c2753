"""docs/integration.md stays true: every ``curl`` example in its bash blocks runs, as written and in order,
against a live server on each engine, and each answers 2xx. Only the key and the host are replaced."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from evperks.services.access import create_api_key
from tests.api.conftest import local
from tests.live import serving

DOC = Path(__file__).parents[2] / "docs" / "integration.md"
KEY_PLACEHOLDER, HOST_PLACEHOLDER = "KEY=evp_...", "http://127.0.0.1:8000"
# Each curl also writes its status line and keeps its body (numbered) for the failure message.
WRAPPER = 'n=0\ncurl() { n=$((n + 1)); command curl -sS -o "$BODIES/$n" -w "%{http_code} %{method} %{url_effective}\\n" "$@"; }\n'


def doc_script() -> str:
    return "\n".join(re.findall(r"^```bash\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.S | re.M))


def test_the_doc_has_curl_examples_with_the_placeholders_this_test_replaces():
    script = doc_script()
    assert script.count(KEY_PLACEHOLDER) == 1 and HOST_PLACEHOLDER in script
    assert len(re.findall(r"^curl ", script, re.M)) >= 15


def test_every_curl_example_of_the_integration_doc_succeeds_in_order(ctx, tmp_path):
    if not shutil.which("curl"):
        if os.environ.get("CI"):
            pytest.fail("curl is required under CI (.ci/run installs it)")
        pytest.skip("no curl")
    ctx.clock.move_to(local(2026, 3, 12, 12))  # the examples' orders end on 2026-03-12 11:00
    key = create_api_key(ctx, name="platform", role="platform")
    script = doc_script()
    calls = len(re.findall(r"^curl ", script, re.M))

    with serving(ctx) as base_url:
        script = script.replace(KEY_PLACEHOLDER, f"KEY={key}").replace(HOST_PLACEHOLDER, base_url)
        ran = subprocess.run(["bash", "-euo", "pipefail", "-c", WRAPPER + script], capture_output=True, text=True,
                             timeout=120, env={**os.environ, "BODIES": str(tmp_path)})

    lines = ran.stdout.splitlines()
    failed = [f"{line}\n  -> {(tmp_path / str(n)).read_text()}" for n, line in enumerate(lines, 1)
              if not line.startswith("2")]
    assert ran.returncode == 0 and len(lines) == calls and not failed, (ran.stderr, failed, lines)
