"""Run an ``evperks serve`` command line as a separate process until a block ends. Imports nothing of evperks,
so both the installed package's smoke suite and the checkout's tests (``tests.installed.serving``) use it."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


@contextmanager
def serving_process(args: list[str], env: dict[str, str], directory: Path, *, probe: str = "/healthz",
                    timeout: float = 240) -> Iterator[tuple[str, Path]]:
    """Start ``args`` (whose ``--port`` value is the port) in ``directory`` and wait until ``probe`` answers
    200; yields the base URL and the file its output goes to. Stops it with SIGINT, as Ctrl-C would."""
    port = args[args.index("--port") + 1]
    log = directory / f"serve-{port}.log"
    with open(log, "w") as out:
        process = subprocess.Popen(args, cwd=directory, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{base}{probe}", process, log, timeout)
        yield base, log
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    # A generous deadline for a loaded machine; the tests assert what the server answers, not how fast.
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, "the server exited:\n" + log.read_text()
        assert time.monotonic() < deadline, "the server did not start:\n" + log.read_text()
        time.sleep(0.2)
