"""The campaign domain without a database: what publishing refuses, what a published campaign may still
change, and the state a campaign is in at an instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from evperks.domain.campaign_rules import check_reward, check_tiers, common_refusals
from evperks.domain.campaigns import Campaign, EndedReason, Status, countdown_starts_at
from evperks.services.campaigns.types import CAMPAIGN_TYPES

NOW = datetime(2026, 3, 10, 1, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
PACKAGE = [{"template_id": 7, "quantity": 1}]


def _campaign(**fields) -> Campaign:
    values = {"type": "registration", "name": "注册有礼", "start_at": NOW + timedelta(days=1),
              "end_at": NOW + timedelta(days=20), "rules_text": "r", "total_packages": 10, "reward": PACKAGE}
    return Campaign(**values | fields)


def _codes(refusals) -> dict[str, str]:
    return {r.field: r.code for r in refusals}


def _publish_refusals(campaign: Campaign) -> dict[str, str]:
    return _codes(common_refusals(campaign, NOW) + CAMPAIGN_TYPES[campaign.type].validate(campaign))


# --- publishing ------------------------------------------------------------------------------------

def test_a_complete_registration_campaign_has_nothing_to_refuse():
    assert _publish_refusals(_campaign()) == {}


def test_an_empty_draft_is_refused_for_every_missing_field_at_once():
    assert _publish_refusals(Campaign(type="one_time")) == {
        "name": "campaign.required", "start_at": "campaign.required", "end_at": "campaign.required",
        "rules_text": "campaign.required", "total_packages": "campaign.required", "reward": "campaign.reward_empty",
    }


def test_an_end_before_the_start_or_in_the_past_and_an_empty_budget_are_refused():
    assert _publish_refusals(_campaign(end_at=NOW + timedelta(hours=1))) == {"end_at": "campaign.end_before_start"}
    assert _publish_refusals(_campaign(start_at=NOW - timedelta(days=2), end_at=NOW)) == {"end_at": "campaign.end_not_future"}
    assert _publish_refusals(_campaign(total_packages=0)) == {"total_packages": "campaign.at_least_one"}


def test_a_package_refuses_quantities_outside_1_to_100_and_a_template_named_twice():
    refusals = check_reward([{"template_id": 1, "quantity": 101}, {"template_id": 1, "quantity": 1}], "reward")
    assert _codes(refusals) == {"reward.0.quantity": "campaign.quantity_out_of_range",
                                "reward.1.template_id": "campaign.template_repeated"}
    assert refusals[0].message == "must be 1 to 100" and refusals[0].params == {"max": 100}


def test_tiers_out_of_order_are_refused_naming_the_key_they_are_sorted_by():
    refusals = check_tiers([{"threshold": 50, "reward": PACKAGE}, {"threshold": 20, "reward": PACKAGE}], "threshold")
    assert [(r.field, r.code, r.params) for r in refusals] == [
        ("tiers.1.threshold", "campaign.tiers_not_ascending", {"key": "threshold"})]
    assert refusals[0].message == "tiers must be sorted ascending by threshold, each one distinct"


def test_a_consumption_campaign_needs_a_metric_and_takes_no_top_level_reward():
    campaign = _campaign(type="consumption", tiers=[{"threshold": 1000, "reward": PACKAGE}])
    assert _publish_refusals(campaign) == {"reward": "campaign.reward_from_tiers", "metric": "campaign.metric_required"}
    assert _publish_refusals(campaign.__class__(**{**campaign.__dict__, "reward": [], "metric": "energy"})) == {}


def test_a_one_time_grant_issued_outside_its_window_is_refused():
    campaign = _campaign(type="one_time", issue_at=NOW + timedelta(days=30))
    assert _publish_refusals(campaign) == {"issue_at": "campaign.issue_at_outside"}


def test_fields_of_other_types_are_refused_by_name():
    campaign = _campaign(tiers=[{"min_amount_fen": 100, "reward": PACKAGE}], metric="energy", issue_at=NOW)
    refusals = _publish_refusals(campaign)
    assert refusals == {"tiers": "campaign.tiers_not_allowed", "metric": "campaign.only_consumption",
                        "issue_at": "campaign.only_one_time"}


def test_only_a_draft_can_be_published_and_only_a_live_campaign_stopped():
    assert _campaign().publish_refusal() is None
    refused = _campaign(status=Status.ACTIVE).publish_refusal()
    assert refused.code == "campaign.not_a_draft" and refused.message == "the campaign is active; only a draft can be published"
    assert _campaign(status=Status.SCHEDULED).stop_refusal() is None
    assert _campaign().stop_refusal().code == "campaign.not_live"
    assert _campaign(status=Status.ENDED).stop_refusal().params == {"status": "ended"}


# --- changing a published campaign -----------------------------------------------------------------

def test_a_published_campaign_takes_new_rules_a_later_end_and_a_larger_budget():
    campaign = _campaign(status=Status.ACTIVE)
    changed = {"rules_text": "新规则", "end_at": campaign.end_at + timedelta(days=1), "total_packages": 20}
    assert campaign.published_change_refusals(changed, NOW) == []
    assert campaign.published_value_refusals(changed) == []


def test_a_published_campaign_refuses_what_would_take_back_a_promise():
    campaign = _campaign(status=Status.SCHEDULED)
    changed = {"reward": [], "end_at": campaign.end_at - timedelta(days=1), "total_packages": 5}
    assert _codes(campaign.published_change_refusals(changed, NOW)) == {
        "reward": "campaign.fixed_once_published", "end_at": "campaign.end_only_later",
        "total_packages": "campaign.total_only_grows"}


def test_a_later_end_that_has_already_passed_is_refused():
    campaign = _campaign(status=Status.ACTIVE, start_at=NOW - timedelta(days=9), end_at=NOW - timedelta(days=1))
    assert _codes(campaign.published_change_refusals({"end_at": NOW}, NOW)) == {"end_at": "campaign.end_not_future"}


def test_an_ended_campaign_refuses_every_change_and_rules_text_cannot_be_emptied():
    ended = _campaign(status=Status.ENDED, ended_reason=EndedReason.STOPPED)
    assert _codes(ended.published_change_refusals({"rules_text": "x"}, NOW)) == {"rules_text": "campaign.ended_unchangeable"}
    assert _codes(_campaign(status=Status.ACTIVE).published_value_refusals({"rules_text": "  "})) == {
        "rules_text": "campaign.required"}


def test_changing_a_drafts_type_or_metric_asks_for_its_tiers_and_reminder_again():
    draft = _campaign(type="consumption", metric="energy", tiers=[{"threshold": 1000, "reward": []}], progress_reminder=5)
    assert _codes(draft.draft_change_refusals({"metric": "amount"})) == {
        "tiers": "campaign.send_again", "progress_reminder": "campaign.send_again"}
    assert draft.draft_change_refusals({"metric": "amount", "tiers": [], "progress_reminder": None}) == []
    assert draft.draft_change_refusals({"name": "x"}) == []
    assert draft.draft_type_refusal({"type": None}).code == "campaign.type_required"


def test_only_the_values_that_differ_count_as_changed():
    campaign = _campaign(status=Status.ACTIVE)
    assert campaign.changed({"rules_text": "r", "total_packages": 11}) == {"total_packages": 11}


# --- its state at an instant -----------------------------------------------------------------------

def test_published_before_its_start_it_is_scheduled_and_after_it_active():
    campaign = _campaign()
    assert campaign.status_when_published(NOW) == Status.SCHEDULED
    assert campaign.status_when_published(campaign.start_at) == Status.ACTIVE


def test_an_active_campaign_runs_from_its_start_until_just_before_its_end():
    campaign = _campaign(status=Status.ACTIVE)
    assert not campaign.runs_at(campaign.start_at - timedelta(microseconds=1))
    assert campaign.runs_at(campaign.start_at)
    assert campaign.runs_at(campaign.end_at - timedelta(microseconds=1))
    assert not campaign.runs_at(campaign.end_at)
    assert not _campaign(status=Status.SCHEDULED).runs_at(campaign.start_at)


def test_a_scheduled_campaign_is_due_to_start_at_its_start_and_a_live_one_due_to_end_at_its_end():
    campaign = _campaign(status=Status.SCHEDULED)
    assert not campaign.due_to_start(NOW) and campaign.due_to_start(campaign.start_at)
    assert not campaign.due_to_end(NOW) and campaign.due_to_end(campaign.end_at)
    assert not _campaign(status=Status.ENDED).due_to_end(campaign.end_at)


def test_members_stop_changing_when_the_campaign_ends_or_its_one_grant_starts():
    referral, one_time, registration = (CAMPAIGN_TYPES[t] for t in ("referral", "one_time", "registration"))
    assert _campaign(type="referral", status=Status.ACTIVE).members_refusal(referral, NOW) is None
    assert _campaign(type="referral", status=Status.ENDED).members_refusal(referral, NOW).code == "campaign.members_closed"
    assert _campaign().members_refusal(registration, NOW).code == "campaign.members_unused"
    grant = _campaign(type="one_time", status=Status.ACTIVE, issue_at=NOW)
    assert grant.members_refusal(one_time, NOW).code == "campaign.grant_started"
    assert grant.members_refusal(one_time, NOW - timedelta(seconds=1)) is None


@pytest.mark.parametrize(("end_at", "days", "starts_at"), [
    (datetime(2026, 3, 31, 16, tzinfo=UTC), 3, datetime(2026, 3, 28, 16, tzinfo=UTC)),  # ends at local 00:00
    (datetime(2026, 3, 31, 4, tzinfo=UTC), 1, datetime(2026, 3, 30, 16, tzinfo=UTC)),   # ends at 12:00: its last day
])
def test_the_countdown_starts_at_midnight_of_the_nth_last_local_day(end_at, days, starts_at):
    assert countdown_starts_at(end_at, days, SHANGHAI) == starts_at


def test_a_stored_row_becomes_a_campaign_with_its_states_as_enums():
    row = {"id": 3, "type": "recharge", "status": "ended", "ended_reason": "exhausted", "reward": None, "tiers": None,
           "packages_given": 4, "name": None, "start_at": None, "end_at": None, "issue_at": None, "rules_text": None,
           "total_packages": 4, "metric": None, "progress_reminder": None, "countdown_days": None, "created_at": NOW}
    campaign = Campaign.from_row(row)
    assert campaign.status is Status.ENDED and campaign.ended_reason is EndedReason.EXHAUSTED
    assert campaign.reward == [] and campaign.tiers == [] and campaign.packages_given == 4
