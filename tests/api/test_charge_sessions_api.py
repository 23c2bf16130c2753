"""Charge sessions over HTTP: hold at plug-in, settle from the hold at stop, cancel, release after hold_hours."""

from __future__ import annotations

import pytest

from tests.api.conftest import local

SESSIONS = "/api/v1/charge-sessions"


@pytest.fixture
def member(api):
    api.set_clock(local(2026, 3, 12, 9))
    api.station()
    return api.member()["id"]


def fund(api, member_id: str, amount_fen: int, order_no: str = "R1") -> None:
    assert api.platform("POST", "/api/v1/recharges", json={"order_no": order_no, "member_id": member_id,
                                                            "amount_fen": amount_fen}).status_code == 201
    assert api.platform("POST", f"/api/v1/recharges/{order_no}/confirm",
                        json={"provider_txn_id": "T-" + order_no}).status_code == 200


def open_session(api, member: str, session_id: str = "CS-1", **fields):
    body = {"session_id": session_id, "member_id": member, "station_id": "S1",
            "started_at": "2026-03-12T10:00:00+08:00", **fields}
    return api.platform("POST", SESSIONS, json=body)


def settle(api, session_id: str = "CS-1", order_no: str = "ORD-CS-1", **fields):
    body = {"order_no": order_no, "end_time": "2026-03-12T11:00:00+08:00", "energy_kwh": "20.5",
            "elec_fee_fen": 2000, "service_fee_fen": 800, **fields}
    return api.platform("POST", f"{SESSIONS}/{session_id}/settle", json=body)


def money(api, member_id: str) -> tuple[int, int, int, int]:
    m = api.platform("GET", f"/api/v1/members/{member_id}").json()
    return m["wallet_balance_fen"], m["wallet_available_fen"], m["points_balance"], m["points_available"]


def test_an_open_session_holds_the_whole_available_balance_and_blocks_a_second_start(api, member):
    fund(api, member, 5000)
    api.set_clock(local(2026, 3, 12, 10, 5))
    first = open_session(api, member, use_wallet=True)
    assert first.status_code == 201, first.text
    assert {k: first.json()[k] for k in ("status", "wallet_held_fen", "voucher_id", "points_held", "expires_at")} == {
        "status": "open", "wallet_held_fen": 5000, "voucher_id": "auto", "points_held": 0,
        "expires_at": "2026-03-13T10:00:00+08:00"}
    assert money(api, member)[:2] == (5000, 0)
    api.admin("PUT", "/api/v1/admin/stored-value/settings", json={
        "min_recharge_fen": 100, "denominations_fen": [5000], "allow_custom_amount": True, "min_start_balance_fen": 1})
    second = open_session(api, member, "CS-2", use_wallet=True)
    assert second.status_code == 409
    assert second.json()["code"] == "session.balance_below_minimum"
    assert api.platform("GET", f"{SESSIONS}/CS-2").status_code == 404


def test_an_order_settled_outside_the_session_cannot_spend_the_held_money(api, member):
    fund(api, member, 5000)
    api.set_clock(local(2026, 3, 12, 11, 5))
    assert open_session(api, member, use_wallet=True, wallet_hold_fen=4000).status_code == 201
    order = api.settle(api.order(member, use_wallet=True, voucher_id=None))
    assert (order.json()["wallet_paid_fen"], order.json()["due_fen"]) == (1000, 1800)
    assert money(api, member)[:2] == (4000, 0)
    quote = api.platform("POST", "/api/v1/charge-orders/quote",
                         json={k: v for k, v in api.order(member, use_wallet=True).items() if k != "order_no"})
    assert quote.json()["wallet_paid_fen"] == 0


def test_settling_pays_from_the_hold_and_releases_the_rest(api, member):
    fund(api, member, 5000)
    api.set_clock(local(2026, 3, 12, 11, 5))
    assert open_session(api, member, use_wallet=True, wallet_hold_fen=3000).status_code == 201
    settled = settle(api)
    assert settled.status_code == 201, settled.text
    body = settled.json()
    assert (body["session_id"], body["order_no"], body["wallet_paid_fen"], body["due_fen"]) == ("CS-1", "ORD-CS-1", 2800, 0)
    assert money(api, member)[:2] == (2200, 2200)
    again = settle(api)
    assert (again.status_code, again.json()) == (200, body)
    order = api.platform("GET", "/api/v1/charge-orders/ORD-CS-1").json()
    assert order["wallet_paid_fen"] == 2800 and "session_id" not in order
    session = api.platform("GET", f"{SESSIONS}/CS-1").json()
    assert (session["status"], session["order_no"], session["wallet_held_fen"]) == ("settled", "ORD-CS-1", 0)


def test_settle_and_cancel_are_exclusive_and_each_repeat_answers_the_same(api, member):
    fund(api, member, 5000)
    api.set_clock(local(2026, 3, 12, 11, 5))
    open_session(api, member, use_wallet=True)
    open_session(api, member, "CS-2", use_wallet=True)  # holds nothing: CS-1 took all
    cancelled = api.platform("POST", f"{SESSIONS}/CS-1/cancel")
    assert (cancelled.status_code, cancelled.json()["status"], cancelled.json()["wallet_held_fen"]) == (200, "cancelled", 0)
    assert api.platform("POST", f"{SESSIONS}/CS-1/cancel").json() == cancelled.json()
    assert money(api, member)[:2] == (5000, 5000)
    refused = settle(api, "CS-1")
    assert (refused.status_code, refused.json()["code"]) == (409, "session.cancelled")
    assert settle(api, "CS-2", "ORD-2").status_code == 201
    refused = api.platform("POST", f"{SESSIONS}/CS-2/cancel")
    assert (refused.status_code, refused.json()["code"]) == (409, "session.settled")
    other = settle(api, "CS-2", "ORD-2", elec_fee_fen=1)
    assert (other.status_code, other.json()["code"]) == (409, "session.settled_differently")
    assert money(api, member)[:2] == (2200, 2200)  # CS-2 held nothing: it paid from what was free once CS-1 let go


def test_the_same_session_id_again_is_200_and_with_other_content_409(api, member):
    fund(api, member, 5000)
    api.set_clock(local(2026, 3, 12, 10, 5))
    first = open_session(api, member, use_wallet=True, wallet_hold_fen=1000)
    again = open_session(api, member, use_wallet=True, wallet_hold_fen=1000)
    assert (again.status_code, again.json()) == (200, first.json())
    other = open_session(api, member, use_wallet=True, wallet_hold_fen=2000)
    assert (other.status_code, other.json()["code"]) == (409, "session.id_reused")
    assert money(api, member)[:2] == (5000, 4000)


def test_a_named_held_voucher_cannot_be_used_by_an_order_or_another_session(api, member):
    voucher = api.give(member, api.template()["id"])[0]
    api.set_clock(local(2026, 3, 12, 11, 5))
    held = open_session(api, member, voucher_id=voucher["id"])
    assert held.json()["voucher_id"] == voucher["id"]
    named = api.settle(api.order(member, voucher_id=voucher["id"]))
    assert (named.status_code, named.json()["code"]) == (409, "voucher.held")
    auto = api.settle(api.order(member))
    assert auto.json()["voucher_id"] is None
    second = open_session(api, member, "CS-2", voucher_id=voucher["id"])
    assert (second.status_code, second.json()["code"]) == (409, "voucher.held")
    assert settle(api).json()["voucher_id"] == voucher["id"]
    assert [v["used_order_no"] for v in api.vouchers(member, "used")] == ["ORD-CS-1"]


def test_auto_at_settlement_skips_a_voucher_another_session_holds(api, member):
    small, big = api.template(face_value_fen=500), api.template(face_value_fen=1500)
    [small_voucher], [big_voucher] = api.give(member, small["id"]), api.give(member, big["id"])
    api.set_clock(local(2026, 3, 12, 11, 5))
    open_session(api, member, "CS-BIG", voucher_id=big_voucher["id"])
    open_session(api, member, "CS-AUTO")
    assert settle(api, "CS-AUTO", "ORD-AUTO").json()["voucher_id"] == small_voucher["id"]
    assert api.platform("POST", f"{SESSIONS}/CS-BIG/cancel").status_code == 200
    assert api.settle(api.order(member)).json()["voucher_id"] == big_voucher["id"]  # released: usable again


def test_a_voucher_for_another_station_or_member_is_refused_and_changes_nothing(api, member):
    api.station("S2")
    elsewhere = api.give(member, api.template(station_ids=["S2"])["id"])[0]
    api.set_clock(local(2026, 3, 12, 10, 5))
    refused = open_session(api, member, voucher_id=elsewhere["id"])
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, "voucher_id")
    someone = api.member()["id"]
    foreign = open_session(api, someone, voucher_id=elsewhere["id"])
    assert (foreign.status_code, foreign.json()["code"]) == (422, "voucher.not_owned")
    assert api.platform("GET", f"{SESSIONS}/CS-1").status_code == 404
    assert open_session(api, member, voucher_id=elsewhere["id"], station_id="S2").status_code == 201


def test_points_are_held_up_to_the_redemption_maximum(api, member):
    api.admin("PUT", "/api/v1/admin/points/settings", json={
        "earning": {"per_yuan_paid": 0, "per_kwh": 0},
        "redemption": {"enabled": True, "points_per_yuan": 100, "base": "total", "station_ids": [], "min_points": 0,
                       "max_points": 500, "max_share_percent": 100, "combine_with_voucher": True},
        "expiry": {"rule": "never"}})
    api.admin("POST", f"/api/v1/admin/members/{member}/points", json={"points": 800, "reason": "test"})
    api.set_clock(local(2026, 3, 12, 11, 5))
    assert open_session(api, member, use_points=True, voucher_id=None).json()["points_held"] == 500
    assert money(api, member)[2:] == (800, 300)
    order = api.settle(api.order(member, use_points=True, voucher_id=None)).json()
    assert order["points_used"] == 300  # what no session holds
    assert settle(api).json()["points_used"] == 500
    assert money(api, member)[2:] == (0, 0)


def test_a_session_left_open_is_released_by_the_job_after_hold_hours(api, member):
    fund(api, member, 5000)
    api.admin("PUT", "/api/v1/admin/stored-value/settings", json={
        "min_recharge_fen": 100, "denominations_fen": [5000], "allow_custom_amount": True, "hold_hours": 2})
    api.set_clock(local(2026, 3, 12, 10, 5))
    assert open_session(api, member, use_wallet=True).json()["expires_at"] == "2026-03-12T12:00:00+08:00"
    api.set_clock(local(2026, 3, 12, 11, 59))
    api.admin("POST", "/api/v1/sandbox/tick")
    assert api.platform("GET", f"{SESSIONS}/CS-1").json()["status"] == "open"
    api.set_clock(local(2026, 3, 12, 12, 6))
    ran = api.admin("POST", "/api/v1/sandbox/tick").json()["ran"]
    assert [r["result"] for r in ran if r["kind"] == "session_release"] == [{"cancelled": 1}]
    assert api.platform("GET", f"{SESSIONS}/CS-1").json()["status"] == "cancelled"
    assert money(api, member)[:2] == (5000, 5000)


@pytest.mark.parametrize(("body", "field"), [
    ({"wallet_hold_fen": 100}, "wallet_hold_fen"),
    ({"use_wallet": True, "wallet_hold_fen": 6000}, "wallet_hold_fen"),
    ({"member_id": "nobody"}, "member_id"),
    ({"station_id": "nowhere"}, "station_id"),
    ({"started_at": "2026-03-13T10:00:00+08:00"}, "started_at"),
    ({"use_wallet": "yes"}, "use_wallet"),
])
def test_refused_starts_name_the_field_and_change_nothing(api, member, body, field):
    fund(api, member, 5000)
    api.set_clock(local(2026, 3, 12, 10, 5))
    refused = open_session(api, member, **body)
    assert refused.status_code in (409, 422)
    assert field in [e["field"] for e in refused.json()["errors"]]
    assert money(api, member)[:2] == (5000, 5000)
    assert api.platform("GET", f"{SESSIONS}/CS-1").status_code == 404


def test_settling_an_unknown_session_is_404_and_a_reused_order_no_409(api, member):
    api.set_clock(local(2026, 3, 12, 11, 5))
    assert settle(api, "nope").status_code == 404
    assert api.platform("POST", f"{SESSIONS}/nope/cancel").status_code == 404
    assert api.settle(api.order(member, order_no="TAKEN")).status_code == 201
    open_session(api, member)
    reused = settle(api, order_no="TAKEN")
    assert (reused.status_code, reused.json()["code"]) == (409, "settlement.order_no_reused")
    early = settle(api, end_time="2026-03-12T09:00:00+08:00")
    assert (early.status_code, early.json()["errors"][0]["field"]) == (422, "end_time")
    assert api.platform("GET", f"{SESSIONS}/CS-1").json()["status"] == "open"


def test_session_settings_are_saved_validated_and_kept_when_left_out(api):
    base = {"min_recharge_fen": 100, "denominations_fen": [5000], "allow_custom_amount": True}
    assert api.admin("GET", "/api/v1/admin/stored-value/settings").json()["hold_hours"] == 24
    saved = api.admin("PUT", "/api/v1/admin/stored-value/settings",
                      json={**base, "min_start_balance_fen": 1000, "hold_hours": 6}).json()
    assert (saved["min_start_balance_fen"], saved["hold_hours"]) == (1000, 6)
    kept = api.admin("PUT", "/api/v1/admin/stored-value/settings", json=base).json()
    assert (kept["min_start_balance_fen"], kept["hold_hours"]) == (1000, 6)
    for bad, field in (({"hold_hours": 0}, "hold_hours"), ({"min_start_balance_fen": -1}, "min_start_balance_fen"),
                       ({"hold_hours": 10**30}, "hold_hours")):
        refused = api.admin("PUT", "/api/v1/admin/stored-value/settings", json={**base, **bad})
        assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, field)
    assert api.admin("GET", "/api/v1/admin/stored-value/settings").json()["hold_hours"] == 6


def test_a_refund_of_the_balance_cannot_take_money_a_session_holds(api, member):
    fund(api, member, 5000)
    api.set_clock(local(2026, 3, 12, 10, 5))
    open_session(api, member, use_wallet=True, wallet_hold_fen=3000)
    path = f"/api/v1/admin/members/{member}/wallet/refund"
    refused = api.admin("POST", path, json={"amount_fen": 2001, "reason": "用户申请退款"})
    assert (refused.status_code, refused.json()["code"], refused.json()["errors"][0]["params"]) == (
        409, "wallet.balance_exceeded", {"balance": 2000})
    assert api.admin("POST", path, json={"amount_fen": 2000, "reason": "用户申请退款"}).status_code == 201
    assert money(api, member)[:2] == (3000, 0)
    assert settle(api, end_time="2026-03-12T10:05:00+08:00").json()["wallet_paid_fen"] == 2800
