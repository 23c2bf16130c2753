"""A settled charge order read back by its order_no: the settlement body, its status and refunds."""

from __future__ import annotations

from sqlalchemy import select

from evperks.db.tables import charge_orders
from tests.api.conftest import local


def _settled(api, **fields) -> dict:
    api.station("S1")
    api.set_clock(local(2026, 3, 10, 9))
    member = api.member()
    voucher = api.give(member["id"], api.template(face_value_fen=500)["id"])[0]
    api.set_clock(local(2026, 3, 12, 12))
    response = api.settle(api.order(member["id"], **fields))
    assert response.status_code == 201, response.text
    assert response.json()["voucher_id"] == voucher["id"]
    return response.json()


def test_a_settled_order_reads_back_as_its_settlement_plus_its_refund_state(api):
    settled = _settled(api)

    response = api.platform("GET", f"/api/v1/charge-orders/{settled['order_no']}")

    assert response.status_code == 200
    assert response.json() == {**settled, "status": "settled", "refunded_fen": 0, "refunds": []}
    assert response.json()["due_fen"] == 2300


def test_the_order_reads_from_what_was_stored_when_it_was_settled(api):
    """Orders settled before the read existed have only their row: the read takes the stored body as is."""
    settled = _settled(api)
    with api.ctx.db.read() as conn:
        stored = conn.execute(select(charge_orders.c.result).where(
            charge_orders.c.order_no == settled["order_no"])).scalar_one()
    api.set_clock(local(2026, 3, 20, 12))  # a later clock does not restate settled_at

    body = api.platform("GET", f"/api/v1/charge-orders/{settled['order_no']}").json()

    assert {k: body[k] for k in stored} == stored
    assert body["settled_at"] == "2026-03-12T12:00:00+08:00"


def test_an_unknown_order_is_a_404_problem_naming_it(api):
    response = api.platform("GET", "/api/v1/charge-orders/CO-404")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "CO-404" in response.json()["detail"]


def test_a_quote_leaves_no_order_to_read(api):
    api.station("S1")
    api.set_clock(local(2026, 3, 12, 12))
    member = api.member()
    body = api.order(member["id"])
    quote = {k: v for k, v in body.items() if k != "order_no"}
    assert api.platform("POST", "/api/v1/charge-orders/quote", json=quote).status_code == 200
    assert api.platform("GET", f"/api/v1/charge-orders/{body['order_no']}").status_code == 404
