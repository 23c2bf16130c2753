"""Packages given per local day (the campaign detail's chart): grouped by the operator's calendar day,
every day of the campaign present (zero when nothing was given), on both engines."""

from __future__ import annotations

from datetime import date

import pytest

from evperks.services import members
from evperks.services.campaigns import lifecycle, stats
from evperks.services.errors import NotFound
from tests import factories as f


def _registration_campaign(ctx, **fields) -> int:
    template = f.template(ctx)
    values = {"type": "registration", "name": "注册有礼", "start_at": f.local(2026, 3, 10, 9),
              "end_at": f.local(2026, 3, 20), "rules_text": "注册即送", "total_packages": 100,
              "reward": [{"template_id": template["id"], "quantity": 1}], **fields}
    campaign = lifecycle.create_campaign(ctx, fields=values)
    lifecycle.publish_campaign(ctx, campaign["id"])
    return campaign["id"]


def _register_at(ctx, *instant: int) -> None:
    ctx.clock.move_to(f.local(*instant))
    f.member(ctx)


def test_packages_are_counted_per_local_day_with_empty_days_as_zero(ctx):
    ctx.clock.move_to(f.local(2026, 3, 10, 9))
    campaign_id = _registration_campaign(ctx)
    # 23:59 and 00:01 Shanghai time are the same UTC day (15:59 and 16:01 UTC) but two local days.
    _register_at(ctx, 2026, 3, 10, 23, 59)
    _register_at(ctx, 2026, 3, 11, 0, 1)
    _register_at(ctx, 2026, 3, 11, 18)
    _register_at(ctx, 2026, 3, 13, 8)
    assert stats.packages_given_per_day(ctx, campaign_id) == [
        (date(2026, 3, 10), 1), (date(2026, 3, 11), 2), (date(2026, 3, 12), 0), (date(2026, 3, 13), 1),
    ]
    assert sum(n for _, n in stats.packages_given_per_day(ctx, campaign_id)) == \
        stats.campaign_stats(ctx, campaign_id)["packages_given"]


def test_the_series_keeps_only_the_last_days_asked_for_and_stops_at_the_campaigns_end(ctx):
    ctx.clock.move_to(f.local(2026, 3, 10, 9))
    campaign_id = _registration_campaign(ctx, end_at=f.local(2026, 3, 15))
    _register_at(ctx, 2026, 3, 12, 10)
    ctx.clock.move_to(f.local(2026, 3, 25))  # long after the end: the days stop at 14 March
    series = stats.packages_given_per_day(ctx, campaign_id, days=3)
    assert series == [(date(2026, 3, 12), 1), (date(2026, 3, 13), 0), (date(2026, 3, 14), 0)]


def test_a_draft_or_a_campaign_not_yet_started_has_no_days_and_an_unknown_one_is_not_found(ctx):
    ctx.clock.move_to(f.local(2026, 3, 1))
    draft = lifecycle.create_campaign(ctx, fields={"type": "registration"})
    assert stats.packages_given_per_day(ctx, draft["id"]) == []
    scheduled = _registration_campaign(ctx)
    members.register_member(ctx, phone="13900009999")
    assert stats.packages_given_per_day(ctx, scheduled) == []
    with pytest.raises(NotFound):
        stats.packages_given_per_day(ctx, 999_999)
