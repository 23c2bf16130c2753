"""``evperks serve`` and ``evperks worker`` as real processes, run from this checkout's source."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

SRC = str(Path(__file__).resolve().parent.parent / "src")


def evperks_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of an evperks process on ``database_url``: ``settings`` are EVPERKS_* without the prefix."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVPERKS_")}
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    env.update({"EVPERKS_DATABASE_URL": database_url, "EVPERKS_LOG_LEVEL": "WARNING"})
    env.update({f"EVPERKS_{name.upper()}": value for name, value in settings.items()})
    return env


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """``python -m evperks ARGS`` with its output in ``log`` (read it when a test fails)."""
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "evperks", *args], env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_for(outcome: Callable[[], object], what: str, *, timeout: float = 120, process: subprocess.Popen | None = None):
    """Poll until ``outcome()`` is truthy (another process produces it) and return it; fail at the deadline
    or as soon as ``process`` has exited."""
    deadline = time.monotonic() + timeout
    while not (result := outcome()):
        assert process is None or process.poll() is None, f"the process exited ({process.returncode}) before: {what}"
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)
    return result


def wait_until_serving(base_url: str, process: subprocess.Popen) -> None:
    def up() -> bool:
        try:
            return httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(up, f"{base_url} answers", process=process, timeout=240)  # a loaded CI machine starts slowly
