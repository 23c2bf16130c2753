"""The job kinds evperks ships with. Add a kind here: a thin handler that calls one service."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from evperks.jobs.cadence import next_voucher_expiry_run
from evperks.jobs.registry import PeriodicTask, Registry
from evperks.services.context import Context
from evperks.services.voucher_expiry import expire_vouchers

VOUCHER_EXPIRY = "voucher_expiry"


def _run_voucher_expiry(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    return {"expired": expire_vouchers(ctx)}


def _next_voucher_expiry(ctx: Context, after: datetime) -> datetime:
    return next_voucher_expiry_run(
        after, interval_minutes=ctx.settings.voucher_expiry_interval_minutes, zone=ctx.zone
    )


def builtin_registry() -> Registry:
    registry = Registry()
    registry.add_kind(VOUCHER_EXPIRY, _run_voucher_expiry)
    registry.add_periodic(
        PeriodicTask(
            task_key=VOUCHER_EXPIRY,
            kind=VOUCHER_EXPIRY,
            next_run_after=_next_voucher_expiry,
            # A sweep: running it on a fresh database expires whatever is already past at once.
            first_run_immediately=True,
        )
    )
    return registry


@cache
def default_registry() -> Registry:
    return builtin_registry()
