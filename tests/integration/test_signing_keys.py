"""Signing secrets generated once in the database, shared by every node, rotated with an overlap (both engines)."""

from __future__ import annotations

import hashlib
import hmac
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from evperks.cli import app
from evperks.db.tables_secrets import secrets_table
from evperks.db.tables_web import sms_codes
from evperks.services import h5_links, members, signing_keys, sms
from evperks.services.context import Context
from evperks.services.errors import Conflict, NotFound
from evperks.services.h5_links import Refusal
from evperks.services.signing_keys import CACHE_SECONDS, KeyCache
from tests import factories as f

NOON = f.local(2026, 3, 12, 12)


class Ticks:
    """A monotonic clock the test moves: the key cache's notion of "a few seconds later"."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def at_noon(ctx):
    ctx.clock.move_to(NOON)
    return ctx


def other_node(ctx: Context, **settings) -> Context:
    """Another process on the same database: its own key cache (and possibly its own environment)."""
    return Context(db=ctx.db, clock=ctx.clock, settings=ctx.settings.model_copy(update=settings), keys=KeyCache())


def token(link: dict) -> str:
    return parse_qs(urlsplit(link["url"]).query)["t"][0]


def stored_versions(ctx: Context, name: str) -> list[tuple[int, bool]]:
    """(version, current?) of a secret, newest first."""
    t = secrets_table.c
    with ctx.db.read() as conn:
        rows = conn.execute(select(t.version, t.retired_at).where(t.name == name).order_by(t.version.desc())).all()
    return [(r.version, r.retired_at is None) for r in rows]


def test_without_any_secret_setting_a_link_minted_on_one_node_opens_on_another(at_noon):
    member = members.register_member(at_noon, phone="13900000001", channel="h5")
    link = h5_links.member_link(at_noon, member["id"])
    assert token(link).startswith("k1.")
    second = other_node(at_noon)
    assert h5_links.verify_link(second, token(link)).member_id == member["id"]
    session = h5_links.session_token(second, member["id"])
    assert h5_links.session_member(at_noon, session) == member["id"]
    assert h5_links.form_token_ok(at_noon, session, h5_links.form_token(second, session))
    assert stored_versions(at_noon, "h5") == [(1, True)]


def test_parallel_first_use_on_many_nodes_creates_exactly_one_key(ctx):
    nodes = [other_node(ctx) for _ in range(12)]
    start = threading.Barrier(len(nodes))

    def first_use(node: Context) -> bytes:
        start.wait()
        return signing_keys.Ring(node, h5_links.SECRET).current().secret

    with ThreadPoolExecutor(len(nodes)) as pool:
        keys = set(pool.map(first_use, nodes))
    assert len(keys) == 1 and len(next(iter(keys))) >= 43  # 32 random bytes, urlsafe text
    assert stored_versions(ctx, "h5") == [(1, True)]


def test_after_a_rotation_old_links_open_until_the_overlap_ends_and_new_ones_use_the_new_key(at_noon):
    member = members.register_member(at_noon, phone="13900000001", channel="h5")
    old = token(h5_links.member_link(at_noon, member["id"]))
    # The operator has shortened the link lifetime since: the overlap is now the session's 24 hours.
    shorter = other_node(at_noon, h5_link_ttl_seconds=3600)
    rotated = signing_keys.rotate(shorter, "h5")
    overlap_end = NOON + timedelta(seconds=h5_links.SESSION_SECONDS + CACHE_SECONDS)
    assert rotated == {"name": "h5", "version": 2, "previous_version": 1, "previous_valid_until": overlap_end}
    new = token(h5_links.member_link(other_node(at_noon), member["id"]))
    assert old.startswith("k1.") and new.startswith("k2.")
    assert h5_links.verify_link(at_noon, old).member_id == member["id"]
    at_noon.clock.move_to(overlap_end - timedelta(seconds=1))
    assert h5_links.verify_link(at_noon, old).member_id == member["id"]
    at_noon.clock.move_to(overlap_end)
    later = other_node(at_noon)  # a day later every node has read the versions again
    assert h5_links.verify_link(later, old) == h5_links.Verified(None, Refusal.INVALID)  # unexpired, but its key is gone
    assert h5_links.verify_link(later, new).member_id == member["id"]
    assert stored_versions(at_noon, "h5") == [(2, True), (1, False)]
    signing_keys.rotate(at_noon, "h5")
    assert stored_versions(at_noon, "h5") == [(3, True), (2, False)]  # version 1's key material is deleted


def test_a_rotation_reaches_another_node_within_the_cache_time_and_its_new_links_open_there_at_once(at_noon):
    member = members.register_member(at_noon, phone="13900000001", channel="h5")
    ticks = Ticks()
    second = Context(db=at_noon.db, clock=at_noon.clock, settings=at_noon.settings, keys=KeyCache(monotonic=ticks))
    assert token(h5_links.member_link(second, member["id"])).startswith("k1.")
    signing_keys.rotate(at_noon, "h5")
    fresh = token(h5_links.member_link(at_noon, member["id"]))
    assert fresh.startswith("k2.")
    ticks.now = signing_keys.RELOAD_SECONDS
    assert h5_links.verify_link(second, fresh).member_id == member["id"]  # an unknown version makes it read again
    ticks.now += CACHE_SECONDS
    assert token(h5_links.member_link(second, member["id"])).startswith("k2.")


def test_an_environment_secret_wins_over_the_database_and_keeps_the_links_signed_before_it(at_noon):
    member = members.register_member(at_noon, phone="13900000001", channel="h5")
    configured = other_node(at_noon, h5_link_secret="operator secret")
    link = token(h5_links.member_link(configured, member["id"]))
    # The format and key of every link signed before secrets lived in the database.
    _, encoded, expires, mac = link.split(".")
    key = hmac.new(b"operator secret", b"evperks h5 link v1", hashlib.sha256).digest()
    assert link.startswith("v1.") and mac == hmac.new(key, f"{member['id']}\n{expires}".encode(), "sha256").hexdigest()
    assert h5_links.verify_link(other_node(at_noon, h5_link_secret="operator secret"), link).member_id == member["id"]
    assert h5_links.verify_link(at_noon, link).refusal == Refusal.INVALID  # a node without the variable
    assert h5_links.verify_link(configured, token(h5_links.member_link(at_noon, member["id"]))).refusal == Refusal.INVALID
    with pytest.raises(Conflict) as refused:
        signing_keys.rotate(configured, "h5")
    assert "EVPERKS_H5_LINK_SECRET" in refused.value.detail


def test_an_sms_code_requested_before_a_rotation_can_be_checked_after_it(at_noon):
    before = sms.request_code(at_noon, phone="13900000001").shown_code
    signing_keys.rotate(at_noon, "sms-codes")
    at_noon.clock.move_to(NOON + sms.CODE_TTL - timedelta(seconds=1))
    assert sms.check_code(other_node(at_noon), phone="13900000001", code=before) == "13900000001"
    after = sms.request_code(at_noon, phone="13900000002").shown_code
    assert sms.check_code(other_node(at_noon), phone="13900000002", code=after) == "13900000002"
    assert stored_versions(at_noon, "sms-codes") == [(2, True), (1, False)]


def test_an_sms_code_secret_from_the_environment_keys_the_stored_hash(at_noon):
    configured = other_node(at_noon, sms_code_secret="sms secret")
    code = sms.request_code(configured, phone="13900000001").shown_code
    with at_noon.db.read() as conn:
        stored = conn.execute(select(sms_codes.c.code_hash)).scalar_one()
    assert stored == hmac.new(b"sms secret", f"13900000001\n{code}".encode(), hashlib.sha256).hexdigest()
    assert stored_versions(at_noon, "sms-codes") == []


def test_parallel_rotations_leave_one_current_version_and_never_reuse_one(ctx):
    signing_keys.rotate(ctx, "sandbox-payments")
    nodes = [other_node(ctx) for _ in range(6)]
    start = threading.Barrier(len(nodes))

    def rotate(node: Context) -> int | None:
        start.wait()
        try:
            return signing_keys.rotate(node, "sandbox-payments")["version"]
        except Conflict:
            return None

    with ThreadPoolExecutor(len(nodes)) as pool:
        made = [v for v in pool.map(rotate, nodes) if v is not None]
    assert made and len(made) == len(set(made))
    versions = stored_versions(ctx, "sandbox-payments")
    assert [v for v, current in versions if current] == [max(made)]
    assert sorted(v for v, _ in versions) == sorted([1, *made])


def test_an_unknown_secret_cannot_be_rotated(ctx):
    with pytest.raises(NotFound) as refused:
        signing_keys.rotate(ctx, "wechat")
    assert [(e.field, e.message) for e in refused.value.errors] == [("name", "no secret is named 'wechat'; the secrets are h5, sandbox-payments, "
                                             "sms-codes")]


def test_the_secrets_commands_list_versions_without_key_material_and_rotate(ctx, database_url, monkeypatch):
    monkeypatch.setenv("EVPERKS_DATABASE_URL", database_url)
    monkeypatch.delenv("EVPERKS_H5_LINK_SECRET", raising=False)
    runner = CliRunner()
    key = signing_keys.Ring(ctx, h5_links.SECRET).current().secret.decode()
    rotated = runner.invoke(app, ["secrets", "rotate", "h5"])
    assert rotated.exit_code == 0, rotated.output
    assert "h5: version 2 signs from now on" in rotated.output and "h5: version 1 is accepted until" in rotated.output
    listed = runner.invoke(app, ["secrets", "list"])
    assert listed.exit_code == 0, listed.output
    assert "h5: version 2" in listed.output and "current" in listed.output and "h5: version 1" in listed.output
    assert "sms-codes: not generated yet" in listed.output
    assert key not in listed.output
    unknown = runner.invoke(app, ["secrets", "rotate", "nope"])
    assert unknown.exit_code == 1 and "no secret is named 'nope'" in unknown.output
