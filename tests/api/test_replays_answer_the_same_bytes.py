"""An idempotent repeat answers the very bytes of the first answer: the typed result is stored as plain
JSON and rebuilt from it field by field, so neither order nor spelling of the keys can drift."""

from __future__ import annotations

from sqlalchemy import insert

from evperks.db.tables import campaigns
from tests.api.conftest import local


def test_settling_the_same_order_again_answers_the_first_bytes(api):
    api.station("S1")
    api.set_clock(local(2026, 3, 10, 9))
    member = api.member()
    api.give(member["id"], api.template(face_value_fen=500)["id"])
    api.set_clock(local(2026, 3, 12, 12))
    body = api.order(member["id"])
    first, again = api.settle(body), api.settle(body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.content == first.content
    assert first.json()["voucher_deduction_fen"] == 500


def test_confirming_a_rewarded_recharge_again_answers_the_first_bytes(api):
    api.set_clock(local(2026, 3, 10, 9))
    member = api.member()
    template = api.template(face_value_fen=500)["id"]
    now = api.ctx.clock.now()
    with api.ctx.db.write() as conn:
        conn.execute(insert(campaigns).values(
            type="recharge", status="active", name="充值送券", start_at=now, end_at=local(2027, 1, 1),
            rules_text="充100送5", total_packages=10, reward=[], created_at=now, updated_at=now,
            tiers=[{"min_amount_fen": 10000, "reward": [{"template_id": template, "quantity": 1}]}],
        ))
    api.platform("POST", "/api/v1/recharges", json={"order_no": "R-1", "member_id": member["id"], "amount_fen": 10000})
    first = api.platform("POST", "/api/v1/recharges/R-1/confirm", json={"provider_txn_id": "TXN-1"})
    again = api.platform("POST", "/api/v1/recharges/R-1/confirm", json={"provider_txn_id": "TXN-1"})
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.content == first.content
    assert len(first.json()["rewards"]) == 1
