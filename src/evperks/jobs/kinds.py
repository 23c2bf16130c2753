"""The job kinds evperks ships with. Add a kind here: a thin handler that calls one service."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from evperks.jobs.cadence import next_boundary_or_local_midnight, next_interval_boundary, next_local_midnight
from evperks.jobs.lease import checkpoint
from evperks.jobs.registry import PeriodicTask, Registry
from evperks.services.campaigns import jobkeys as campaign_jobs
from evperks.services.campaigns.lifecycle import end_due, start_due
from evperks.services.campaigns.notifications import send_countdowns
from evperks.services.campaigns.one_time import run_one_time_grant
from evperks.services.context import Context
from evperks.services.outbox import deliver_webhooks
from evperks.services.points.expiry import run_midnight
from evperks.services.sessions import release_expired
from evperks.services.voucher_expiry import expire_vouchers
from evperks.services.wallet.provider_refunds import sweep_refunds
from evperks.services.wallet.wechat_pay import sweep_recharges

VOUCHER_EXPIRY = "voucher_expiry"
POINTS_MIDNIGHT = "points_midnight"
CAMPAIGN_COUNTDOWN = "campaign_countdown"
WEBHOOK_DELIVERY = "webhook_delivery"
WEBHOOK_DELIVERY_SECONDS = 5
WECHAT_SYNC = "wechat_sync"
WECHAT_SYNC_SECONDS = 60
SESSION_RELEASE = "session_release"
SESSION_RELEASE_MINUTES = 5


def _run_voucher_expiry(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    return {"expired": expire_vouchers(ctx)}


def _next_voucher_expiry(ctx: Context, after: datetime) -> datetime:
    return next_boundary_or_local_midnight(
        after, interval_minutes=ctx.settings.voucher_expiry_interval_minutes, zone=ctx.zone
    )


def _run_campaign_countdown(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    return {"sent": send_countdowns(ctx)}


def _next_campaign_countdown(ctx: Context, after: datetime) -> datetime:
    """Hourly, and at each local 00:00, when a countdown's first day begins."""
    return next_boundary_or_local_midnight(after, interval_minutes=60, zone=ctx.zone)


def _run_webhook_delivery(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    return deliver_webhooks(ctx).as_dict()


def _next_webhook_delivery(ctx: Context, after: datetime) -> datetime:
    """Every few seconds on aligned slots (every node computes the same run_at); hourly while no
    webhook is configured, so an idle task does not fill the jobs table."""
    step = WEBHOOK_DELIVERY_SECONDS if ctx.settings.webhook_url else 3600
    return datetime.fromtimestamp((int(after.timestamp()) // step + 1) * step, UTC)


def _run_wechat_sync(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    if not ctx.settings.wechat_pay_enabled:
        return {"skipped": "WeChat Pay is not configured"}
    return {**sweep_recharges(ctx).as_dict(), **sweep_refunds(ctx).as_dict()}


def _next_wechat_sync(ctx: Context, after: datetime) -> datetime:
    """Every minute on aligned slots with WeChat Pay; hourly otherwise (an idle task)."""
    step = WECHAT_SYNC_SECONDS if ctx.settings.wechat_pay_enabled else 3600
    return datetime.fromtimestamp((int(after.timestamp()) // step + 1) * step, UTC)


def _run_campaign_start(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    return start_due(ctx, payload["campaign_id"]).as_dict()


def _run_campaign_end(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    return end_due(ctx, payload["campaign_id"]).as_dict()


def _run_one_time_grant(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    # Between batches: stop for a shutdown, or when another worker took the run over; the next run
    # resumes after the last committed batch.
    return run_one_time_grant(ctx, payload["campaign_id"], batch_size=ctx.settings.one_time_batch_size,
                              after_batch=lambda _: checkpoint()).as_dict()


def _run_points_midnight(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    return run_midnight(ctx).as_dict()


def _next_points_midnight(ctx: Context, after: datetime) -> datetime:
    """Every local 00:00: every points expiry instant is one, and so is every rule change's."""
    return next_local_midnight(after, ctx.zone)


def _run_session_release(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    return {"cancelled": release_expired(ctx)}


def _next_session_release(ctx: Context, after: datetime) -> datetime:
    """Every few minutes on aligned slots: a session open past hold_hours gives its holds back soon after."""
    return next_interval_boundary(after, minutes=SESSION_RELEASE_MINUTES)


def builtin_registry() -> Registry:
    registry = Registry()
    # Runs scheduled at instants the services choose (a campaign's start, end and issue_at).
    registry.add_kind(campaign_jobs.CAMPAIGN_START, _run_campaign_start)
    registry.add_kind(campaign_jobs.CAMPAIGN_END, _run_campaign_end)
    registry.add_kind(campaign_jobs.ONE_TIME_GRANT, _run_one_time_grant)
    # Periodic sweeps. Each runs at once on a fresh database, so whatever is already due is handled.
    for kind, handler, next_run_after in (
        (VOUCHER_EXPIRY, _run_voucher_expiry, _next_voucher_expiry),
        (CAMPAIGN_COUNTDOWN, _run_campaign_countdown, _next_campaign_countdown),
        (WEBHOOK_DELIVERY, _run_webhook_delivery, _next_webhook_delivery),
        (POINTS_MIDNIGHT, _run_points_midnight, _next_points_midnight),
        (WECHAT_SYNC, _run_wechat_sync, _next_wechat_sync),
        (SESSION_RELEASE, _run_session_release, _next_session_release),
    ):
        registry.add_kind(kind, handler)
        registry.add_periodic(PeriodicTask(kind, kind, next_run_after, first_run_immediately=True))
    return registry


@cache
def default_registry() -> Registry:
    return builtin_registry()
