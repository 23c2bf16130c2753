"""Scale-out: two ``evperks serve`` nodes and two ``evperks worker`` processes on one PostgreSQL database
(through PgBouncer in transaction pooling mode when it is installed). Parallel threads register members
(registration and referral campaigns), settle and replay orders, and tick the sandbox clock through a
one-time grant, alternating nodes; then every invariant holds."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from evperks.config import Settings
from evperks.db.database import PGBOUNCER_PARAM
from evperks.db.tables import campaign_packages, campaigns, charge_orders, jobs, vouchers
from evperks.services.access import create_api_key
from evperks.services.campaigns import jobkeys
from evperks.services.context import Context
from tests import factories as f
from tests.conftest import empty_all_tables
from tests.integration.test_campaign_triggers import insert_campaign
from tests.integration.test_worker_processes import insert_members, publish_one_time_grant
from tests.live import free_port
from tests.processes import SRC, evperks_env, start, wait_for, wait_until_serving

pytestmark = pytest.mark.slow
ROOT = Path(SRC).parent
BOUND = 600  # members of the one-time grant
REGISTRATIONS = 40
REGISTRATION_BUDGET = 25
REFERRAL_BUDGET = 6
SETTLERS = 30
ISSUE_AT = f.local(2026, 3, 12, 12)


@pytest.fixture
def shared_url(postgresql_database_url: str) -> Iterator[str]:
    """The test database as the nodes reach it: through a PgBouncer of this test's own when one is
    installed (unless the tests already run through one), else directly."""
    url = make_url(postgresql_database_url)
    if url.query.get(PGBOUNCER_PARAM) or shutil.which("pgbouncer") is None:
        yield postgresql_database_url
        return
    port = free_port()
    # Not under tmp_path: run as root, PgBouncer switches to the postgres user, who cannot enter pytest's.
    workdir = Path(tempfile.mkdtemp(prefix="evperks-pgbouncer-"))
    subprocess.run(["bash", str(ROOT / "scripts" / "pgbouncer"), str(workdir), str(port)], check=True)
    try:
        yield url.set(host="127.0.0.1", port=port).update_query_dict({PGBOUNCER_PARAM: "true"}).render_as_string(
            hide_password=False)
    finally:
        subprocess.run(["kill", (workdir / "pgbouncer.pid").read_text().strip()], check=False)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def pg_ctx(shared_url: str) -> Iterator[Context]:
    context = Context.from_settings(Settings(database_url=shared_url, sandbox=True, scheduler=False))
    empty_all_tables(context.db)
    yield context
    context.db.dispose()


def arrange(ctx: Context) -> dict:
    """Keys, a station, members holding a voucher each, the three campaigns; the clock before issue_at."""
    ctx.clock.move_to(f.local(2026, 3, 10, 9))
    f.station(ctx)
    template = f.template(ctx)
    reward = [{"template_id": template["id"], "quantity": 1}]
    insert_members(ctx, BOUND)
    one_time = publish_one_time_grant(ctx, issue_at=ISSUE_AT, total=BOUND, reward=reward)
    settlers = [f.member(ctx)["id"] for _ in range(SETTLERS)]
    held = {member: f.give(ctx, member, template["id"])[0] for member in settlers}
    registration = insert_campaign(ctx, type="registration", total=REGISTRATION_BUDGET, reward=reward)
    referral = insert_campaign(ctx, type="referral", total=REFERRAL_BUDGET, reward=reward)
    return {
        "platform": create_api_key(ctx, name="platform", role="platform"),
        "admin": create_api_key(ctx, name="admin", role="admin"),
        "one_time": one_time, "registration": registration, "referral": referral, "held": held,
        "inviter": f.member(ctx)["invite_code"],
    }


def order(member: str, n: int, voucher_id: int | None) -> dict:
    return {"order_no": f"MN-{member}-{n}", "member_id": member, "station_id": "S1",
            "start_time": "2026-03-12T10:00:00+08:00", "end_time": "2026-03-12T11:00:00+08:00",
            "energy_kwh": "20.5", "elec_fee_fen": 2000, "service_fee_fen": 800, "voucher_id": voucher_id}


def test_two_nodes_and_two_workers_on_one_database_keep_every_invariant(
    pg_ctx: Context, shared_url: str, tmp_path: Path
) -> None:
    ctx = pg_ctx
    setup = arrange(ctx)
    env = evperks_env(shared_url, sandbox="1", job_lease_seconds="5", scheduler_interval_seconds="0.1",
                      one_time_batch_size="50", h5_link_secret="multi-node-test", log_level="INFO")
    ports = [free_port(), free_port()]
    with ExitStack() as stack:
        processes = [start(["serve", "--port", str(port)], env, tmp_path / f"node{port}.log") for port in ports]
        processes += [start(["worker"], env, tmp_path / f"worker{n}.log") for n in range(2)]
        stack.callback(stop_all, processes)
        nodes = [f"http://127.0.0.1:{port}" for port in ports]
        for node, process in zip(nodes, processes, strict=False):
            wait_until_serving(node, process)
        clients = [stack.enter_context(httpx.Client(base_url=node, timeout=60)) for node in nodes]
        platform = {"Authorization": f"Bearer {setup['platform']}"}
        admin = {"Authorization": f"Bearer {setup['admin']}"}
        assert clients[0].put("/api/v1/sandbox/clock", json={"now": ISSUE_AT.isoformat()},
                              headers=admin).status_code == 200

        def register(n: int) -> httpx.Response:
            body = {"phone": f"136{n:08d}"} | ({"invite_code": setup["inviter"]} if n % 2 else {})
            return clients[n % 2].post("/api/v1/members", json=body, headers=platform)

        def settle(job: tuple[int, dict]) -> httpx.Response:
            n, body = job
            return clients[n % 2].post("/api/v1/charge-orders", json=body, headers=platform)

        def tick(n: int) -> httpx.Response:
            return clients[n % 2].post("/api/v1/sandbox/tick", headers=admin)

        held = setup["held"]
        # Each settler's voucher is named by two different orders sent to different nodes: one may use it.
        rival_orders = [order(member, k, voucher) for member, voucher in held.items() for k in (1, 2)]
        with ThreadPoolExecutor(12) as pool:
            registered = pool.map(register, range(REGISTRATIONS))
            settled = pool.map(settle, enumerate(rival_orders))
            ticks = pool.map(tick, range(8))
            registered, settled, ticks = list(registered), list(settled), list(ticks)

        assert [r.status_code for r in registered] == [201] * REGISTRATIONS
        assert {r.status_code for r in ticks} == {200}
        outcomes = Counter(r.status_code for r in settled)
        assert outcomes == {201: SETTLERS, 409: SETTLERS}
        invitees = [r.json()["id"] for r in registered if r.json()["invited_by"]]
        first_settlements = [order(member, 1, None) for member in invitees]
        with ThreadPoolExecutor(8) as pool:
            settled_invitees = list(pool.map(settle, enumerate(first_settlements)))
        assert {r.status_code for r in settled_invitees} == {201}

        accepted = [(body, r.json()) for body, r in zip(rival_orders, settled, strict=True) if r.status_code == 201]
        accepted += [(body, r.json()) for body, r in zip(first_settlements, settled_invitees, strict=True)]
        with ThreadPoolExecutor(8) as pool:
            replays = list(pool.map(lambda item: clients[1 - item[0] % 2].post(
                "/api/v1/charge-orders", json=item[1][0], headers=platform), enumerate(accepted)))
        assert [(r.status_code, r.json()) for r in replays] == [(200, first) for _, first in accepted]

        wait_for(lambda: one_time_grant_done(ctx), "the one-time grant finished on some node")
        stop_all(processes)

    with ctx.db.read() as conn:
        budgets = conn.execute(select(campaigns.c.id, campaigns.c.packages_given, campaigns.c.total_packages)).all()
        packages = dict(conn.execute(
            select(campaign_packages.c.campaign_id, func.count()).group_by(campaign_packages.c.campaign_id)).all())
        one_time_members = conn.execute(
            select(campaign_packages.c.member_id, func.count()).where(campaign_packages.c.campaign_id == setup["one_time"])
            .group_by(campaign_packages.c.member_id)).all()
        voucher_uses = conn.execute(
            select(charge_orders.c.voucher_id, func.count()).where(charge_orders.c.voucher_id.is_not(None))
            .group_by(charge_orders.c.voucher_id)).all()
        used = conn.execute(select(vouchers.c.id).where(vouchers.c.status == "used")).scalars().all()
        running = conn.execute(select(func.count()).select_from(jobs).where(jobs.c.status == "running")).scalar_one()

    assert all(given <= total and given == packages.get(cid, 0) for cid, given, total in budgets)
    assert packages[setup["registration"]] == REGISTRATION_BUDGET
    assert packages[setup["referral"]] == REFERRAL_BUDGET
    assert len(one_time_members) == BOUND and {count for _, count in one_time_members} == {1}
    assert {count for _, count in voucher_uses} == {1}
    assert sorted(v for v, _ in voucher_uses) == sorted(used) == sorted(held.values())
    assert running == 0
    check = subprocess.run([sys.executable, "-m", "evperks", "check"], env=env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr


def one_time_grant_done(ctx: Context) -> bool:
    with ctx.db.read() as conn:
        return conn.execute(select(jobs.c.status).where(jobs.c.kind == jobkeys.ONE_TIME_GRANT)).scalar_one() == "done"


def stop_all(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

