from __future__ import annotations

import pytest

from tests.api.conftest import local


def test_registering_a_member_returns_201_with_an_invite_code_and_zero_balances(api):
    response = api.platform("POST", "/api/v1/members", json={"id": "u1", "phone": "13800138000", "nickname": "张三"})
    assert response.status_code == 201
    member = response.json()
    assert member["id"] == "u1"
    assert member["phone"] == "13800138000"
    assert len(member["invite_code"]) == 8
    assert member["invited_by"] is None
    assert (member["wallet_balance_fen"], member["points_balance"], member["charge_count"]) == (0, 0, 0)
    assert api.platform("GET", "/api/v1/members/u1").json() == member


def test_registering_the_same_phone_twice_is_409_and_keeps_one_member(api):
    api.platform("POST", "/api/v1/members", json={"phone": "13800138000"})
    again = api.platform("POST", "/api/v1/members", json={"phone": "+86 138 0013 8000"})
    assert again.status_code == 409
    assert again.json()["errors"] == [{"field": "phone", "code": "member.phone_registered",
                                         "message": "this phone number is already registered", "params": {}}]
    assert len(api.admin("GET", "/api/v1/admin/members").json()["items"]) == 1


def test_registering_an_existing_member_id_is_409(api):
    api.member(id="u1")
    assert api.platform("POST", "/api/v1/members", json={"id": "u1", "phone": "13900139000"}).status_code == 409


@pytest.mark.parametrize("phone", ["12345", "23800138000", "1380013800a", ""])
def test_an_invalid_phone_is_422_naming_the_phone(api, phone):
    response = api.platform("POST", "/api/v1/members", json={"phone": phone})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["phone"]


def test_registering_through_an_invite_code_records_the_inviter(api):
    inviter = api.member()
    invitee = api.member(invite_code=inviter["invite_code"].lower())
    assert invitee["invited_by"] == inviter["id"]


def test_an_unknown_invite_code_is_422_and_registers_nobody(api):
    response = api.platform("POST", "/api/v1/members", json={"phone": "13800138000", "invite_code": "ZZZZZZZZ"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "invite_code"
    assert api.admin("GET", "/api/v1/admin/members").json()["items"] == []


def test_a_registration_time_in_the_future_is_refused(api):
    api.set_clock(local(2026, 3, 1, 12))
    response = api.platform("POST", "/api/v1/members", json={"phone": "13800138000", "registered_at": "2026-03-02T12:00:00"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "registered_at"


def test_unknown_fields_and_wrong_types_are_named(api):
    response = api.platform("POST", "/api/v1/members", json={"phone": 13800138000, "nick": "x"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"phone", "nick"}


def test_unparseable_json_is_400(api):
    response = api.client.post(
        "/api/v1/members", content=b"{not json", headers={**api.platform_headers, "content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_reading_an_unknown_member_is_404(api):
    assert api.platform("GET", "/api/v1/members/nobody").status_code == 404


def test_admins_search_members_by_attributes(api):
    api.station()
    api.set_clock(local(2026, 3, 10, 12))
    a = api.member(registered_at="2026-03-01T10:00:00", tags=["vip"])
    b = api.member(registered_at="2026-03-05T10:00:00", invite_code=a["invite_code"])
    c = api.member(registered_at="2026-03-09T10:00:00")
    on_the_10th = {"start_time": "2026-03-10T10:00:00"}
    assert api.settle(api.order(a["id"], **on_the_10th, end_time="2026-03-10T11:00:00", energy_kwh="30")).status_code == 201
    assert api.settle(api.order(a["id"], **on_the_10th, end_time="2026-03-10T11:30:00", energy_kwh="5")).status_code == 201
    assert api.settle(api.order(b["id"], **on_the_10th, end_time="2026-03-10T11:00:00", energy_kwh="10")).status_code == 201

    def ids(**params):
        response = api.admin("GET", "/api/v1/admin/members", params=params)
        assert response.status_code == 200, response.text
        return [m["id"] for m in response.json()["items"]]

    assert ids() == [c["id"], b["id"], a["id"]]
    assert ids(tag="vip") == [a["id"]]
    assert ids(invited="true") == [b["id"]]
    assert ids(invited="false") == [c["id"], a["id"]]
    assert ids(registered_from="2026-03-05T00:00:00", registered_to="2026-03-09T10:00:00") == [b["id"]]
    assert ids(min_charge_count=2) == [a["id"]]
    assert ids(min_total_kwh="35") == [a["id"]]
    assert ids(min_total_kwh="10") == [b["id"], a["id"]]
    assert ids(min_total_paid_fen=5000) == [a["id"]]
    assert ids(phone=a["phone"][:5]) == [c["id"], b["id"], a["id"]]
    assert ids(phone=a["phone"]) == [a["id"]]
    member = api.platform("GET", f"/api/v1/members/{a['id']}").json()
    assert (member["charge_count"], member["total_energy_kwh"], member["total_paid_fen"]) == (2, "35.000", 5600)
    assert member["last_charge_at"] == "2026-03-10T11:30:00+08:00"


def test_member_search_pages_with_a_cursor_without_gaps_or_repeats(api):
    created = [api.member()["id"] for _ in range(7)]
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.admin("GET", "/api/v1/admin/members", params=params).json()
        seen += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(created) and len(seen) == 7


@pytest.mark.parametrize("params", [{"cursor": "garbage!"}, {"limit": 0}, {"limit": 1000}, {"min_charge_count": -1},
                                    {"phone": "abc"}, {"registered_from": "yesterday"}, {"invited": "maybe"}])
def test_bad_search_parameters_are_422_naming_the_parameter(api, params):
    response = api.admin("GET", "/api/v1/admin/members", params=params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == next(iter(params))


@pytest.mark.parametrize("field", ["nickname", "channel", "invite_code", "phone"])
def test_a_nul_character_in_any_text_is_422_on_every_engine(api, field):
    response = api.platform("POST", "/api/v1/members", json={"phone": "13800138000", field: "a\u0000b"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def test_a_nul_character_in_a_path_or_query_is_422(api):
    assert api.platform("GET", "/api/v1/members/a%00b").status_code == 422
    assert api.admin("GET", "/api/v1/admin/members", params={"tag": "a\u0000"}).status_code == 422
