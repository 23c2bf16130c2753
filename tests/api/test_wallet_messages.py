"""The wallet_paid message over HTTP: a charge order the wallet pays shows in the member's message centre,
with the order number, the amount and the balance left, in the API's shapes."""

from __future__ import annotations

from tests.api.conftest import local


def _recharged(api, fen: int) -> str:
    member = api.member()["id"]
    created = api.platform("POST", "/api/v1/recharges", json={"order_no": "R-1", "member_id": member, "amount_fen": fen})
    assert created.status_code == 201, created.text
    confirmed = api.platform("POST", "/api/v1/recharges/R-1/confirm", json={"provider_txn_id": "TXN-1"})
    assert confirmed.status_code == 200, confirmed.text
    return member


def test_an_order_the_wallet_pays_puts_a_wallet_paid_message_in_the_message_centre(api):
    api.set_clock(local(2026, 3, 12, 12))
    api.station()
    member = _recharged(api, 2000)
    settled = api.settle(api.order(member, order_no="ORD-PAY", use_wallet=True))
    assert settled.status_code == 201, settled.text
    assert settled.json()["wallet_paid_fen"] == 2000
    listing = api.platform("GET", f"/api/v1/members/{member}/messages", params={"unread": "true"})
    assert listing.status_code == 200, listing.text
    newest = listing.json()["items"][0]
    assert newest["type"] == "wallet_paid"
    assert newest["data"] == {"order_no": "ORD-PAY", "amount_fen": 2000, "wallet_balance_fen": 0}
    assert newest["created_at"].endswith("+08:00")
    assert [m["type"] for m in listing.json()["items"]] == ["wallet_paid", "recharge_credited"]


def test_an_order_paid_without_the_wallet_sends_no_wallet_message(api):
    api.set_clock(local(2026, 3, 12, 12))
    api.station()
    member = _recharged(api, 2000)
    assert api.settle(api.order(member, use_wallet=False)).status_code == 201
    listing = api.platform("GET", f"/api/v1/members/{member}/messages").json()
    assert [m["type"] for m in listing["items"]] == ["recharge_credited"]
