"""Read state of the message centre over HTTP: marking read by ids, up to an id or all, the unread filter
and count, and the refusals."""

from __future__ import annotations

import pytest

from evperks.services.messages_store import post_messages
from tests.api.conftest import local


def _post(api, member_id: str, count: int) -> list[int]:
    with api.ctx.db.write() as conn:
        return post_messages(conn, api.ctx, type="recharge_credited", now=api.ctx.clock.now(),
                             entries=[(member_id, {"amount_fen": 100 * n, "wallet_balance_fen": 0})
                                      for n in range(1, count + 1)])


def _listing(api, member_id: str, **params) -> dict:
    response = api.platform("GET", f"/api/v1/members/{member_id}/messages", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _mark(api, member_id: str, body: dict):
    return api.platform("POST", f"/api/v1/members/{member_id}/messages/read", json=body)


@pytest.fixture
def reader(api):
    api.set_clock(local(2026, 3, 12, 12))
    member = api.member()["id"]
    return member, _post(api, member, 4)


def test_marking_chosen_messages_read_stamps_them_and_lowers_the_unread_count(api, reader):
    member, ids = reader
    assert _listing(api, member)["unread_count"] == 4
    api.set_clock(local(2026, 3, 12, 13))

    response = _mark(api, member, {"message_ids": [ids[0], ids[2]]})

    assert response.status_code == 200
    assert response.json() == {"marked": 2, "unread_count": 2}
    listed = {m["id"]: m["read_at"] for m in _listing(api, member)["items"]}
    assert listed == {ids[3]: None, ids[2]: "2026-03-12T13:00:00+08:00", ids[1]: None,
                      ids[0]: "2026-03-12T13:00:00+08:00"}
    unread = _listing(api, member, unread="true")
    assert [m["id"] for m in unread["items"]] == [ids[3], ids[1]] and unread["unread_count"] == 2


def test_marking_read_again_changes_nothing_and_keeps_the_first_time(api, reader):
    member, ids = reader
    api.set_clock(local(2026, 3, 12, 13))
    _mark(api, member, {"message_ids": [ids[0]]})
    api.set_clock(local(2026, 3, 12, 14))

    again = _mark(api, member, {"message_ids": [ids[0]]})

    assert again.json() == {"marked": 0, "unread_count": 3}
    [first] = [m for m in _listing(api, member)["items"] if m["id"] == ids[0]]
    assert first["read_at"] == "2026-03-12T13:00:00+08:00"


def test_up_to_id_marks_that_message_and_every_older_one(api, reader):
    member, ids = reader
    assert _mark(api, member, {"up_to_id": ids[1]}).json() == {"marked": 2, "unread_count": 2}
    assert [m["id"] for m in _listing(api, member, unread="true")["items"]] == [ids[3], ids[2]]


def test_all_marks_every_message_of_the_member_and_no_one_elses(api, reader):
    member, _ = reader
    other = api.member()["id"]
    _post(api, other, 2)

    assert _mark(api, member, {"all": True}).json() == {"marked": 4, "unread_count": 0}
    assert _listing(api, member, unread="true")["items"] == []
    assert _listing(api, other)["unread_count"] == 2


def test_another_members_message_ids_are_refused_and_nothing_is_marked(api, reader):
    member, ids = reader
    other = api.member()["id"]
    [foreign] = _post(api, other, 1)

    response = _mark(api, member, {"message_ids": [ids[0], foreign]})

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "message_ids", "code": "message.not_own",
                                          "message": f"not messages of this member: {foreign}", "params": {"ids": str(foreign)}}]
    assert _listing(api, member)["unread_count"] == 4 and _listing(api, other)["unread_count"] == 1


@pytest.mark.parametrize("body", [{}, {"all": False}, {"all": True, "up_to_id": 3}, {"message_ids": []},
                                  {"message_ids": ["1"]}, {"up_to_id": 0}, {"everything": True}])
def test_a_body_that_does_not_say_which_messages_is_refused(api, reader, body):
    member, _ = reader
    response = _mark(api, member, body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert _listing(api, member)["unread_count"] == 4


def test_marking_the_messages_of_an_unknown_member_is_404(api):
    assert _mark(api, "nobody", {"all": True}).status_code == 404
