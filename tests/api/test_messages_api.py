"""The member's message centre over HTTP: newest first, keyset pages."""

from __future__ import annotations

from tests.api.conftest import local
from tests.integration.test_campaign_triggers import insert_campaign


def test_messages_are_listed_newest_first_in_pages(api):
    api.set_clock(local(2026, 3, 12, 12))
    template = api.template()
    for n in range(3):
        insert_campaign(api.ctx, type="registration", name=f"注册{n}",
                        reward=[{"template_id": template["id"], "quantity": 1}])
    newcomer = api.member()

    first = api.platform("GET", f"/api/v1/members/{newcomer['id']}/messages", params={"limit": 2})
    second = api.platform("GET", f"/api/v1/members/{newcomer['id']}/messages",
                          params={"limit": 2, "cursor": first.json()["next_cursor"]})

    assert first.status_code == 200 and second.status_code == 200
    items = first.json()["items"] + second.json()["items"]
    assert [m["data"]["campaign_name"] for m in items] == ["注册2", "注册1", "注册0"]
    assert second.json()["next_cursor"] is None
    assert set(items[0]) == {"id", "type", "data", "created_at", "read_at"}
    assert items[0]["type"] == "voucher_received" and items[0]["read_at"] is None
    assert items[0]["created_at"] == "2026-03-12T12:00:00+08:00"


def test_messages_of_an_unknown_member_are_404_and_a_foreign_cursor_is_422(api):
    assert api.platform("GET", "/api/v1/members/nobody/messages").status_code == 404
    member = api.member()
    response = api.platform("GET", f"/api/v1/members/{member['id']}/messages", params={"cursor": "garbage!"})
    assert response.status_code == 422
