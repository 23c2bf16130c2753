"""The points mall over HTTP: admins keep items (refusing bad ones by field), the platform lists what
members can exchange and exchanges for them; parallel exchanges never oversell; refusals change nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.api.conftest import local

ITEMS = "/api/v1/admin/mall/items"


@pytest.fixture
def mall(api):
    api.set_clock(local(2026, 3, 12, 12))
    return Mall(api)


class Mall:
    def __init__(self, api) -> None:
        self.api = api
        self.ten = api.template(name="10元券", face_value_fen=1000)["id"]
        self.five = api.template(name="5元券", face_value_fen=500)["id"]

    def create(self, **fields) -> dict:
        body = {"name": "充电券礼包", "reward": [{"template_id": self.ten, "quantity": 1},
                                            {"template_id": self.five, "quantity": 2}],
                "points_price": 100, "stock": 5, "per_member_limit": 1, **fields}
        response = self.api.admin("POST", ITEMS, json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def refused(self, method: str, path: str, body: dict) -> dict:
        response = self.api.admin(method, path, json=body)
        assert response.status_code == 422, response.text
        return {e["field"]: e["code"] for e in response.json()["errors"]}

    def member_with_points(self, points: int) -> str:
        member_id = self.api.member()["id"]
        if points:
            response = self.api.admin("POST", f"/api/v1/admin/members/{member_id}/points",
                                      json={"points": points, "reason": "种子"})
            assert response.status_code == 201, response.text
        return member_id

    def exchange(self, member_id: str, exchange_no: str, item_id: int):
        return self.api.platform("POST", f"/api/v1/members/{member_id}/points/exchanges",
                                 json={"exchange_no": exchange_no, "item_id": item_id})

    def observed(self, member_id: str, item_id: int) -> tuple:
        """(points balance, the points ledger, the member's vouchers, the item's stock left)."""
        member = self.api.platform("GET", f"/api/v1/members/{member_id}").json()
        ledger = self.api.platform("GET", f"/api/v1/members/{member_id}/points/ledger").json()["items"]
        item = self.api.admin("GET", f"{ITEMS}/{item_id}").json()
        return member["points_balance"], ledger, self.api.vouchers(member_id), item["stock_left"]


def test_an_item_is_created_read_listed_and_changed(mall):
    created = mall.create(start_at="2026-03-12T00:00:00", end_at="2026-04-01T00:00:00+08:00")
    assert created["stock_left"] == 5 and created["exchanges"] == 0
    assert created["start_at"].startswith("2026-03-12T00:00:00")
    assert mall.api.admin("GET", f"{ITEMS}/{created['id']}").json() == created
    assert [i["id"] for i in mall.api.admin("GET", ITEMS).json()["items"]] == [created["id"]]
    changed = mall.api.admin("PATCH", f"{ITEMS}/{created['id']}",
                             json={"stock": 8, "per_member_limit": None, "enabled": False}).json()
    assert (changed["stock"], changed["stock_left"], changed["per_member_limit"], changed["enabled"]) == (8, 8, None, False)
    assert mall.api.admin("GET", ITEMS, params={"enabled": "true"}).json()["items"] == []


def test_invalid_items_are_refused_naming_each_field(mall):
    body = {"name": " ", "reward": [], "points_price": 0, "stock": -1, "per_member_limit": 0,
            "start_at": "2026-03-13T00:00:00", "end_at": "2026-03-12T00:00:00"}
    assert mall.refused("POST", ITEMS, body) == {"name": "string_too_short"}  # the schema refuses it first
    body["name"] = "礼包"
    assert mall.refused("POST", ITEMS, body) == {
        "reward": "campaign.reward_empty", "points_price": "mall.price_not_positive",
        "stock": "mall.stock_out_of_range", "per_member_limit": "mall.limit_not_positive",
        "end_at": "mall.end_before_start",
    }
    assert mall.api.admin("GET", ITEMS).json()["items"] == []


def test_a_disabled_or_unknown_template_in_the_reward_is_refused_at_save(mall):
    off = mall.api.template(name="停用券", enabled=False)["id"]
    reward = [{"template_id": mall.ten, "quantity": 1}, {"template_id": off, "quantity": 1},
              {"template_id": 9999, "quantity": 1}]
    errors = mall.refused("POST", ITEMS, {"name": "礼包", "reward": reward, "points_price": 10, "stock": 1})
    assert errors == {"reward.1.template_id": "mall.template_disabled", "reward.2.template_id": "mall.template_missing"}
    item = mall.create()
    assert mall.refused("PATCH", f"{ITEMS}/{item['id']}", {"reward": reward[:2]}) == {
        "reward.1.template_id": "mall.template_disabled"}
    assert mall.refused("PATCH", f"{ITEMS}/{item['id']}", {"reward": [{"template_id": mall.ten, "quantity": 0}]}) == {
        "reward.0.quantity": "campaign.quantity_out_of_range"}


def test_the_stock_cannot_fall_below_what_was_exchanged(mall):
    item = mall.create(per_member_limit=None)
    buyer = mall.member_with_points(1000)
    for n in range(3):
        assert mall.exchange(buyer, f"EX-{n}", item["id"]).status_code == 201
    assert mall.refused("PATCH", f"{ITEMS}/{item['id']}", {"stock": 2}) == {"stock": "mall.stock_below_exchanged"}
    changed = mall.api.admin("PATCH", f"{ITEMS}/{item['id']}", json={"stock": 3}).json()
    assert (changed["stock"], changed["stock_left"], changed["exchanges"]) == (3, 0, 3)


def test_sixteen_parallel_exchanges_by_eight_members_give_exactly_five_one_per_member(mall):
    item = mall.create(stock=5, per_member_limit=1)
    people = [mall.member_with_points(1000) for _ in range(8)]
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda n: (people[n % 8], mall.exchange(people[n % 8], f"EX-{n}", item["id"])),
                                range(16)))
    made = [(person, r.json()) for person, r in answers if r.status_code == 201]
    refused = [r.json()["code"] for _, r in answers if r.status_code != 201]
    assert len(made) == 5 and len({person for person, _ in made}) == 5
    assert set(refused) <= {"mall.out_of_stock", "mall.limit_reached"} and len(refused) == 11
    item_now = mall.api.admin("GET", f"{ITEMS}/{item['id']}").json()
    assert (item_now["stock_left"], item_now["exchanges"]) == (0, 5)
    winners = {person for person, _ in made}
    for person in people:
        balance, _, vouchers, _ = mall.observed(person, item["id"])
        assert (balance, len(vouchers)) == ((900, 3) if person in winners else (1000, 0))


def test_a_repeated_exchange_no_returns_the_first_answer(mall):
    item = mall.create(per_member_limit=None)
    buyer = mall.member_with_points(500)
    first = mall.exchange(buyer, "EX-1", item["id"])
    again = mall.exchange(buyer, "EX-1", item["id"])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert first.json()["points_spent"] == 100 and len(first.json()["voucher_ids"]) == 3
    balance, ledger, vouchers, stock_left = mall.observed(buyer, item["id"])
    assert (balance, len(vouchers), stock_left) == (400, 3, 4)
    other = mall.create(name="另一件")
    reused = mall.exchange(buyer, "EX-1", other["id"])
    assert (reused.status_code, reused.json()["code"]) == (409, "mall.exchange_no_reused")


def test_too_few_points_is_a_409_that_changes_nothing(mall):
    item = mall.create()
    buyer = mall.member_with_points(99)
    before = mall.observed(buyer, item["id"])
    refused = mall.exchange(buyer, "EX-1", item["id"])
    assert refused.status_code == 409
    assert refused.json()["code"] == "mall.points_not_enough"
    assert refused.json()["errors"][0]["params"] == {"price": 100, "available": 99}
    assert mall.observed(buyer, item["id"]) == before
    assert mall.exchange(buyer, "EX-1", item["id"]).status_code == 409  # nothing was stored under EX-1


@pytest.mark.parametrize(("change", "code"), [
    ({"stock": 0}, "mall.out_of_stock"),
    ({"enabled": False}, "mall.item_unavailable"),
    ({"end_at": "2026-03-12T11:00:00"}, "mall.item_unavailable"),
])
def test_an_item_out_of_stock_or_closed_refuses_with_its_own_code(mall, change, code):
    item = mall.create(start_at="2026-03-01T00:00:00")
    assert mall.api.admin("PATCH", f"{ITEMS}/{item['id']}", json=change).status_code == 200
    buyer = mall.member_with_points(1000)
    before = mall.observed(buyer, item["id"])
    refused = mall.exchange(buyer, "EX-1", item["id"])
    assert (refused.status_code, refused.json()["code"]) == (409, code)
    assert mall.observed(buyer, item["id"]) == before


def test_the_limit_refuses_the_second_exchange(mall):
    item = mall.create(per_member_limit=1)
    buyer = mall.member_with_points(1000)
    assert mall.exchange(buyer, "EX-1", item["id"]).status_code == 201
    refused = mall.exchange(buyer, "EX-2", item["id"])
    assert (refused.status_code, refused.json()["code"]) == (409, "mall.limit_reached")


def test_an_unknown_item_or_member_is_a_404(mall):
    buyer = mall.member_with_points(100)
    assert mall.exchange(buyer, "EX-1", 424242).status_code == 404
    assert mall.exchange("nobody", "EX-1", mall.create()["id"]).status_code == 404


def test_the_exchange_is_in_the_ledger_and_the_vouchers_say_the_mall_gave_them(mall):
    item = mall.create()
    buyer = mall.member_with_points(300)
    answer = mall.exchange(buyer, "EX-7", item["id"]).json()
    _, ledger, vouchers, _ = mall.observed(buyer, item["id"])
    assert {k: ledger[0][k] for k in ("points", "kind", "ref", "reason", "balance_after")} == {
        "points": -100, "kind": "exchange", "ref": "EX-7", "reason": "充电券礼包", "balance_after": 200}
    assert sorted(v["id"] for v in vouchers) == answer["voucher_ids"]
    assert {(v["source"]["kind"], v["source"]["reason"]) for v in vouchers} == {("mall", "充电券礼包 · EX-7")}


def test_the_platform_lists_what_members_can_exchange_now_with_their_count(mall):
    open_item = mall.create(per_member_limit=2)
    mall.create(name="已下架", enabled=False)
    mall.create(name="未开始", start_at="2026-03-20T00:00:00")
    mall.create(name="已兑完", stock=0)
    buyer = mall.member_with_points(1000)
    mall.exchange(buyer, "EX-1", open_item["id"])
    listed = mall.api.platform("GET", "/api/v1/mall/items", params={"member_id": buyer}).json()["items"]
    assert [(i["name"], i["stock_left"], i["member_exchanged"]) for i in listed] == [("充电券礼包", 4, 1)]
    assert [(v["name"], v["quantity"], v["face_value_fen"]) for v in listed[0]["vouchers"]] == [
        ("10元券", 1, 1000), ("5元券", 2, 500)]
    anonymous = mall.api.platform("GET", "/api/v1/mall/items").json()["items"]
    assert anonymous[0]["member_exchanged"] is None


def test_the_platform_key_cannot_change_items(mall):
    assert mall.api.platform("POST", ITEMS, json={}).status_code == 403


def test_an_item_giving_a_percent_voucher_lists_its_discount_and_cap_and_exchanges(mall):
    percent = mall.api.template(name="服务费8折券", kind="percent", percent_off=20, max_deduction_fen=300,
                                deduction_type="service_fee", face_value_fen=None)["id"]
    item = mall.create(name="折扣券", reward=[{"template_id": percent, "quantity": 1}])
    listed = mall.api.platform("GET", "/api/v1/mall/items").json()["items"]
    assert [(v["name"], v["kind"], v["face_value_fen"], v["percent_off"], v["max_deduction_fen"])
            for v in listed[0]["vouchers"]] == [("服务费8折券", "percent", None, 20, 300)]
    buyer = mall.member_with_points(500)
    assert mall.exchange(buyer, "EX-P1", item["id"]).status_code == 201
    assert [(v["name"], v["percent_off"]) for v in mall.api.vouchers(buyer)] == [("服务费8折券", 20)]
