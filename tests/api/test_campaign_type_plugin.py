"""A sixth campaign type is one module and one registry line: over the HTTP API it is created,
published, and rewards what its module says (``tests/campaign_types/first_charge.py``: 首充)."""

from __future__ import annotations

import pytest

from evperks.services.campaigns.types import CAMPAIGN_TYPES, register
from tests.api.conftest import local
from tests.api.test_console_session_api import sign_in
from tests.campaign_types import first_charge

BASE = "/api/v1/admin/campaigns"


@pytest.fixture
def first_charge_type():
    register(first_charge)
    yield first_charge.NAME
    del CAMPAIGN_TYPES[first_charge.NAME]  # the registry is the process's: leave it as the other tests expect


def _published_first_charge_campaign(api, total_packages: int = 10) -> dict:
    template = api.template()
    draft = api.admin("POST", BASE, json={
        "type": "first_charge", "name": "首充礼", "start_at": "2026-03-11T00:00:00+08:00",
        "end_at": "2026-04-01T00:00:00+08:00", "rules_text": "首次充电送券", "total_packages": total_packages,
        "reward": [{"template_id": template["id"], "quantity": 2}]})
    assert draft.status_code == 201, draft.text
    assert draft.json()["type"] == "first_charge"
    published = api.admin("POST", f"{BASE}/{draft.json()['id']}/publish")
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "active"
    return published.json()


def test_a_registered_sixth_type_is_created_published_and_rewards_a_members_first_charge(api, first_charge_type):
    api.set_clock(local(2026, 3, 12, 12))
    api.station()
    campaign = _published_first_charge_campaign(api)
    member = api.member()
    first = api.settle(api.order(member["id"]))
    second = api.settle(api.order(member["id"]))
    assert first.status_code == 201 and second.status_code == 201, first.text
    (reward,) = first.json()["rewards"]
    assert reward["campaign_id"] == campaign["id"]
    assert sorted(reward["voucher_ids"]) == sorted(v["id"] for v in api.vouchers(member["id"]))
    assert len(reward["voucher_ids"]) == 2
    assert second.json()["rewards"] == []
    stats = api.admin("GET", f"{BASE}/{campaign['id']}/stats").json()
    assert (stats["packages_given"], stats["vouchers_issued"], stats["participants"]) == (1, 2, 1)


def test_campaigns_of_a_registered_type_are_listed_by_it(api, first_charge_type):
    api.set_clock(local(2026, 3, 12, 12))
    campaign = _published_first_charge_campaign(api)
    listed = api.admin("GET", BASE, params={"type": "first_charge"})
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["items"]] == [campaign["id"]]


def test_a_type_nobody_registered_is_refused(api):
    response = api.admin("POST", BASE, json={"type": "first_charge", "name": "首充礼"})
    assert response.status_code == 422
    assert "type" in response.text


# The console shows it too: offered by 创建活动, with the form its facts describe, and a filter of the list.

def test_a_type_registered_in_the_tests_is_offered_by_the_type_chooser_with_its_description(api, first_charge_type):
    sign_in(api, "alice", "admin")
    page = api.client.get("/admin/campaigns/new").text
    assert 'href="/admin/campaigns/new?type=first_charge"' in page
    assert "First-charge campaign" in page and "The first settled charge of a member gets the vouchers." in page
    assert "拉新活动" in page  # the five others are still there


def test_a_type_registered_in_the_tests_gets_the_form_its_facts_describe(api, first_charge_type):
    sign_in(api, "alice", "admin")
    response = api.client.get("/admin/campaigns/new?type=first_charge")
    assert response.status_code == 200
    page = response.text
    assert "First-charge campaign" in page
    assert 'action="/admin/campaigns/new?type=first_charge"' in page
    assert 'name="reward.0.template_id"' in page  # one package, no tiers
    assert 'name="tiers.0.amount"' not in page and 'name="issue_at"' not in page and 'name="metric"' not in page


def test_a_type_registered_in_the_tests_is_a_filter_of_the_campaign_list(api, first_charge_type):
    sign_in(api, "alice", "admin")
    page = api.client.get("/admin/campaigns?type=first_charge").text
    assert '<option value="first_charge" selected>First-charge campaign</option>' in page
