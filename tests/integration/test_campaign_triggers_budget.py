"""Property: whatever members register and charge, a campaign never gives more than total_packages,
and every package it gave is whole."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from evperks.db.tables import campaign_packages, campaigns, vouchers
from evperks.services import members
from evperks.services.settlement import settle
from tests import factories as f
from tests.conftest import empty_all_tables
from tests.integration.test_campaign_triggers import insert_campaign, reward_of

register = st.tuples(st.just("register"), st.integers(0, 20))  # invited by the n-th member, if there is one
charge = st.tuples(st.just("charge"), st.integers(0, 20), st.integers(0, 8_000))  # member n charges wh
operations = st.lists(st.one_of(register, charge), min_size=1, max_size=25)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, budgets=st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 4)))
def test_a_campaign_never_gives_more_than_its_total_packages(ctx, ops, budgets):
    empty_all_tables(ctx.db)
    ctx.clock.move_to(f.local(2026, 3, 12, 12))  # the emptied database has no sandbox clock yet
    f.station(ctx)
    registration, referral, consumption = budgets
    package_size = {
        insert_campaign(ctx, type="registration", total=registration, reward=reward_of(ctx, 500, 2)): 2,
        insert_campaign(ctx, type="referral", total=referral, reward=reward_of(ctx, 800)): 1,
        insert_campaign(ctx, type="consumption", total=consumption, metric="energy", tiers=[
            {"threshold": 5_000, "reward": reward_of(ctx, 300)},
            {"threshold": 12_000, "reward": reward_of(ctx, 600, 3)}]): None,
    }
    ids: list[dict] = []
    for op in ops:
        if op[0] == "register":
            inviter = ids[op[1]]["invite_code"] if op[1] < len(ids) else None
            ids.append(members.register_member(ctx, phone=f"135{len(ids):08d}", invite_code=inviter))
        elif ids:
            settle(ctx, f.charge_order(ids[op[1] % len(ids)]["id"], energy_wh=op[2], voucher=None))

    with ctx.db.read() as conn:
        for row in conn.execute(select(campaigns)):
            packages = conn.execute(select(func.count()).select_from(campaign_packages)
                                    .where(campaign_packages.c.campaign_id == row.id)).scalar_one()
            per_package = conn.execute(select(vouchers.c.package_id, func.count()).where(
                vouchers.c.campaign_id == row.id).group_by(vouchers.c.package_id)).all()
            assert packages == row.packages_given <= row.total_packages
            assert len(per_package) == packages
            if package_size[row.id] is not None:
                assert all(n == package_size[row.id] for _, n in per_package)
            else:
                assert all(n in (1, 3) for _, n in per_package)
            assert (row.status == "ended") == (row.packages_given == row.total_packages)
