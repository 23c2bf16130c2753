"""Refunds of settled charge orders over HTTP (退款): full and partial, idempotent by refund_no, never more
than was paid, refusals that change nothing, and the rewards an order triggered revoked or kept."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select, update

from evperks.db.tables import campaign_packages, campaign_progress, campaigns, referral_rewards
from evperks.db.tables_points import points_ledger, points_lots
from tests.api.conftest import local
from tests.integration.test_campaign_triggers import insert_campaign


class Shop:
    """A station, a member with a 5-yuan voucher, 300 points and 10 yuan in the wallet; points earned at 1
    per yuan paid and redeemed at 100 per yuan."""

    def __init__(self, api) -> None:
        self.api = api
        api.set_clock(local(2026, 3, 10, 9))
        api.station("S1")
        self.member = api.member()
        self.id = self.member["id"]
        self.voucher = api.give(self.id, api.template(face_value_fen=500)["id"])[0]
        assert api.admin("PUT", "/api/v1/admin/points/settings", json={
            "earning": {"per_yuan_paid": 1, "per_kwh": 0},
            "redemption": {"enabled": True, "points_per_yuan": 100, "base": "total", "station_ids": [],
                           "min_points": 0, "max_points": None, "max_share_percent": 100, "combine_with_voucher": True},
        }).status_code == 200
        assert api.admin("POST", f"/api/v1/admin/members/{self.id}/points",
                         json={"points": 300, "reason": "开卡礼"}).status_code == 201
        self.recharge(1000)
        api.set_clock(local(2026, 3, 12, 12))

    def recharge(self, amount_fen: int, order_no: str = "R-1") -> None:
        api = self.api
        assert api.platform("POST", "/api/v1/recharges", json={"order_no": order_no, "member_id": self.id,
                                                               "amount_fen": amount_fen}).status_code == 201
        assert api.platform("POST", f"/api/v1/recharges/{order_no}/confirm",
                            json={"provider_txn_id": "T-" + order_no}).status_code == 200

    def settle(self, member_id: str | None = None, **fields) -> dict:
        body = self.api.order(member_id or self.id, **{"use_points": True, "use_wallet": True, **fields})
        response = self.api.settle(body)
        assert response.status_code == 201, response.text
        return response.json()

    def refund(self, order_no: str, refund_no: str, **body):
        return self.api.platform("POST", f"/api/v1/charge-orders/{order_no}/refunds", json={"refund_no": refund_no, **body})

    def balances(self, member_id: str | None = None) -> tuple[int, int]:
        member = self.api.platform("GET", f"/api/v1/members/{member_id or self.id}").json()
        return member["wallet_balance_fen"], member["points_balance"]

    def order(self, order_no: str) -> dict:
        return self.api.platform("GET", f"/api/v1/charge-orders/{order_no}").json()

    def points_rows(self, kind: str) -> list:
        with self.api.ctx.db.read() as conn:
            return conn.execute(select(points_ledger).where(points_ledger.c.kind == kind)).all()


# An order after the rewards of the 12:00 settlements were issued (their vouchers are valid from then).
LATER = {"start_time": "2026-03-12T12:30:00+08:00", "end_time": "2026-03-12T13:30:00+08:00"}


def _shop(api) -> Shop:
    return Shop(api)


def test_a_full_refund_restores_voucher_points_and_wallet_and_takes_back_the_points_earned(api):
    shop = _shop(api)
    settled = shop.settle()
    # 28.00 total: voucher 5.00, 300 points 3.00, wallet 10.00, 10.00 still due; 20 yuan paid earns 20 points.
    assert (settled["voucher_deduction_fen"], settled["points_used"], settled["wallet_paid_fen"], settled["due_fen"],
            settled["points_earned"]) == (500, 300, 1000, 1000, 20)
    assert shop.balances() == (0, 20)

    response = shop.refund(settled["order_no"], "RF-1", reason="充电桩故障")

    assert response.status_code == 201, response.text
    assert response.json() == {
        "refund_no": "RF-1", "order_no": settled["order_no"], "amount_fen": 2000, "external_fen": 1000,
        "wallet_fen": 1000, "points_returned": 300, "voucher_returned": True, "points_clawed_back": 20,
        "rewards_revoked": [], "rewards_kept": [], "order_status": "refunded",
    }
    assert shop.balances() == (1000, 300)
    assert [v["id"] for v in api.vouchers(shop.id, "available")] == [shop.voucher["id"]]
    member = api.platform("GET", f"/api/v1/members/{shop.id}").json()
    assert (member["charge_count"], member["total_paid_fen"]) == (0, 0)
    order = shop.order(settled["order_no"])
    assert (order["status"], order["refunded_fen"]) == ("refunded", 2000)
    assert [r["refund_no"] for r in order["refunds"]] == ["RF-1"] and order["refunds"][0]["reason"] == "充电桩故障"
    wallet = api.platform("GET", f"/api/v1/members/{shop.id}/wallet/ledger").json()["items"]
    assert (wallet[0]["kind"], wallet[0]["amount_fen"], wallet[0]["ref"]) == ("order_refund", 1000, "RF-1")
    kinds = [e["kind"] for e in api.platform("GET", f"/api/v1/members/{shop.id}/points/ledger").json()["items"]]
    assert kinds[:2] == ["refund_return", "refund_clawback"]
    # The returned voucher pays the next order.
    again = shop.settle()
    assert again["voucher_id"] == shop.voucher["id"]
    messages = api.platform("GET", f"/api/v1/members/{shop.id}/messages").json()["items"]
    assert any(m["type"] == "order_refunded" and m["data"]["refund_no"] == "RF-1" for m in messages)


def test_a_partial_refund_returns_money_only_external_part_first_and_keeps_the_voucher_used(api):
    shop = _shop(api)
    settled = shop.settle()

    first = shop.refund(settled["order_no"], "RF-1", amount_fen=1500).json()
    second = shop.refund(settled["order_no"], "RF-2", amount_fen=300).json()

    assert (first["external_fen"], first["wallet_fen"], first["points_clawed_back"]) == (1000, 500, 15)
    assert (second["external_fen"], second["wallet_fen"], second["points_clawed_back"]) == (0, 300, 3)
    assert (first["voucher_returned"], first["points_returned"], second["order_status"]) == (False, 0, "partially_refunded")
    assert api.vouchers(shop.id, "used")[0]["id"] == shop.voucher["id"]
    assert shop.balances() == (800, 2)
    member = api.platform("GET", f"/api/v1/members/{shop.id}").json()
    assert (member["charge_count"], member["total_paid_fen"]) == (1, 200)
    last = shop.refund(settled["order_no"], "RF-3").json()  # the rest: 200 fen, and the order is undone
    assert (last["amount_fen"], last["points_clawed_back"], last["order_status"]) == (200, 2, "refunded")
    assert last["voucher_returned"] is True and last["points_returned"] == 300
    assert shop.balances() == (1000, 300)


def test_parallel_partial_refunds_of_one_order_stop_exactly_at_what_was_paid(api):
    shop = _shop(api)
    settled = shop.settle()  # 2000 fen paid in money
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda n: shop.refund(settled["order_no"], f"RF-{n}", amount_fen=300), range(12)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 6 + [409] * 6  # 6 × 300 = 1800; a seventh would pass 2000
    order = shop.order(settled["order_no"])
    assert order["refunded_fen"] == 1800 and len(order["refunds"]) == 6
    assert sum(r["amount_fen"] for r in order["refunds"]) == 1800
    assert all(r.json()["code"] == "refund.too_much" for r in responses if r.status_code == 409)
    assert shop.refund(settled["order_no"], "RF-last").json()["amount_fen"] == 200


def test_the_same_refund_no_again_answers_the_first_body_and_changes_nothing(api):
    shop = _shop(api)
    settled = shop.settle()
    first = shop.refund(settled["order_no"], "RF-1", amount_fen=700)
    before = shop.balances()

    again = shop.refund(settled["order_no"], "RF-1", amount_fen=700)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert shop.balances() == before and shop.order(settled["order_no"])["refunded_fen"] == 700


def test_refusals_are_problems_naming_what_is_wrong_and_change_nothing(api):
    shop = _shop(api)
    settled = shop.settle()
    order_no = settled["order_no"]
    assert shop.refund(order_no, "RF-1", amount_fen=500).status_code == 201
    before = (shop.balances(), shop.order(order_no))

    cases = [
        (shop.refund("NO-SUCH-ORDER", "RF-9"), 404, "order.not_found"),
        (shop.refund(order_no, "RF-1", amount_fen=600), 409, "refund.refund_no_reused"),
        (shop.refund(order_no, "RF-2", amount_fen=1501), 409, "refund.too_much"),
        (shop.refund(order_no, "RF-3", amount_fen=-1), 422, None),
        (shop.refund(order_no, "RF-4", amount_fen=10**13), 422, None),
        (shop.refund(order_no, "RF-5", amount_fen=0), 422, "refund.amount_zero"),
        (shop.refund(order_no, "RF-6", amount_fen="100"), 422, None),
    ]

    for response, status, code in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        if code is not None:
            assert response.json()["code"] == code
        if status == 422:
            assert [e["field"] for e in response.json()["errors"]] == ["amount_fen"]
    assert (shop.balances(), shop.order(order_no)) == before


def test_a_fully_refunded_order_refuses_another_refund(api):
    shop = _shop(api)
    settled = shop.settle()
    assert shop.refund(settled["order_no"], "RF-1").status_code == 201
    response = shop.refund(settled["order_no"], "RF-2")
    assert response.status_code == 409 and response.json()["code"] == "refund.order_refunded"


def test_an_order_paid_by_voucher_and_points_only_is_refunded_in_full_with_amount_0(api):
    shop = _shop(api)
    settled = shop.settle(elec_fee_fen=500, service_fee_fen=300)  # 8.00: voucher 5.00, points 3.00
    assert (settled["wallet_paid_fen"], settled["due_fen"], settled["points_used"]) == (0, 0, 300)

    body = shop.refund(settled["order_no"], "RF-1").json()

    assert (body["amount_fen"], body["points_returned"], body["voucher_returned"], body["order_status"]) == (0, 300, True, "refunded")
    assert shop.balances() == (1000, 300)


def test_a_clawback_of_points_already_spent_records_the_shortfall(api):
    shop = _shop(api)
    settled = shop.settle(voucher_id=None, use_points=False)  # 28.00: wallet 10.00, 18.00 due; earns 28 points
    assert settled["points_earned"] == 28
    assert api.admin("POST", f"/api/v1/admin/members/{shop.id}/points",
                     json={"points": -320, "reason": "兑换"}).status_code == 201  # 8 of the 28 left

    body = shop.refund(settled["order_no"], "RF-1").json()

    assert body["points_clawed_back"] == 8
    assert shop.balances() == (1000, 0)
    (row,) = shop.points_rows("refund_clawback")
    assert (row.points, row.shortfall, row.ref) == (-8, 20, "RF-1")


def test_redeemed_points_whose_lot_has_expired_are_not_returned_nor_an_expired_voucher(api):
    shop = _shop(api)
    settled = shop.settle()
    with api.ctx.db.write() as conn:  # the lot the 300 points came from expired on 03-15 (as a rule may make it)
        conn.execute(update(points_lots).where(points_lots.c.source == "grant").values(expires_at=local(2026, 3, 15)))
    api.set_clock(local(2026, 3, 20, 12))  # the 7-day voucher expired at 03-17 00:00

    body = shop.refund(settled["order_no"], "RF-1").json()

    assert (body["points_returned"], body["voucher_returned"], body["order_status"]) == (0, False, "refunded")
    assert api.vouchers(shop.id, "expired")[0]["id"] == shop.voucher["id"]
    assert shop.balances() == (1000, 0)


def test_a_full_refund_revokes_an_unused_tier_reward_and_keeps_a_used_one(api):
    shop = _shop(api)
    tier_template = api.template(face_value_fen=300)["id"]
    campaign_id = insert_campaign(api.ctx, type="consumption", metric="energy", total=5, tiers=[
        {"threshold": 10_000, "reward": [{"template_id": tier_template, "quantity": 1}]},
        {"threshold": 40_000, "reward": [{"template_id": tier_template, "quantity": 1}]},
    ])
    first = shop.settle(voucher_id=None)  # 20.5 kWh: tier 1
    second = shop.settle(voucher_id=None)  # 41 kWh: tier 2
    (tier1,), (tier2,) = first["rewards"], second["rewards"]
    api.set_clock(local(2026, 3, 12, 14))
    shop.settle(voucher_id=tier1["voucher_ids"][0], **LATER)  # tier 1's voucher is used

    kept = shop.refund(first["order_no"], "RF-1").json()
    revoked = shop.refund(second["order_no"], "RF-2").json()

    assert (kept["rewards_revoked"], kept["rewards_kept"]) == ([], [tier1])
    assert (revoked["rewards_revoked"], revoked["rewards_kept"]) == ([tier2], [])
    assert {v["id"]: v["status"] for v in api.vouchers(shop.id, "revoked")} == {tier2["voucher_ids"][0]: "revoked"}
    with api.ctx.db.read() as conn:
        campaign = conn.execute(select(campaigns).where(campaigns.c.id == campaign_id)).one()
        progress = conn.execute(select(campaign_progress).where(campaign_progress.c.campaign_id == campaign_id)).one()
    assert campaign.packages_given == 1  # the revoked package went back to the budget
    assert (progress.accumulated, progress.tiers_reached) == (20_500, 1)  # the third order's kWh; tier 2 open again
    fourth = shop.settle(voucher_id=None)
    assert [r["campaign_id"] for r in fourth["rewards"]] == [campaign_id]  # tier 2 earned again


def test_a_revoked_referral_reward_can_be_earned_by_the_invitees_next_first_order(api):
    shop = _shop(api)
    campaign_id = insert_campaign(api.ctx, type="referral", reward=[{"template_id": api.template()["id"], "quantity": 1}])
    invitee = api.member(invite_code=shop.member["invite_code"])
    first = shop.settle(invitee["id"], use_points=False, use_wallet=False)
    (reward,) = first["rewards"]

    body = shop.refund(first["order_no"], "RF-1").json()

    assert body["rewards_revoked"] == [reward]
    with api.ctx.db.read() as conn:
        assert conn.execute(select(referral_rewards)).all() == []
        assert conn.execute(select(campaign_packages.c.revoked_by_refund)).scalars().all() == ["RF-1"]
    next_first = shop.settle(invitee["id"], use_points=False, use_wallet=False)
    assert [r["campaign_id"] for r in next_first["rewards"]] == [campaign_id]
    third = shop.settle(invitee["id"], use_points=False, use_wallet=False)
    assert third["rewards"] == []


def test_a_kept_referral_reward_stays_the_invitees_one_reward(api):
    shop = _shop(api)
    insert_campaign(api.ctx, type="referral", reward=[{"template_id": api.template()["id"], "quantity": 1}])
    invitee = api.member(invite_code=shop.member["invite_code"])
    first = shop.settle(invitee["id"], use_points=False, use_wallet=False)
    (reward,) = first["rewards"]
    api.set_clock(local(2026, 3, 12, 14))
    shop.settle(voucher_id=reward["voucher_ids"][0], **LATER)  # the inviter used the reward

    body = shop.refund(first["order_no"], "RF-1").json()

    assert (body["rewards_revoked"], body["rewards_kept"]) == ([], [reward])
    assert shop.settle(invitee["id"], use_points=False, use_wallet=False)["rewards"] == []
