"""Percent vouchers (折扣券) and usage windows (可用时段), black box over HTTP on both engines."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.api.conftest import local

TEMPLATES = "/api/v1/admin/voucher-templates"
PERCENT = {"name": "服务费8折", "kind": "percent", "percent_off": 20, "deduction_type": "total",
           "validity": {"type": "days", "days": 30}}


def _percent(api, **fields) -> dict:
    body = {**PERCENT, **fields}
    body.pop("face_value_fen", None)
    response = api.admin("POST", TEMPLATES, json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def member(api) -> dict:
    api.set_clock(local(2026, 3, 10, 9))
    api.station("S1")
    return api.member()


@pytest.mark.parametrize(("elec_fee", "service_fee", "winner", "deducted"), [
    (3000, 2000, "20% off, at most ¥3", 300),  # 20% of ¥50 is ¥10, capped at ¥3: beats ¥2.50
    (500, 500, "¥2.50 off", 250),  # 20% of ¥10 is ¥2: the ¥2.50 voucher deducts more
])
def test_the_voucher_that_actually_deducts_more_is_chosen(api, member, elec_fee, service_fee, winner, deducted):
    percent = _percent(api, name="20% off, at most ¥3", max_deduction_fen=300)
    amount = api.template(name="¥2.50 off", face_value_fen=250, validity={"type": "days", "days": 30})
    ids = {api.give(member["id"], t["id"])[0]["id"]: t["name"] for t in (percent, amount)}
    api.set_clock(local(2026, 3, 17, 9))
    response = api.settle(api.order(member["id"], elec_fee_fen=elec_fee, service_fee_fen=service_fee))
    assert response.status_code == 201, response.text
    assert (ids[response.json()["voucher_id"]], response.json()["voucher_deduction_fen"]) == (winner, deducted)


def test_a_percent_deduction_is_rounded_down_to_the_fen_and_applies_to_the_service_fee(api, member):
    template = _percent(api, percent_off=15, deduction_type="service_fee")
    api.give(member["id"], template["id"])
    api.set_clock(local(2026, 3, 17, 9))
    response = api.settle(api.order(member["id"], elec_fee_fen=2000, service_fee_fen=799))
    assert response.json()["voucher_deduction_fen"] == 119  # floor(799 × 15 / 100) = floor(119.85)


def test_a_percent_template_reads_back_without_a_face_value(api, member):
    template = _percent(api, max_deduction_fen=300, usable_hours=[{"from": "23:00", "to": "07:00"}],
                        usable_weekdays=[6, 7])
    read = api.admin("GET", f"{TEMPLATES}/{template['id']}").json()
    assert read == template
    assert (read["kind"], read["face_value_fen"], read["percent_off"], read["max_deduction_fen"]) == ("percent", None, 20, 300)
    assert (read["usable_hours"], read["usable_weekdays"]) == ([{"from": "23:00", "to": "07:00"}], [6, 7])
    [voucher] = api.give(member["id"], template["id"])
    assert {k: voucher[k] for k in ("kind", "face_value_fen", "percent_off", "max_deduction_fen", "usable_hours",
                                    "usable_weekdays")} == {
        "kind": "percent", "face_value_fen": None, "percent_off": 20, "max_deduction_fen": 300,
        "usable_hours": [{"from": "23:00", "to": "07:00"}], "usable_weekdays": [6, 7]}


@pytest.mark.parametrize(("change", "field"), [
    ({"percent_off": 0}, "percent_off"),
    ({"percent_off": 100}, "percent_off"),
    ({"percent_off": 1.5}, "percent_off"),
    ({"percent_off": -1}, "percent_off"),
    ({"percent_off": "abc"}, "percent_off"),
    ({"percent_off": None}, "percent_off"),
    ({"face_value_fen": 500}, "face_value_fen"),
    ({"max_deduction_fen": 0}, "max_deduction_fen"),
    ({"kind": "gift"}, "kind"),
    ({"usable_hours": [{"from": "23:00", "to": "23:00"}]}, "usable_hours.0.to"),
    ({"usable_hours": [{"from": "24:00", "to": "07:00"}]}, "usable_hours.0.from"),
    ({"usable_hours": [{"from": "7:00", "to": "09:00"}]}, "usable_hours.0.from"),
    ({"usable_hours": [{"from": "07:00"}]}, "usable_hours.0.to"),
    ({"usable_weekdays": [0]}, "usable_weekdays.0"),
    ({"usable_weekdays": [8]}, "usable_weekdays.0"),
    ({"usable_weekdays": [6, 6]}, "usable_weekdays"),
])
def test_bad_percent_and_window_values_are_422_naming_the_field(api, change, field):
    response = api.admin("POST", TEMPLATES, json={**PERCENT, **change})
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert api.admin("GET", TEMPLATES).json()["items"] == []


def test_an_amount_template_refuses_a_percentage_and_still_needs_its_face_value(api):
    body = {"name": "券", "deduction_type": "total", "validity": {"type": "days", "days": 7}}
    missing = api.admin("POST", TEMPLATES, json=body)
    with_percent = api.admin("POST", TEMPLATES, json={**body, "face_value_fen": 500, "percent_off": 20})
    assert [e["field"] for e in missing.json()["errors"]] == ["face_value_fen"]
    assert [e["field"] for e in with_percent.json()["errors"]] == ["percent_off"]


@pytest.mark.parametrize(("start", "usable"), [
    ((22, 59), False), ((23, 0), True), ((6, 59), True), ((7, 0), False),
])
def test_an_off_peak_voucher_is_judged_at_the_orders_local_start(api, member, start, usable):
    template = api.template(name="谷时5元", face_value_fen=500, validity={"type": "days", "days": 30},
                            usable_hours=[{"from": "23:00", "to": "07:00"}])
    [voucher] = api.give(member["id"], template["id"])
    api.set_clock(local(2026, 3, 17, 9))
    day = 12 if start[0] >= 12 else 13
    begins = local(2026, 3, day, *start)
    ends = local(2026, 3, 13, 8, 0)  # every session ends after the window: only the start counts
    auto = api.settle(api.order(member["id"], start_time=begins.isoformat(), end_time=ends.isoformat()))
    assert auto.status_code == 201, auto.text
    assert auto.json()["voucher_id"] == (voucher["id"] if usable else None)
    if not usable:
        named = api.settle(api.order(member["id"], start_time=begins.isoformat(), end_time=ends.isoformat(),
                                     voucher_id=voucher["id"]))
        assert named.status_code == 422, named.text
        assert named.json()["code"] == "voucher.outside_usable_hours"
        assert named.json()["errors"][0]["field"] == "voucher_id"


@pytest.mark.parametrize(("start_utc", "usable"), [
    ("2026-03-13T16:30:00Z", True),  # Friday 16:30 UTC is Saturday 00:30 in Shanghai
    ("2026-03-13T15:59:00Z", False),  # Friday 23:59 in Shanghai
    ("2026-03-15T15:59:00Z", True),  # Sunday 23:59 in Shanghai
    ("2026-03-15T16:00:00Z", False),  # Monday 00:00 in Shanghai (still Sunday in UTC)
])
def test_a_weekend_voucher_follows_the_operators_calendar_not_utc(api, member, start_utc, usable):
    template = api.template(name="周末5元", face_value_fen=500, validity={"type": "days", "days": 30},
                            usable_weekdays=[6, 7])
    [voucher] = api.give(member["id"], template["id"])
    api.set_clock(local(2026, 3, 17, 9))
    ends = (datetime.fromisoformat(start_utc) + timedelta(hours=1)).isoformat()
    order = api.order(member["id"], start_time=start_utc, end_time=ends, voucher_id=voucher["id"])
    response = api.settle(order)
    if usable:
        assert (response.status_code, response.json()["voucher_deduction_fen"]) == (201, 500), response.text
    else:
        assert (response.status_code, response.json()["code"]) == (422, "voucher.outside_usable_weekdays")


def test_a_template_change_of_window_leaves_issued_vouchers_as_they_were(api, member):
    template = api.template(name="谷时5元", face_value_fen=500, validity={"type": "days", "days": 30},
                            usable_hours=[{"from": "23:00", "to": "07:00"}])
    api.give(member["id"], template["id"])
    patched = api.admin("PATCH", f"{TEMPLATES}/{template['id']}", json={"usable_hours": []})
    assert patched.status_code == 200, patched.text
    [kept] = api.vouchers(member["id"])
    assert (patched.json()["usable_hours"], kept["usable_hours"]) == ([], [{"from": "23:00", "to": "07:00"}])
    api.set_clock(local(2026, 3, 17, 9))
    response = api.settle(api.order(member["id"]))  # 10:00, outside the kept window
    assert response.json()["voucher_id"] is None


def test_a_charge_session_cannot_hold_an_off_peak_voucher_outside_its_hours(api, member):
    template = api.template(name="谷时5元", face_value_fen=500, validity={"type": "days", "days": 30},
                            usable_hours=[{"from": "23:00", "to": "07:00"}])
    [voucher] = api.give(member["id"], template["id"])
    api.set_clock(local(2026, 3, 12, 23, 30))

    def open_at(session_id: str, started: str):
        return api.platform("POST", "/api/v1/charge-sessions", json={
            "session_id": session_id, "member_id": member["id"], "station_id": "S1", "started_at": started,
            "voucher_id": voucher["id"], "use_wallet": False})

    daytime = open_at("CS-DAY", "2026-03-12T10:00:00+08:00")
    assert (daytime.status_code, daytime.json()["code"]) == (422, "voucher.outside_usable_hours"), daytime.text
    night = open_at("CS-NIGHT", "2026-03-12T23:10:00+08:00")
    assert night.status_code == 201, night.text
