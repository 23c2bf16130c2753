"""The console shows whatever campaign types are registered: a type added in the tests alone (one module's
facts and one registry line, no web code) is offered by 创建活动, gets its form and is a filter of the list."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from evperks.domain.campaign_rules import check_reward, no_tiers
from evperks.services.campaigns.types import CAMPAIGN_TYPES
from tests.api.test_console_session_api import sign_in

BIRTHDAY = SimpleNamespace(
    NAME="birthday",
    TIER_KEY=None,
    USES_MEMBERS=False,
    REQUIRES_MEMBERS=False,
    BINDING_WHILE_ACTIVE=False,
    validate=lambda draft: check_reward(draft.reward, "reward") + no_tiers(draft),
    LABEL="Birthday campaign",
    DESCRIPTION="Members get the vouchers on their birthday.",
    AMOUNTS_IN=None,
    TIER_LABEL=None,
    GRANTS_AT_ISSUE_AT=False,
    ACCUMULATES=False,
    BINDING_HINT="Birthday campaigns are open to every member and bind nobody.",
    H5_LABEL="Birthday gift",
    H5_RANK=5,
    H5_LINK=None,
)


@pytest.fixture
def birthday(monkeypatch):
    monkeypatch.setitem(CAMPAIGN_TYPES, BIRTHDAY.NAME, BIRTHDAY)


def test_a_type_registered_in_the_tests_is_offered_by_the_type_chooser_with_its_description(api, birthday):
    sign_in(api, "alice", "admin")
    page = api.client.get("/admin/campaigns/new").text
    assert 'href="/admin/campaigns/new?type=birthday"' in page
    assert "Birthday campaign" in page and "Members get the vouchers on their birthday." in page
    assert "拉新活动" in page  # the five others are still there


def test_a_type_registered_in_the_tests_gets_the_form_its_facts_describe(api, birthday):
    sign_in(api, "alice", "admin")
    response = api.client.get("/admin/campaigns/new?type=birthday")
    assert response.status_code == 200
    page = response.text
    assert "Birthday campaign" in page
    assert 'action="/admin/campaigns/new?type=birthday"' in page
    assert 'name="reward.0.template_id"' in page  # one package, no tiers
    assert 'name="tiers.0.amount"' not in page and 'name="issue_at"' not in page and 'name="metric"' not in page


def test_a_type_registered_in_the_tests_is_a_filter_of_the_campaign_list(api, birthday):
    sign_in(api, "alice", "admin")
    page = api.client.get("/admin/campaigns?type=birthday").text
    assert '<option value="birthday" selected>Birthday campaign</option>' in page
