"""Voucher expiry: the sweep marks lapsed vouchers, and the job runs at the operator's local midnight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from evperks.config import Settings
from evperks.db.tables import jobs, members, voucher_templates, vouchers
from evperks.jobs.cadence import next_boundary_or_local_midnight
from evperks.jobs.scheduler import run_due
from evperks.services.context import Context
from evperks.services.voucher_expiry import expire_vouchers

SHANGHAI = ZoneInfo("Asia/Shanghai")
ISSUED = datetime(2099, 2, 1, tzinfo=UTC)


@pytest.fixture
def template_id(ctx: Context) -> int:
    with ctx.db.write() as conn:
        conn.execute(
            insert(members).values(
                id="m1", phone="13800000001", invite_code="INV00001", registered_at=ISSUED, created_at=ISSUED
            )
        )
        return conn.execute(
            insert(voucher_templates).values(
                name="5 yuan off",
                face_value_fen=500,
                deduction_type="total",
                station_ids=[],
                validity_type="days",
                validity_days=1,
                created_at=ISSUED,
                updated_at=ISSUED,
            )
        ).inserted_primary_key[0]


def issue(
    ctx: Context, template_id: int, *, valid_until: datetime, status: str = "available", order_no: str | None = None
) -> int:
    with ctx.db.write() as conn:
        return conn.execute(
            insert(vouchers).values(
                member_id="m1",
                template_id=template_id,
                name="5 yuan off",
                face_value_fen=500,
                deduction_type="total",
                station_ids=[],
                min_spend_fen=0,
                valid_from=ISSUED,
                valid_until=valid_until,
                status=status,
                source_kind="admin",
                issued_at=ISSUED,
                used_order_no=order_no,
            )
        ).inserted_primary_key[0]


def statuses(ctx: Context) -> dict[int, str]:
    with ctx.db.read() as conn:
        return dict(conn.execute(select(vouchers.c.id, vouchers.c.status)).all())


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)


def test_expiring_marks_available_vouchers_whose_validity_ended_and_leaves_the_rest(
    ctx: Context, template_id: int
) -> None:
    now = datetime(2099, 3, 1, 16, 0, tzinfo=UTC)
    ctx.clock.move_to(now)
    ended_earlier = issue(ctx, template_id, valid_until=now - timedelta(days=2))
    ends_right_now = issue(ctx, template_id, valid_until=now)
    still_valid = issue(ctx, template_id, valid_until=now + timedelta(seconds=1))
    used = issue(ctx, template_id, valid_until=now - timedelta(days=1), status="used", order_no="O-1")
    revoked = issue(ctx, template_id, valid_until=now - timedelta(days=1), status="revoked")

    assert expire_vouchers(ctx) == 2
    assert expire_vouchers(ctx) == 0
    assert statuses(ctx) == {
        ended_earlier: "expired",
        ends_right_now: "expired",
        still_valid: "available",
        used: "used",
        revoked: "revoked",
    }


def test_the_expiry_job_runs_at_local_midnight_in_shanghai_even_off_its_interval(
    ctx: Context, template_id: int
) -> None:
    # A daily interval falls on 00:00 UTC (08:00 in Shanghai): only the midnight rule expires
    # yesterday's vouchers at 00:00 local time.
    daily = Settings(
        database_url=ctx.settings.database_url,
        sandbox=True,
        scheduler=False,
        timezone="Asia/Shanghai",
        voucher_expiry_interval_minutes=1440,
    )
    shanghai_ctx = Context(db=ctx.db, clock=ctx.clock, settings=daily)
    ctx.clock.move_to(local(2099, 3, 1, 18, 0))
    already_lapsed = issue(ctx, template_id, valid_until=local(2099, 3, 1, 0, 0))
    lapses_tonight = issue(ctx, template_id, valid_until=local(2099, 3, 2, 0, 0))
    lapses_tomorrow_night = issue(ctx, template_id, valid_until=local(2099, 3, 3, 0, 0))

    def expiry_runs() -> list[dict]:
        """What the tick ran of voucher expiry (other periodic tasks run in the same tick)."""
        return [r for r in run_due(shanghai_ctx) if r["kind"] == "voucher_expiry"]

    first_tick = expiry_runs()
    ctx.clock.move_to(local(2099, 3, 1, 23, 59))
    before_midnight = expiry_runs()
    ctx.clock.move_to(local(2099, 3, 2, 0, 0))
    at_midnight = expiry_runs()

    assert [(r["kind"], r["status"], r["result"]) for r in first_tick] == [("voucher_expiry", "done", {"expired": 1})]
    assert before_midnight == []
    assert [(r["run_at"], r["result"]) for r in at_midnight] == [(local(2099, 3, 2, 0, 0).isoformat(), {"expired": 1})]
    assert statuses(ctx) == {
        already_lapsed: "expired",
        lapses_tonight: "expired",
        lapses_tomorrow_night: "available",
    }
    with ctx.db.read() as conn:
        pending = conn.execute(
            select(jobs.c.task_key, jobs.c.run_at).where(jobs.c.status == "pending", jobs.c.kind == "voucher_expiry")
        ).all()
    assert pending == [("voucher_expiry", datetime(2099, 3, 2, 0, 0, tzinfo=UTC))]


@pytest.mark.parametrize(
    ("after", "interval_minutes", "zone", "expected"),
    [
        # hourly at :00 UTC
        (datetime(2099, 3, 1, 10, 17, tzinfo=UTC), 60, "Asia/Shanghai", datetime(2099, 3, 1, 11, 0, tzinfo=UTC)),
        # strictly after: a run at a boundary schedules the following one
        (datetime(2099, 3, 1, 11, 0, tzinfo=UTC), 60, "Asia/Shanghai", datetime(2099, 3, 1, 12, 0, tzinfo=UTC)),
        # local midnight in India (UTC+05:30) is not on the hour in UTC
        (datetime(2099, 3, 1, 18, 10, tzinfo=UTC), 60, "Asia/Kolkata", datetime(2099, 3, 1, 18, 30, tzinfo=UTC)),
        # a 15-minute interval stays on :00/:15/:30/:45
        (datetime(2099, 3, 1, 10, 31, tzinfo=UTC), 15, "Asia/Shanghai", datetime(2099, 3, 1, 10, 45, tzinfo=UTC)),
    ],
)
def test_the_next_expiry_run_is_the_earlier_of_the_next_interval_boundary_and_local_midnight(
    after: datetime, interval_minutes: int, zone: str, expected: datetime
) -> None:
    assert next_boundary_or_local_midnight(after, interval_minutes=interval_minutes, zone=ZoneInfo(zone)) == expected
