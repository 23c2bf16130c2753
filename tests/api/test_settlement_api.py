from __future__ import annotations

import pytest

from tests.api.conftest import local


@pytest.fixture
def shop(api):
    """Stations S1 and S2, a member, and the clock at 2026-03-10 09:00 (Shanghai)."""
    api.station("S1")
    api.station("S2", name="福田站")
    api.set_clock(local(2026, 3, 10, 9))
    return api.member()


def test_settling_without_vouchers_charges_the_whole_bill(api, shop):
    api.set_clock(local(2026, 3, 12, 12))
    body = api.order(shop["id"])
    response = api.settle(body)
    assert response.status_code == 201
    assert response.json() | {"settled_at": None} == {
        "order_no": body["order_no"], "member_id": shop["id"], "total_fen": 2800, "voucher_id": None,
        "voucher_deduction_fen": 0, "points_used": 0, "points_deduction_fen": 0, "wallet_paid_fen": 0,
        "due_fen": 2800, "points_earned": 0, "rewards": [], "settled_at": None,
    }


def test_auto_picks_the_voucher_that_deducts_most_and_marks_it_used(api, shop):
    small = api.give(shop["id"], api.template(face_value_fen=500)["id"])[0]
    large = api.give(shop["id"], api.template(face_value_fen=1500)["id"])[0]
    api.set_clock(local(2026, 3, 12, 12))
    body = api.order(shop["id"])
    result = api.settle(body).json()
    assert (result["voucher_id"], result["voucher_deduction_fen"], result["due_fen"]) == (large["id"], 1500, 1300)
    [used] = api.vouchers(shop["id"], "used")
    assert (used["id"], used["used_order_no"]) == (large["id"], body["order_no"])
    assert [v["id"] for v in api.vouchers(shop["id"], "available")] == [small["id"]]


def test_a_service_fee_voucher_deducts_at_most_the_service_fee(api, shop):
    voucher = api.give(shop["id"], api.template(face_value_fen=5000, deduction_type="service_fee")["id"])[0]
    api.set_clock(local(2026, 3, 12, 12))
    result = api.settle(api.order(shop["id"], voucher_id=voucher["id"])).json()
    assert (result["voucher_deduction_fen"], result["due_fen"]) == (800, 2000)


def test_a_voucher_scoped_to_another_station_is_not_picked_and_is_refused_when_named(api, shop):
    voucher = api.give(shop["id"], api.template(station_ids=["S2"])["id"])[0]
    api.set_clock(local(2026, 3, 12, 12))
    assert api.settle(api.order(shop["id"])).json()["voucher_id"] is None
    named = api.settle(api.order(shop["id"], voucher_id=voucher["id"]))
    assert named.status_code == 422
    assert named.json()["errors"] == [{"field": "voucher_id", "code": "voucher.wrong_station",
                                       "message": "the voucher is not valid at this station", "params": {}}]
    at_s2 = api.settle(api.order(shop["id"], station_id="S2")).json()
    assert at_s2["voucher_id"] == voucher["id"]


def test_min_spend_is_checked_against_the_base(api, shop):
    api.give(shop["id"], api.template(min_spend_fen=3000)["id"])
    api.set_clock(local(2026, 3, 12, 12))
    assert api.settle(api.order(shop["id"], elec_fee_fen=2000, service_fee_fen=999)).json()["voucher_id"] is None
    assert api.settle(api.order(shop["id"], elec_fee_fen=2001, service_fee_fen=999)).json()["voucher_deduction_fen"] == 1000


def test_an_order_ending_at_2359_settled_after_midnight_still_gets_the_voucher(api, shop):
    api.set_clock(local(2026, 3, 10, 15))
    voucher = api.give(shop["id"], api.template(validity={"type": "days", "days": 7})["id"])[0]
    assert voucher["valid_until"] == "2026-03-17T00:00:00+08:00"
    api.set_clock(local(2026, 3, 17, 0, 1))
    late = api.order(shop["id"], start_time="2026-03-16T22:00:00", end_time="2026-03-16T23:59:00")
    assert api.settle(late).json()["voucher_id"] == voucher["id"]


def test_an_order_ending_at_midnight_is_too_late_for_a_voucher_valid_until_midnight(api, shop):
    api.set_clock(local(2026, 3, 10, 15))
    voucher = api.give(shop["id"], api.template(validity={"type": "days", "days": 7})["id"])[0]
    api.set_clock(local(2026, 3, 17, 0, 1))
    at_midnight = api.order(shop["id"], start_time="2026-03-16T22:00:00", end_time="2026-03-17T00:00:00")
    assert api.settle(at_midnight).json()["voucher_id"] is None
    named = api.settle(api.order(shop["id"], voucher_id=voucher["id"], start_time="2026-03-16T22:00:00",
                                 end_time="2026-03-17T00:00:00"))
    assert named.status_code == 422


def test_a_voucher_the_expiry_job_marked_expired_still_pays_an_order_that_ended_in_time(api, shop):
    api.set_clock(local(2026, 3, 10, 15))
    voucher = api.give(shop["id"], api.template(validity={"type": "days", "days": 7})["id"])[0]
    api.set_clock(local(2026, 3, 17, 0, 5))
    ran = api.admin("POST", "/api/v1/sandbox/tick").json()["ran"]
    assert any(r["kind"] == "voucher_expiry" and r["result"]["expired"] == 1 for r in ran)
    late = api.order(shop["id"], start_time="2026-03-16T22:00:00", end_time="2026-03-16T23:59:00")
    assert api.settle(late).json()["voucher_id"] == voucher["id"]
    assert [v["status"] for v in api.vouchers(shop["id"])] == ["used"]


def test_voucher_null_uses_none_even_when_one_is_available(api, shop):
    api.give(shop["id"], api.template()["id"])
    api.set_clock(local(2026, 3, 12, 12))
    assert api.settle(api.order(shop["id"], voucher_id=None)).json()["voucher_id"] is None
    assert len(api.vouchers(shop["id"], "available")) == 1


def test_a_voucher_is_used_by_one_order_only(api, shop):
    voucher = api.give(shop["id"], api.template()["id"])[0]
    api.set_clock(local(2026, 3, 12, 12))
    assert api.settle(api.order(shop["id"], voucher_id=voucher["id"])).status_code == 201
    second = api.settle(api.order(shop["id"], voucher_id=voucher["id"]))
    assert second.status_code == 409
    assert second.json()["errors"][0]["field"] == "voucher_id"
    assert api.settle(api.order(shop["id"])).json()["voucher_id"] is None


def test_another_members_voucher_cannot_be_named(api, shop):
    other = api.member()
    voucher = api.give(other["id"], api.template()["id"])[0]
    api.set_clock(local(2026, 3, 12, 12))
    response = api.settle(api.order(shop["id"], voucher_id=voucher["id"]))
    assert response.status_code == 422
    assert api.vouchers(other["id"], "available")[0]["id"] == voucher["id"]


def test_the_same_order_again_returns_the_first_body_and_changes_nothing(api, shop):
    api.give(shop["id"], api.template(face_value_fen=500)["id"], quantity=2)
    api.set_clock(local(2026, 3, 12, 12))
    body = api.order(shop["id"])
    first = api.settle(body)
    again = api.settle(body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert len(api.vouchers(shop["id"], "available")) == 1
    assert api.platform("GET", f"/api/v1/members/{shop['id']}").json()["charge_count"] == 1


def test_the_same_order_no_with_different_content_is_409(api, shop):
    api.set_clock(local(2026, 3, 12, 12))
    body = api.order(shop["id"])
    api.settle(body)
    response = api.settle({**body, "service_fee_fen": 801})
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "order_no"


def test_an_order_ending_in_the_future_is_refused_beyond_five_minutes_of_skew(api, shop):
    api.set_clock(local(2026, 3, 12, 12))
    skewed = api.order(shop["id"], start_time="2026-03-12T11:00:00", end_time="2026-03-12T12:04:59")
    assert api.settle(skewed).status_code == 201
    future = api.settle(api.order(shop["id"], start_time="2026-03-12T11:00:00", end_time="2026-03-12T12:05:01"))
    assert future.status_code == 422
    assert future.json()["errors"][0]["field"] == "end_time"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"energy_kwh": "1.2345"}, "energy_kwh"),
        ({"energy_kwh": -1}, "energy_kwh"),
        ({"energy_kwh": "lots"}, "energy_kwh"),
        ({"elec_fee_fen": -1}, "elec_fee_fen"),
        ({"elec_fee_fen": 12.5}, "elec_fee_fen"),
        ({"service_fee_fen": 10**13}, "service_fee_fen"),
        ({"end_time": "not a time"}, "end_time"),
        ({"start_time": "2026-03-12T11:30:00", "end_time": "2026-03-12T11:00:00"}, "start_time"),
        ({"member_id": "nobody"}, "member_id"),
        ({"station_id": "NOPE"}, "station_id"),
        ({"voucher_id": 424242}, "voucher_id"),
        ({"voucher_id": "best"}, "voucher_id"),
        ({"use_wallet": "yes"}, "use_wallet"),
        ({"order_no": ""}, "order_no"),
        ({"coupon": 1}, "coupon"),
    ],
)
def test_bad_orders_are_refused_naming_the_field_and_record_nothing(api, shop, change, field):
    api.set_clock(local(2026, 3, 12, 12))
    body = api.order(shop["id"], **change)
    response = api.settle(body)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert api.platform("GET", f"/api/v1/members/{shop['id']}").json()["charge_count"] == 0


def test_a_missing_field_is_named(api, shop):
    body = api.order(shop["id"])
    del body["end_time"]
    response = api.settle(body)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "end_time", "code": "missing", "message": "is required", "params": {}}]


def test_a_quote_shows_the_breakdown_and_commits_nothing(api, shop):
    voucher = api.give(shop["id"], api.template(face_value_fen=700)["id"])[0]
    api.set_clock(local(2026, 3, 12, 12))
    body = api.order(shop["id"])
    del body["order_no"]
    quote = api.platform("POST", "/api/v1/charge-orders/quote", json=body)
    assert quote.status_code == 200
    assert (quote.json()["voucher_id"], quote.json()["due_fen"], quote.json()["order_no"]) == (voucher["id"], 2100, None)
    assert api.vouchers(shop["id"], "available")[0]["id"] == voucher["id"]
    assert api.platform("GET", f"/api/v1/members/{shop['id']}").json()["charge_count"] == 0
    settled = api.settle({**body, "order_no": "Q-1"}).json()
    assert {k: settled[k] for k in ("voucher_id", "voucher_deduction_fen", "due_fen")} == {
        k: quote.json()[k] for k in ("voucher_id", "voucher_deduction_fen", "due_fen")
    }


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00", "9999-12-31T23:59:59", "0001-01-01T00:00:00+14:00"])
def test_times_far_outside_any_charging_session_are_422_not_a_crash(api, shop, when):
    response = api.settle(api.order(shop["id"], start_time=when))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "start_time"


def test_settled_at_is_shown_in_the_operators_zone_like_every_other_instant(api, shop):
    api.set_clock(local(2026, 3, 12, 12))
    assert api.settle(api.order(shop["id"])).json()["settled_at"] == "2026-03-12T12:00:00+08:00"
