"""Points mall exchanges on both engines: stock and per-member limits exact under parallel exchanges,
idempotency by exchange_no, and refusals that change nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from evperks.db.tables import members, vouchers
from evperks.db.tables_mall import points_exchanges
from evperks.domain.mall import ItemSpec
from evperks.services import mall, points
from evperks.services.errors import Conflict
from evperks.services.vouchers import list_member_vouchers
from tests import factories as f


@pytest.fixture
def shop(ctx):
    ctx.clock.move_to(f.local(2026, 3, 12, 12))
    return {"ten": f.template(ctx, 1000)["id"], "five": f.template(ctx, 500)["id"]}


def item(ctx, shop, **fields) -> dict:
    spec = ItemSpec(**{"name": "充电券礼包", "reward": ((shop["ten"], 1), (shop["five"], 2)), "points_price": 100,
                       "stock": 5, "per_member_limit": 1, **fields})
    return mall.create_item(ctx, spec)


def member_with_points(ctx, amount: int) -> str:
    member_id = f.member(ctx)["id"]
    if amount:
        points.adjust(ctx, member_id=member_id, points=amount, reason="seed")
    return member_id


def state(ctx, member_id: str, item_id: int) -> tuple[int, int, int, int]:
    """(points balance, the item's stock left, the member's vouchers, the member's exchanges)."""
    with ctx.db.read() as conn:
        balance = conn.execute(select(members.c.points_balance).where(members.c.id == member_id)).scalar_one()
        voucher_count = conn.execute(select(func.count()).where(vouchers.c.member_id == member_id)).scalar_one()
        exchanges = conn.execute(select(func.count()).where(points_exchanges.c.member_id == member_id)).scalar_one()
    return balance, mall.get_item(ctx, item_id)["stock_left"], voucher_count, exchanges


def test_sixteen_parallel_exchanges_by_eight_members_give_the_stock_of_five_once_per_member(ctx, shop):
    offered = item(ctx, shop, stock=5, per_member_limit=1)
    people = [member_with_points(ctx, 1000) for _ in range(8)]

    def attempt(n: int):
        try:
            return mall.exchange(ctx, member_id=people[n % 8], exchange_no=f"EX-{n}", item_id=offered["id"])[0]
        except Conflict as exc:
            return exc

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(attempt, range(16)))
    done = [a for a in answers if not isinstance(a, Conflict)]
    assert len(done) == 5
    winners = [people[int(a["exchange_no"].removeprefix("EX-")) % 8] for a in done]
    assert len(set(winners)) == 5
    assert {a.code for a in answers if isinstance(a, Conflict)} <= {"mall.out_of_stock", "mall.limit_reached"}
    assert mall.get_item(ctx, offered["id"])["stock_left"] == 0
    assert mall.get_item(ctx, offered["id"])["exchanges"] == 5
    for person in people:
        balance, _, voucher_count, exchanges = state(ctx, person, offered["id"])
        assert (balance, voucher_count) == ((900, 3) if person in winners else (1000, 0))
        assert exchanges == (1 if person in winners else 0)
    assert points.reconcile_points(ctx) == []


def test_one_member_exchanging_in_parallel_never_passes_the_limit(ctx, shop):
    offered = item(ctx, shop, stock=50, per_member_limit=3)
    person = member_with_points(ctx, 10_000)

    def attempt(n: int):
        try:
            return mall.exchange(ctx, member_id=person, exchange_no=f"ONE-{n}", item_id=offered["id"])[0]
        except Conflict as exc:
            return exc

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(attempt, range(10)))
    assert sum(not isinstance(a, Conflict) for a in answers) == 3
    assert state(ctx, person, offered["id"]) == (9700, 47, 9, 3)


def test_a_repeated_exchange_no_returns_the_first_answer_and_spends_nothing_more(ctx, shop):
    offered = item(ctx, shop, per_member_limit=None)
    person = member_with_points(ctx, 500)
    first, created = mall.exchange(ctx, member_id=person, exchange_no="EX-1", item_id=offered["id"])
    again, created_again = mall.exchange(ctx, member_id=person, exchange_no="EX-1", item_id=offered["id"])
    assert (created, created_again) == (True, False)
    assert again == first
    assert first["points_spent"] == 100 and len(first["voucher_ids"]) == 3
    assert state(ctx, person, offered["id"]) == (400, 4, 3, 1)


def test_the_same_exchange_no_for_another_item_is_a_conflict(ctx, shop):
    one, other = item(ctx, shop), item(ctx, shop, name="另一件")
    person = member_with_points(ctx, 500)
    mall.exchange(ctx, member_id=person, exchange_no="EX-1", item_id=one["id"])
    with pytest.raises(Conflict) as refused:
        mall.exchange(ctx, member_id=person, exchange_no="EX-1", item_id=other["id"])
    assert refused.value.code == "mall.exchange_no_reused"
    assert state(ctx, person, other["id"]) == (400, 5, 3, 1)


@pytest.mark.parametrize(("setup", "code"), [
    ({"points": 99}, "mall.points_not_enough"),
    ({"stock": 0}, "mall.out_of_stock"),
    ({"enabled": False}, "mall.item_unavailable"),
    ({"start_at": f.local(2026, 3, 13)}, "mall.item_unavailable"),
    ({"end_at": f.local(2026, 3, 12, 11)}, "mall.item_unavailable"),
])
def test_a_refused_exchange_changes_nothing(ctx, shop, setup, code):
    fields = dict(setup)  # the parameter is shared by both engines' runs: never change it
    person = member_with_points(ctx, fields.pop("points", 1000))
    offered = item(ctx, shop, **fields)
    before = state(ctx, person, offered["id"])
    with pytest.raises(Conflict) as refused:
        mall.exchange(ctx, member_id=person, exchange_no="EX-1", item_id=offered["id"])
    assert refused.value.code == code
    assert state(ctx, person, offered["id"]) == before
    assert points.list_ledger(ctx, member_id=person)["items"][0]["kind"] == "grant"


def test_the_second_exchange_over_the_limit_is_refused_and_changes_nothing(ctx, shop):
    offered = item(ctx, shop, per_member_limit=1)
    person = member_with_points(ctx, 1000)
    mall.exchange(ctx, member_id=person, exchange_no="EX-1", item_id=offered["id"])
    with pytest.raises(Conflict) as refused:
        mall.exchange(ctx, member_id=person, exchange_no="EX-2", item_id=offered["id"])
    assert refused.value.code == "mall.limit_reached"
    assert state(ctx, person, offered["id"]) == (900, 4, 3, 1)


def test_the_exchange_is_in_the_points_ledger_and_the_vouchers_say_they_came_from_the_mall(ctx, shop):
    offered = item(ctx, shop)
    person = member_with_points(ctx, 300)
    answer, _ = mall.exchange(ctx, member_id=person, exchange_no="EX-9", item_id=offered["id"])
    entry = points.list_ledger(ctx, member_id=person)["items"][0]
    assert (entry["kind"], entry["points"], entry["ref"], entry["reason"]) == ("exchange", -100, "EX-9", "充电券礼包")
    issued = list_member_vouchers(ctx, member_id=person)["items"]
    assert sorted(v["id"] for v in issued) == answer["voucher_ids"]
    assert sorted(v["face_value_fen"] for v in issued) == [500, 500, 1000]
    assert {v["source"]["kind"] for v in issued} == {"mall"}
    assert {v["source"]["reason"] for v in issued} == {"充电券礼包 · EX-9"}


def test_points_from_the_lots_that_expire_first_pay_for_an_exchange(ctx, shop):
    from evperks.services.points.settings import put_settings

    put_settings(ctx, expiry={"rule": "per_grant", "years": 1})
    person = f.member(ctx)["id"]
    points.adjust(ctx, member_id=person, points=80, reason="older", granted_at=f.local(2025, 6, 1))
    points.adjust(ctx, member_id=person, points=80, reason="newer", granted_at=f.local(2026, 3, 1))
    offered = item(ctx, shop)
    mall.exchange(ctx, member_id=person, exchange_no="EX-1", item_id=offered["id"])
    lots = points.member_points(ctx, person)["lots"]
    assert [(lot["points"], lot["remaining"]) for lot in lots] == [(80, 60)]


def test_points_held_by_an_open_charge_session_cannot_pay_for_an_exchange(ctx, shop):
    from sqlalchemy import update

    offered = item(ctx, shop)
    person = member_with_points(ctx, 150)
    with ctx.db.write() as conn:  # what an open charge session holds (members.points_held)
        conn.execute(update(members).where(members.c.id == person).values(points_held=100))
    assert mall.points_available(ctx, person) == 50
    before = state(ctx, person, offered["id"])
    with pytest.raises(Conflict) as refused:
        mall.exchange(ctx, member_id=person, exchange_no="EX-1", item_id=offered["id"])
    assert (refused.value.code, refused.value.params) == ("mall.points_not_enough", {"price": 100, "available": 50})
    assert state(ctx, person, offered["id"]) == before


def test_one_exchange_no_sent_for_two_members_at_once_exchanges_once(ctx, shop):
    offered = item(ctx, shop, stock=50, per_member_limit=None)
    ann, ben = member_with_points(ctx, 1000), member_with_points(ctx, 1000)

    def attempt(member_id: str, exchange_no: str):
        try:
            return mall.exchange(ctx, member_id=member_id, exchange_no=exchange_no, item_id=offered["id"])
        except Conflict as exc:
            return exc

    with ThreadPoolExecutor(2) as pool:
        for n in range(5):
            answers = list(pool.map(attempt, (ann, ben), (f"SAME-{n}", f"SAME-{n}")))
            assert sorted(type(a).__name__ for a in answers) == ["Conflict", "tuple"]
            assert next(a for a in answers if isinstance(a, Conflict)).code == "mall.exchange_no_reused"
    assert state(ctx, ann, offered["id"])[0] + state(ctx, ben, offered["id"])[0] == 2000 - 5 * 100
    assert mall.get_item(ctx, offered["id"])["exchanges"] == 5
    assert points.reconcile_points(ctx) == []
