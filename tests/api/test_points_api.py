"""Points over HTTP: settings, manual grants, the worked expiry examples at the instants either side of
each boundary (moved with the sandbox clock, run with the sandbox tick), redemption and earning."""

from __future__ import annotations

import pytest

from tests.api.conftest import local

YEARLY_1Y_FEB_1 = {"rule": "yearly", "years": 1, "month": 2, "day": 1}
YEARLY_2Y_FEB_1 = {"rule": "yearly", "years": 2, "month": 2, "day": 1}
MONTHLY_1M_25 = {"rule": "monthly", "months": 1, "day": 25}
PER_GRANT_1Y = {"rule": "per_grant", "years": 1}


class Points:
    def __init__(self, api) -> None:
        self.api = api

    def put_settings(self, **body) -> dict:
        response = self.api.admin("PUT", "/api/v1/admin/points/settings", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def rule_in_force_from(self, rule: dict, *, saved_at, effective_at) -> None:
        """Save ``rule`` at ``saved_at`` and let the midnight job apply it at ``effective_at``."""
        self.api.set_clock(saved_at)
        self.put_settings(expiry=rule)
        self.api.set_clock(effective_at)
        self.tick()
        assert self.settings()["expiry"] == rule

    def settings(self) -> dict:
        return self.api.admin("GET", "/api/v1/admin/points/settings").json()

    def grant(self, member_id: str, points: int, granted_at=None, reason: str = "补录") -> dict:
        body = {"points": points, "reason": reason}
        if granted_at is not None:
            body["granted_at"] = granted_at.isoformat()
        response = self.api.admin("POST", f"/api/v1/admin/members/{member_id}/points", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def tick(self) -> list[dict]:
        response = self.api.admin("POST", "/api/v1/sandbox/tick")
        assert response.status_code == 200, response.text
        return response.json()["ran"]

    def at(self, instant) -> None:
        self.api.set_clock(instant)
        self.tick()

    def balance(self, member_id: str) -> int:
        body = self.view(member_id)
        assert body["balance"] == sum(lot["remaining"] for lot in body["lots"])
        member = self.api.platform("GET", f"/api/v1/members/{member_id}").json()
        assert member["points_balance"] == body["balance"]
        return body["balance"]

    def view(self, member_id: str) -> dict:
        response = self.api.platform("GET", f"/api/v1/members/{member_id}/points")
        assert response.status_code == 200, response.text
        return response.json()

    def ledger(self, member_id: str, **params) -> dict:
        response = self.api.platform("GET", f"/api/v1/members/{member_id}/points/ledger", params=params)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def points(api) -> Points:
    return Points(api)


# --- settings --------------------------------------------------------------------------------------

def test_settings_never_saved_are_the_documented_defaults(api, points):
    assert points.settings() == {
        "earning": {"per_yuan_paid": 0, "per_kwh": 0},
        "redemption": {"enabled": False, "points_per_yuan": 100, "base": "total", "station_ids": [], "min_points": 0,
                       "max_points": None, "max_share_percent": 100, "combine_with_voucher": True},
        "expiry": {"rule": "never"},
        "pending_expiry": None,
        "pending_effective_at": None,
        "reminder_days": 7,
    }


def test_a_saved_rule_is_pending_until_the_next_local_midnight_and_the_last_save_of_the_day_wins(api, points):
    api.set_clock(local(2020, 5, 13, 15))
    points.put_settings(expiry=YEARLY_2Y_FEB_1)
    saved = points.put_settings(expiry=PER_GRANT_1Y, earning={"per_yuan_paid": "1.5", "per_kwh": 2})
    assert saved["expiry"] == {"rule": "never"}
    assert saved["pending_expiry"] == PER_GRANT_1Y
    assert saved["pending_effective_at"] == "2020-05-14T00:00:00+08:00"
    assert saved["earning"] == {"per_yuan_paid": 1.5, "per_kwh": 2}
    points.at(local(2020, 5, 13, 23, 59))
    assert points.settings()["expiry"] == {"rule": "never"}
    points.at(local(2020, 5, 14))
    after = points.settings()
    assert (after["expiry"], after["pending_expiry"], after["pending_effective_at"]) == (PER_GRANT_1Y, None, None)


def test_saving_the_rule_in_force_cancels_a_pending_change(api, points):
    api.set_clock(local(2020, 5, 13, 15))
    points.put_settings(expiry=PER_GRANT_1Y)
    assert points.put_settings(expiry={"rule": "never"})["pending_expiry"] is None


@pytest.mark.parametrize("body, field", [
    ({"expiry": {"rule": "yearly", "years": 1, "month": 4, "day": 31}}, "expiry.day"),
    ({"expiry": {"rule": "yearly", "years": 1, "month": 2}}, "expiry.day"),
    ({"expiry": {"rule": "monthly", "months": 0, "day": 3}}, "expiry.months"),
    ({"expiry": {"rule": "fortnightly"}}, "expiry.rule"),
    ({"earning": {"per_yuan_paid": -1}}, "earning.per_yuan_paid"),
    ({"earning": {"per_kwh": "0.00001"}}, "earning.per_kwh"),
    ({"redemption": {"points_per_yuan": 0}}, "redemption.points_per_yuan"),
    ({"redemption": {"max_share_percent": 101}}, "redemption.max_share_percent"),
    ({"redemption": {"min_points": 500, "max_points": 100}}, "redemption.max_points"),
    ({"redemption": {"station_ids": ["nowhere"]}}, "redemption.station_ids"),
    ({"redemption": {"enabled": "yes"}}, "redemption.enabled"),
    ({"reminder_days": -1}, "reminder_days"),
    ({"expiry_rule": {"rule": "never"}}, "expiry_rule"),
])
def test_invalid_settings_are_refused_naming_the_field(api, points, body, field):
    response = api.admin("PUT", "/api/v1/admin/points/settings", json=body)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert points.settings()["pending_expiry"] is None


def test_settings_need_an_admin_key(api):
    assert api.platform("GET", "/api/v1/admin/points/settings").status_code == 403


# --- manual grants and deductions -----------------------------------------------------------------

def test_a_manual_grant_and_deduction_are_ledger_rows_with_the_balance_after(api, points):
    api.set_clock(local(2026, 3, 10, 9))
    member = api.member()["id"]
    points.grant(member, 500, reason="客服补偿")
    result = api.admin("POST", f"/api/v1/admin/members/{member}/points", json={"points": -120, "reason": "误发"})
    assert result.status_code == 201
    assert result.json()["balance"] == 380
    items = points.ledger(member)["items"]
    assert [(i["points"], i["balance_after"], i["kind"], i["reason"]) for i in items] == [
        (-120, 380, "deduct", "误发"), (500, 500, "grant", "客服补偿"),
    ]
    assert points.balance(member) == 380


def test_a_deduction_beyond_the_balance_is_a_conflict_and_changes_nothing(api, points):
    api.set_clock(local(2026, 3, 10, 9))
    member = api.member()["id"]
    points.grant(member, 100)
    response = api.admin("POST", f"/api/v1/admin/members/{member}/points", json={"points": -101, "reason": "x"})
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "points"
    assert points.balance(member) == 100


@pytest.mark.parametrize("body, field", [
    ({"points": 0, "reason": "x"}, "body"),
    ({"points": 10}, "reason"),
    ({"points": 10, "reason": ""}, "reason"),
    ({"points": 1.5, "reason": "x"}, "points"),
    ({"points": 10, "reason": "x", "granted_at": "2026-03-11T09:00:00+08:00"}, "granted_at"),
    ({"points": -10, "reason": "x", "granted_at": "2026-03-01T09:00:00+08:00"}, "granted_at"),
])
def test_invalid_manual_changes_are_refused(api, points, body, field):
    api.set_clock(local(2026, 3, 10, 9))
    member = api.member()["id"]
    response = api.admin("POST", f"/api/v1/admin/members/{member}/points", json=body)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


def test_points_of_an_unknown_member_are_404(api):
    assert api.admin("POST", "/api/v1/admin/members/nobody/points", json={"points": 1, "reason": "x"}).status_code == 404
    assert api.platform("GET", "/api/v1/members/nobody/points").status_code == 404
    assert api.platform("GET", "/api/v1/members/nobody/points/ledger").status_code == 404


def test_an_imported_grant_already_expired_is_recorded_and_expired_at_once(api, points):
    points.rule_in_force_from(PER_GRANT_1Y, saved_at=local(2021, 1, 1, 9), effective_at=local(2021, 1, 2))
    member = api.member()["id"]
    result = points.grant(member, 300, granted_at=local(2019, 12, 1, 10))
    assert [(e["kind"], e["points"], e["balance_after"]) for e in result["entries"]] == [("grant", 300, 300), ("expire", -300, 0)]
    assert result["entries"][0]["expires_at"] == "2020-12-01T00:00:00+08:00"
    assert points.balance(member) == 0


def test_the_ledger_pages_newest_first(api, points):
    api.set_clock(local(2026, 3, 10, 9))
    member = api.member()["id"]
    for n in range(1, 6):
        points.grant(member, n)
    first = points.ledger(member, limit=2)
    second = points.ledger(member, limit=2, cursor=first["next_cursor"])
    third = points.ledger(member, limit=2, cursor=second["next_cursor"])
    assert [i["points"] for i in first["items"] + second["items"] + third["items"]] == [5, 4, 3, 2, 1]
    assert third["next_cursor"] is None


# --- the worked expiry examples, at 23:59 and at 00:00 ------------------------------------------

def test_yearly_one_year_feb_1_clears_2020_points_at_2021_02_01_and_keeps_2021_points(api, points):
    points.rule_in_force_from(YEARLY_1Y_FEB_1, saved_at=local(2020, 4, 30, 12), effective_at=local(2020, 5, 1))
    member = api.member()["id"]
    api.set_clock(local(2020, 5, 1, 10))
    points.grant(member, 100)
    api.set_clock(local(2021, 1, 15, 10))
    lot = points.grant(member, 7)["entries"][0]
    assert lot["expires_at"] == "2022-02-01T00:00:00+08:00"
    points.at(local(2021, 1, 31, 23, 59))
    assert points.balance(member) == 107
    points.at(local(2021, 2, 1))
    assert points.balance(member) == 7
    expire = points.ledger(member)["items"][0]
    assert (expire["kind"], expire["points"], expire["balance_after"]) == ("expire", -100, 7)


def test_monthly_one_month_25th_clears_may_points_at_june_25_and_keeps_june_points(api, points):
    points.rule_in_force_from(MONTHLY_1M_25, saved_at=local(2020, 5, 1, 12), effective_at=local(2020, 5, 2))
    member = api.member()["id"]
    api.set_clock(local(2020, 5, 6, 10))
    points.grant(member, 50)
    api.set_clock(local(2020, 6, 3, 10))
    points.grant(member, 8)
    points.at(local(2020, 6, 24, 23, 59))
    assert points.balance(member) == 58
    points.at(local(2020, 6, 25))
    assert points.balance(member) == 8
    points.at(local(2020, 7, 24, 23, 59))
    assert points.balance(member) == 8
    points.at(local(2020, 7, 25))
    assert points.balance(member) == 0


def test_per_grant_one_year_clears_a_grant_at_its_anniversary_midnight(api, points):
    points.rule_in_force_from(PER_GRANT_1Y, saved_at=local(2020, 4, 30, 12), effective_at=local(2020, 5, 1))
    member = api.member()["id"]
    api.set_clock(local(2020, 5, 1, 10, 30))
    points.grant(member, 30)
    points.at(local(2021, 4, 30, 23, 59))
    assert points.balance(member) == 30
    points.at(local(2021, 5, 1))
    assert points.balance(member) == 0


def test_rule_change_from_yearly_two_years_to_per_grant_one_year_reproduces_the_example(api, points):
    points.rule_in_force_from(YEARLY_2Y_FEB_1, saved_at=local(2018, 6, 1, 9), effective_at=local(2018, 6, 2))
    member = api.member()["id"]
    api.set_clock(local(2018, 6, 2, 10))
    points.grant(member, 1)  # 2018: cleared at 2020-02-01
    for instant, amount in [((2019, 3, 1, 10), 10), ((2019, 5, 14, 23), 100), ((2019, 5, 15, 0, 5), 1000),
                            ((2020, 1, 10, 10), 10000)]:
        api.set_clock(local(*instant))
        points.grant(member, amount)
    points.at(local(2020, 1, 31, 23, 59))
    assert points.balance(member) == 11111
    points.at(local(2020, 2, 1))
    assert points.balance(member) == 11110

    api.set_clock(local(2020, 5, 13, 15))
    saved = points.put_settings(expiry=PER_GRANT_1Y)
    assert (saved["expiry"], saved["pending_expiry"]) == (YEARLY_2Y_FEB_1, PER_GRANT_1Y)
    assert saved["pending_effective_at"] == "2020-05-14T00:00:00+08:00"
    points.at(local(2020, 5, 13, 23, 59))
    assert points.balance(member) == 11110
    points.at(local(2020, 5, 14))
    assert points.balance(member) == 11000  # granted on or before 2019-05-14: cleared
    assert [(lot["remaining"], lot["expires_at"]) for lot in points.view(member)["lots"]] == [
        (1000, "2020-05-15T00:00:00+08:00"), (10000, "2021-01-10T00:00:00+08:00"),
    ]
    points.at(local(2020, 5, 14, 23, 59))
    assert points.balance(member) == 11000
    points.at(local(2020, 5, 15))
    assert points.balance(member) == 10000


def test_a_late_tick_catches_up_on_every_expiry_it_missed(api, points):
    points.rule_in_force_from(PER_GRANT_1Y, saved_at=local(2020, 4, 30, 12), effective_at=local(2020, 5, 1))
    member = api.member()["id"]
    for day in (1, 2, 3):
        api.set_clock(local(2020, 5, day, 10))
        points.grant(member, day)
    points.at(local(2021, 5, 3, 12))
    assert points.balance(member) == 0
    assert [i["kind"] for i in points.ledger(member)["items"]][:3] == ["expire"] * 3


def test_members_are_told_once_reminder_days_before_their_points_expire(api, points):
    points.rule_in_force_from(PER_GRANT_1Y, saved_at=local(2020, 4, 30, 12), effective_at=local(2020, 5, 1))
    points.put_settings(reminder_days=3)
    member = api.member()["id"]
    api.set_clock(local(2020, 5, 10, 10))
    points.grant(member, 40)
    points.grant(member, 2)
    points.at(local(2021, 5, 6, 23, 59))
    messages = lambda: [m for m in api.platform("GET", f"/api/v1/members/{member}/messages").json()["items"]
                        if m["type"] == "points_expiring"]
    assert messages() == []
    points.at(local(2021, 5, 7))
    points.at(local(2021, 5, 8))
    [message] = messages()
    assert message["data"] == {"points": 42, "expires_at": "2021-05-10T00:00:00+08:00"}
    assert points.view(member)["expiring_soon"] == [{"expires_at": "2021-05-10T00:00:00+08:00", "points": 42}]


# --- redemption and earning at settlement ------------------------------------------------------

@pytest.fixture
def shop(api, points):
    api.station("S1")
    api.station("S2", name="福田站")
    api.set_clock(local(2026, 3, 10, 9))
    member = api.member()["id"]
    points.grant(member, 1000)
    api.set_clock(local(2026, 3, 12, 12))
    return member


def test_redemption_pays_after_the_voucher_and_the_earn_step_counts_what_was_finally_paid(api, points, shop):
    points.put_settings(
        redemption={"enabled": True, "points_per_yuan": 150, "max_share_percent": 50},
        earning={"per_yuan_paid": 1, "per_kwh": "0.5"},
    )
    voucher = api.give(shop, api.template(face_value_fen=800)["id"])[0]
    api.set_clock(local(2026, 3, 12, 13))
    body = api.order(shop, use_points=True, start_time="2026-03-12T12:10:00+08:00", end_time="2026-03-12T12:50:00+08:00")
    result = api.settle(body).json()
    # 2800 − 800 voucher = 2000 left; 50% = 1000 fen; 1000 points buy 666 fen at 3 points per 2 fen.
    assert (result["voucher_id"], result["points_used"], result["points_deduction_fen"]) == (voucher["id"], 999, 666)
    assert result["due_fen"] == 2800 - 800 - 666
    assert result["points_earned"] == 13 + 10  # 13.34 yuan paid, 20.5 kWh × 0.5
    assert points.balance(shop) == 1000 - 999 + 23
    kinds = [(i["kind"], i["points"]) for i in points.ledger(shop)["items"]][:2]
    assert kinds == [("earn", 23), ("redeem", -999)]
    replay = api.settle(body)
    assert replay.status_code == 200
    assert points.balance(shop) == 24


def test_the_quote_shows_the_redemption_without_spending(api, points, shop):
    points.put_settings(redemption={"enabled": True})
    body = api.order(shop, use_points=True, voucher_id=None)
    body.pop("order_no")
    quote = api.platform("POST", "/api/v1/charge-orders/quote", json=body).json()
    assert (quote["points_used"], quote["points_deduction_fen"]) == (1000, 1000)
    assert points.balance(shop) == 1000


def test_no_points_are_used_without_use_points_or_below_the_minimum(api, points, shop):
    points.put_settings(redemption={"enabled": True, "min_points": 1001})
    assert api.settle(api.order(shop, use_points=True)).json()["points_used"] == 0
    points.put_settings(redemption={"enabled": True})
    assert api.settle(api.order(shop)).json()["points_used"] == 0
    assert points.balance(shop) == 1000


def test_redemption_respects_station_scope_and_voucher_combination(api, points, shop):
    points.put_settings(redemption={"enabled": True, "station_ids": ["S2"], "combine_with_voucher": False})
    assert api.settle(api.order(shop, use_points=True)).json()["points_used"] == 0
    api.give(shop, api.template(face_value_fen=100)["id"])
    api.set_clock(local(2026, 3, 12, 13))
    at_s2_with_voucher = api.settle(api.order(shop, use_points=True, station_id="S2", end_time="2026-03-12T12:50:00+08:00")).json()
    assert (at_s2_with_voucher["voucher_deduction_fen"], at_s2_with_voucher["points_used"]) == (100, 0)
    at_s2 = api.settle(api.order(shop, use_points=True, station_id="S2", voucher_id=None)).json()
    assert at_s2["points_used"] == 1000


def test_spending_takes_the_lot_expiring_first_and_never_expiring_lots_last(api, points):
    api.station("S1")
    api.set_clock(local(2026, 1, 1, 9))
    member = api.member()["id"]
    points.grant(member, 300)  # never expires (rule never)
    points.put_settings(expiry=PER_GRANT_1Y, redemption={"enabled": True})
    api.set_clock(local(2026, 1, 2, 9))
    points.tick()
    points.grant(member, 200, granted_at=local(2025, 6, 1, 9))  # expires 2026-06-01
    points.grant(member, 100, granted_at=local(2025, 3, 1, 9))  # expires 2026-03-01
    api.set_clock(local(2026, 1, 3, 9))
    result = api.settle(api.order(member, use_points=True, start_time="2026-01-03T07:00:00+08:00",
                                  end_time="2026-01-03T08:00:00+08:00", elec_fee_fen=200, service_fee_fen=50)).json()
    assert result["points_used"] == 250
    lots = points.view(member)["lots"]
    assert [(lot["points"], lot["remaining"]) for lot in lots] == [(200, 50), (300, 300)]
