"""Settlement under parallel requests: threads and separate processes, on both engines."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from evperks.config import Settings
from evperks.db.tables import charge_orders, members, vouchers
from evperks.services.context import Context
from evperks.services.errors import Conflict
from evperks.services.settlement import settle
from tests import factories as f

PARALLEL = 16


@pytest.fixture
def member_with_vouchers(ctx: Context):
    ctx.clock.move_to(f.local(2026, 3, 10, 9))
    f.station(ctx)
    member = f.member(ctx)
    template = f.template(ctx)

    def make(quantity: int) -> tuple[str, list[int]]:
        return member["id"], f.give(ctx, member["id"], template["id"], quantity)

    yield make
    ctx.clock.move_to(f.local(2026, 3, 12, 12))


def _run_parallel(calls) -> list:
    def attempt(call):
        try:
            return call()
        except Conflict as exc:
            return exc

    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(attempt, calls))


def _count(ctx: Context, stmt) -> int:
    with ctx.db.read() as conn:
        return conn.execute(stmt).scalar_one()


def test_sixteen_parallel_orders_naming_one_voucher_use_it_exactly_once(ctx, member_with_vouchers):
    member_id, [voucher_id] = member_with_vouchers(1)
    ctx.clock.move_to(f.local(2026, 3, 12, 12))
    orders = [f.charge_order(member_id, voucher=voucher_id) for _ in range(PARALLEL)]
    results = _run_parallel([lambda o=o: settle(ctx, o) for o in orders])
    settled = [r for r in results if not isinstance(r, Conflict)]
    assert len(settled) == 1
    assert all(isinstance(r, Conflict) for r in results if r not in settled)
    assert settled[0][0]["voucher_id"] == voucher_id
    assert _count(ctx, select(func.count()).select_from(charge_orders).where(charge_orders.c.voucher_id == voucher_id)) == 1
    assert _count(ctx, select(func.count()).select_from(charge_orders)) == 1


def test_parallel_auto_orders_share_out_the_vouchers_without_using_any_twice(ctx, member_with_vouchers):
    member_id, voucher_ids = member_with_vouchers(5)
    ctx.clock.move_to(f.local(2026, 3, 12, 12))
    results = _run_parallel([lambda: settle(ctx, f.charge_order(member_id)) for _ in range(PARALLEL)])
    used = [body["voucher_id"] for body, created in results if body["voucher_id"] is not None]
    assert sorted(used) == sorted(voucher_ids)
    assert _count(ctx, select(func.count()).select_from(charge_orders)) == PARALLEL
    assert _count(ctx, select(func.count()).select_from(vouchers).where(vouchers.c.status == "used")) == 5
    with ctx.db.read() as conn:
        assert conn.execute(select(members.c.charge_count).where(members.c.id == member_id)).scalar_one() == PARALLEL


def test_sixteen_parallel_deliveries_of_one_order_settle_it_once(ctx, member_with_vouchers):
    member_id, [voucher_id] = member_with_vouchers(1)
    ctx.clock.move_to(f.local(2026, 3, 12, 12))
    order = f.charge_order(member_id)
    results = _run_parallel([lambda: settle(ctx, order) for _ in range(PARALLEL)])
    assert [created for _, created in results].count(True) == 1
    assert len({str(body) for body, _ in results}) == 1
    assert results[0][0]["voucher_id"] == voucher_id
    with ctx.db.read() as conn:
        assert conn.execute(select(members.c.charge_count).where(members.c.id == member_id)).scalar_one() == 1


def _settle_in_child(database_url: str, member_id: str, orders: int, prefix: str, queue) -> None:
    ctx = Context.from_settings(Settings(database_url=database_url, sandbox=True, scheduler=False))
    used = []
    for i in range(orders):
        body, _ = settle(ctx, f.charge_order(member_id, order_no=f"{prefix}-{i}"))
        used.append(body["voucher_id"])
    queue.put(used)


def test_separate_processes_settling_for_one_member_never_share_a_voucher(ctx, member_with_vouchers, database_url):
    member_id, voucher_ids = member_with_vouchers(10)
    ctx.clock.move_to(f.local(2026, 3, 12, 12))
    spawn = multiprocessing.get_context("spawn")
    queue = spawn.Queue()
    children = [spawn.Process(target=_settle_in_child, args=(database_url, member_id, 6, f"P{n}", queue)) for n in range(4)]
    for child in children:
        child.start()
    used = [v for _ in children for v in queue.get(timeout=120) if v is not None]
    for child in children:
        child.join(timeout=60)
        assert child.exitcode == 0
    assert sorted(used) == sorted(voucher_ids)
    assert _count(ctx, select(func.count()).select_from(charge_orders)) == 24
