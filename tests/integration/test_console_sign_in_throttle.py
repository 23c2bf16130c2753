"""Console sign-in throttling (docs/admin-console.md "Signing in"): every attempt takes a slot in the
(name, address), address and name counters before its password is checked, so parallel guesses cannot
get more checks than the limits; a lock on one pair or one address leaves other places able to sign in."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from evperks.services import access, admin_sessions
from evperks.services.access import create_admin_user

PASSWORD = "correct horse battery"
NOON = datetime(2026, 3, 12, 4, tzinfo=UTC)
OFFICE, ATTACKER, ELSEWHERE = "10.0.0.1", "203.0.113.7", "198.51.100.20"


class CountingHasher:
    """The real argon2 hasher, counting every password it checks (a verify, or the dummy hash spent on an
    unknown name) and how many of those were wrong."""

    def __init__(self) -> None:
        self._real = PasswordHasher()
        self._lock = threading.Lock()
        self.checks = 0
        self.wrong = 0

    def _count(self, wrong: bool) -> None:
        with self._lock:
            self.checks += 1
            self.wrong += wrong

    def verify(self, hash_: str, password: str) -> bool:
        try:
            return self._real.verify(hash_, password)
        except Exception:
            self._count(wrong=True)
            raise
        finally:
            if password == PASSWORD:
                self._count(wrong=False)

    def hash(self, password: str) -> str:
        self._count(wrong=True)
        return self._real.hash(password)


@pytest.fixture
def hasher(ctx, monkeypatch) -> CountingHasher:
    ctx.clock.move_to(NOON)
    create_admin_user(ctx, username="root", password=PASSWORD, role="admin")
    counting = CountingHasher()
    monkeypatch.setattr(access, "_hasher", counting)
    return counting


def attempt(ctx, password: str, address: str, username: str = "root") -> admin_sessions.LoginResult:
    return admin_sessions.log_in(ctx, username=username, password=password, address=address)


def in_parallel(calls) -> list:
    with ThreadPoolExecutor(max_workers=32) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_a_hundred_parallel_guesses_get_no_more_password_checks_than_the_limit(ctx, hasher):
    limit = ctx.settings.login_max_failures
    guesses = [f"guess-{n}" for n in range(99)]
    guesses.insert(50, PASSWORD)
    results = in_parallel([lambda g=g: attempt(ctx, g, ATTACKER) for g in guesses])

    assert hasher.wrong <= limit
    assert hasher.checks <= limit + 1  # the right one gives its slot back, so one more guess may run
    assert sum(r.ok for r in results) <= 1
    checks = hasher.checks
    locked = attempt(ctx, PASSWORD, ATTACKER)
    assert not locked.ok and locked.locked_until == NOON + timedelta(minutes=ctx.settings.login_lockout_minutes)
    assert hasher.checks == checks


def test_once_locked_from_an_address_the_right_password_is_refused_there_without_a_check(ctx, hasher):
    for n in range(ctx.settings.login_max_failures):
        assert not attempt(ctx, f"guess-{n}", ATTACKER).ok
    checks = hasher.checks

    results = in_parallel([lambda: attempt(ctx, PASSWORD, ATTACKER)] * 20)

    assert not any(r.ok for r in results)
    assert hasher.checks == checks


def test_a_name_locked_from_one_address_still_signs_in_from_another(ctx, hasher):
    in_parallel([lambda n=n: attempt(ctx, f"guess-{n}", ATTACKER) for n in range(30)])
    assert not attempt(ctx, PASSWORD, ATTACKER).ok

    assert attempt(ctx, PASSWORD, OFFICE).ok


def test_spraying_names_from_one_address_stops_at_the_address_limit(ctx, hasher):
    limit = ctx.settings.login_max_failures_per_address
    in_parallel([lambda n=n: attempt(ctx, f"guess-{n}", ATTACKER, username=f"user{n}") for n in range(100)])

    assert hasher.checks == limit
    assert not attempt(ctx, PASSWORD, ATTACKER).ok  # even a real name with its right password, from there
    assert hasher.checks == limit
    assert attempt(ctx, PASSWORD, OFFICE).ok


def test_guesses_from_many_addresses_lock_the_name_except_where_it_signed_in_before(ctx, hasher, monkeypatch):
    monkeypatch.setattr(ctx.settings, "login_max_failures_per_username", 12)
    assert attempt(ctx, PASSWORD, OFFICE).ok  # the admin's usual address, known from now on
    addresses = [f"203.0.113.{n}" for n in range(1, 11)]
    in_parallel([lambda a=a, n=n: attempt(ctx, f"guess-{n}", a) for a in addresses for n in range(5)])

    assert hasher.wrong == 12
    assert not attempt(ctx, PASSWORD, ELSEWHERE).ok  # a new address: the name-wide limit applies
    assert attempt(ctx, PASSWORD, OFFICE).ok


def test_a_lock_ends_with_its_window_and_the_right_password_works_again(ctx, hasher):
    for n in range(ctx.settings.login_max_failures):
        attempt(ctx, f"guess-{n}", ATTACKER)
    assert not attempt(ctx, PASSWORD, ATTACKER).ok

    ctx.clock.move_to(NOON + timedelta(minutes=ctx.settings.login_lockout_minutes))
    assert attempt(ctx, PASSWORD, ATTACKER).ok


def test_a_right_password_gives_its_slot_back(ctx, hasher):
    for _ in range(ctx.settings.login_max_failures * 2):
        assert attempt(ctx, PASSWORD, OFFICE).ok
