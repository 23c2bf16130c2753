"""PATCH /api/v1/members/{id}: the platform changes a member's phone, nickname, tags or wechat_openid."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from evperks.services import audit
from evperks.services.errors import Conflict
from evperks.services.members import get_member, update_member
from tests import factories as f


def patch(api, member_id: str, body: dict):
    return api.platform("PATCH", f"/api/v1/members/{member_id}", json=body)


def test_only_the_fields_sent_change_and_get_shows_them(api):
    member = api.member(nickname="老王", tags=["vip"])
    assert member["wechat_openid"] is None
    changed = patch(api, member["id"], {"nickname": "王先生", "wechat_openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"})
    assert changed.status_code == 200, changed.text
    shown = api.platform("GET", f"/api/v1/members/{member['id']}").json()
    assert shown == changed.json()
    assert (shown["nickname"], shown["tags"], shown["phone"]) == ("王先生", ["vip"], member["phone"])
    assert shown["wechat_openid"] == "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    retagged = patch(api, member["id"], {"tags": ["fleet", "b2b", "fleet"], "phone": "+86 139-0000-0001"}).json()
    assert (retagged["tags"], retagged["phone"]) == (["b2b", "fleet"], "13900000001")
    cleared = patch(api, member["id"], {"wechat_openid": None}).json()
    assert cleared["wechat_openid"] is None and cleared["nickname"] == "王先生"


def test_a_change_is_audited_with_before_and_after_and_no_change_is_not(api):
    member = api.member(nickname="A")
    patch(api, member["id"], {"nickname": "B"})
    patch(api, member["id"], {"nickname": "B"})
    entries = audit.list_entries(api.ctx, target_type="member", target_id=member["id"])["items"]
    assert len(entries) == 1
    entry = entries[0]
    assert (entry["actor"], entry["action"]) == ("api", "update")
    assert entry["before"]["nickname"] == "A" and entry["after"]["nickname"] == "B"


def test_a_phone_or_openid_another_member_has_is_409_and_changes_nothing(api):
    first = api.member()
    second = api.member()
    patch(api, first["id"], {"wechat_openid": "o-first"})
    taken_phone = patch(api, second["id"], {"phone": first["phone"], "nickname": "changed"})
    assert taken_phone.status_code == 409 and taken_phone.json()["errors"][0]["field"] == "phone"
    taken_openid = patch(api, second["id"], {"wechat_openid": "o-first"})
    assert taken_openid.status_code == 409 and taken_openid.json()["errors"][0]["field"] == "wechat_openid"
    unchanged = api.platform("GET", f"/api/v1/members/{second['id']}").json()
    assert (unchanged["nickname"], unchanged["wechat_openid"]) == (second["nickname"], None)
    assert patch(api, first["id"], {"phone": first["phone"]}).status_code == 200  # its own phone is fine


def test_bad_input_is_422_naming_the_field(api):
    member = api.member()
    for body, field in (
        ({"phone": "12345"}, "phone"),
        ({"nickname": None}, "nickname"),
        ({"tags": None}, "tags"),
        ({"tags": [""]}, "tags.0"),
        ({"wechat_openid": "has space"}, "wechat_openid"),
        ({"wechat_openid": "o" * 129}, "wechat_openid"),
        ({"invite_code": "X"}, "invite_code"),
    ):
        answer = patch(api, member["id"], body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in answer.json()["errors"]] == [field], (body, answer.text)


def test_an_unknown_member_is_404(api):
    assert patch(api, "nobody", {"nickname": "x"}).status_code == 404


def test_parallel_changes_to_one_openid_give_it_to_one_member(ctx):
    members = [f.member(ctx) for _ in range(6)]

    def take(member_id: str) -> str:
        try:
            update_member(ctx, member_id, {"wechat_openid": "o-contested"})
            return "ok"
        except Conflict:
            return "409"

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(take, [m["id"] for m in members]))
    assert sorted(outcomes) == ["409"] * 5 + ["ok"]
    owners = [m["id"] for m in members if get_member(ctx, m["id"])["wechat_openid"] == "o-contested"]
    assert len(owners) == 1
