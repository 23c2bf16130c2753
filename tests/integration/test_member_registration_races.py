"""Registering and changing members stay one transaction each, even when a unique constraint is lost."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from evperks.services import members, members_store
from evperks.services.errors import Conflict
from evperks.services.member_search import MemberFilter
from tests import factories as f


def _outcome(call) -> str:
    try:
        call()
    except Conflict as exc:
        return f"409 {exc.errors[0].field}"
    return "ok"


def test_an_invite_code_that_collides_is_drawn_again_and_the_member_is_registered(ctx, monkeypatch):
    first = f.member(ctx)
    drawn = iter([first["invite_code"], "ZZZZ2345"])
    monkeypatch.setattr(members_store, "new_invite_code", lambda: next(drawn))
    second = members.register_member(ctx, phone="13700000002", tags=("vip",))
    assert second["invite_code"] == "ZZZZ2345"
    assert members.get_member(ctx, second["id"]) == second
    assert len(members.search_members(ctx, MemberFilter())["items"]) == 2


def test_parallel_registrations_of_one_phone_make_one_member_and_refuse_the_others_by_phone(ctx):
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(
            lambda n: _outcome(lambda: members.register_member(ctx, phone="13700000001", nickname=f"n{n}")), range(8)))
    assert sorted(outcomes) == ["409 phone"] * 7 + ["ok"]
    assert len(members.search_members(ctx, MemberFilter())["items"]) == 1


def test_two_members_taking_one_phone_at_once_leave_it_to_one_and_refuse_the_other_by_phone(ctx):
    people = [f.member(ctx) for _ in range(6)]
    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(
            lambda m: _outcome(lambda: members.update_member(ctx, m["id"], {"phone": "13711112222"})), people))
    assert sorted(outcomes) == ["409 phone"] * 5 + ["ok"]
    assert len(members.search_members(ctx, MemberFilter(phone="13711112222"))["items"]) == 1


@pytest.mark.parametrize("field", ["phone", "wechat_openid"])
def test_a_value_another_member_already_has_is_refused_by_name_and_changes_nothing(ctx, field):
    taken = {"phone": "13711113333", "wechat_openid": "o-taken"}[field]
    owner = f.member(ctx)
    members.update_member(ctx, owner["id"], {field: taken})
    other = f.member(ctx)
    assert _outcome(lambda: members.update_member(ctx, other["id"], {field: taken, "nickname": "x"})) == f"409 {field}"
    assert members.get_member(ctx, other["id"]) == other
