"""Issue 17 over HTTP: publishing warns (``warnings``) when another referral campaign pays first or a
one-time grant has more bound members than packages, ``publish-check`` says so before, with the cost
exposure; same-type registration campaigns stack; drafts are deleted (204), nothing else (409)."""

from __future__ import annotations

from evperks.services import audit
from evperks.services.campaigns import binding
from tests.api.conftest import local

BASE = "/api/v1/admin/campaigns"
WINDOW = {"start_at": "2026-03-10T08:00:00+08:00", "end_at": "2026-04-10T00:00:00+08:00", "rules_text": "规则"}


def _draft(api, **fields) -> dict:
    response = api.admin("POST", BASE, json={**WINDOW, "total_packages": 100, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def _referral(api, template_id: int, **fields) -> dict:
    return _draft(api, type="referral", name=fields.pop("name", "拉新"),
                  reward=[{"template_id": template_id, "quantity": 1}], **fields)


def _publish(api, campaign_id: int) -> dict:
    response = api.admin("POST", f"{BASE}/{campaign_id}/publish")
    assert response.status_code == 200, response.text
    return response.json()


def _codes(answer: dict) -> list[tuple[str, object]]:
    return [(w["code"], w["params"].get("id")) for w in answer["warnings"]]


def test_a_second_referral_campaign_covered_by_an_older_one_is_published_with_a_warning_and_only_the_older_pays(api):
    api.set_clock(local(2026, 3, 10, 9))
    api.station()
    template = api.template()
    older = _referral(api, template["id"], name="老拉新")
    assert _publish(api, older["id"])["warnings"] == []
    newer = _referral(api, template["id"], name="新拉新", start_at="2026-03-11T00:00:00+08:00")

    check = api.admin("GET", f"{BASE}/{newer['id']}/publish-check").json()
    assert _codes(check) == [("campaign.never_pays", older["id"])]
    assert check["warnings"][0]["params"]["name"] == "老拉新"
    published = _publish(api, newer["id"])
    assert published["status"] == "scheduled" and _codes(published) == [("campaign.never_pays", older["id"])]

    api.set_clock(local(2026, 3, 12, 12))
    inviter = api.member()
    invitee = api.member(invite_code=inviter["invite_code"])
    rewards = api.settle(api.order(invitee["id"])).json()["rewards"]
    assert [r["campaign_id"] for r in rewards] == [older["id"]]
    stats = api.admin("GET", f"{BASE}/{newer['id']}/stats").json()
    assert stats["packages_given"] == 0


def test_an_older_campaign_with_bound_inviters_only_partly_outranks_and_an_older_draft_warns_it_will_pay_first(api):
    api.set_clock(local(2026, 3, 10, 9))
    template = api.template()
    member = api.member()
    older_draft = _referral(api, template["id"], name="旧草稿")
    bound = _referral(api, template["id"], name="只限会员")
    api.admin("POST", f"{BASE}/{bound['id']}/members", json={"member_ids": [member["id"]]})
    _publish(api, bound["id"])
    open_to_all = _referral(api, template["id"], name="全员")

    assert _codes(_publish(api, open_to_all["id"])) == [("campaign.pays_after", bound["id"])]
    assert _codes(_publish(api, older_draft["id"])) == [("campaign.outranks", bound["id"]),
                                                        ("campaign.outranks", open_to_all["id"])]


def test_referral_campaigns_that_do_not_overlap_and_campaigns_of_other_types_publish_without_warnings(api):
    api.set_clock(local(2026, 3, 10, 9))
    template = api.template()
    first = _referral(api, template["id"], end_at="2026-03-20T00:00:00+08:00")
    _publish(api, first["id"])
    later = _referral(api, template["id"], start_at="2026-03-20T00:00:00+08:00")
    assert _publish(api, later["id"])["warnings"] == []

    reward = [{"template_id": template["id"], "quantity": 1}]
    registrations = [_draft(api, type="registration", name=f"注册{n}", reward=reward) for n in range(2)]
    assert [_publish(api, c["id"])["warnings"] for c in registrations] == [[], []]
    newcomer = api.member()  # registration campaigns stack: both pay
    assert len(api.vouchers(newcomer["id"])) == 2


def test_a_grant_short_of_packages_is_checked_published_with_the_shortfall_and_the_skipped_are_the_last_bound(api):
    api.set_clock(local(2026, 3, 10, 9))
    ten, five = api.template(face_value_fen=1000), api.template(name="5元券", face_value_fen=500)
    members = [api.member()["id"] for _ in range(5)]
    grant = _draft(api, type="one_time", name="回馈", total_packages=2, issue_at="2026-03-11T10:00:00+08:00",
                   reward=[{"template_id": ten["id"], "quantity": 2}, {"template_id": five["id"], "quantity": 1}])
    api.admin("POST", f"{BASE}/{grant['id']}/members", json={"member_ids": members})

    check = api.admin("GET", f"{BASE}/{grant['id']}/publish-check").json()
    assert {k: v for k, v in check.items() if k != "warnings"} == {
        "bound_members": 5, "total_packages": 2, "packages_to_give": 2, "shortfall": 3,
        "package_value_fen": 2500, "exposure_fen": 5000}
    assert [(w["code"], w["params"]) for w in check["warnings"]] == [
        ("campaign.packages_short", {"bound": 5, "packages": 2, "shortfall": 3})]
    assert _publish(api, grant["id"])["warnings"] == check["warnings"]

    api.set_clock(local(2026, 3, 11, 10))
    api.admin("POST", "/api/v1/sandbox/tick")
    assert [len(api.vouchers(m)) for m in members] == [3, 3, 0, 0, 0]
    skipped = binding.list_skipped(api.ctx, grant["id"], limit=2)
    assert [m["member_id"] for m in skipped["items"]] == members[2:4]
    rest = binding.list_skipped(api.ctx, grant["id"], limit=2, cursor=skipped["next_cursor"])
    assert [m["member_id"] for m in rest["items"]] == members[4:] and rest["next_cursor"] is None
    assert binding.count_skipped(api.ctx, grant["id"]) == 3


def test_a_grant_with_enough_packages_checks_without_warning_and_a_tiered_campaign_counts_its_richest_tier(api):
    api.set_clock(local(2026, 3, 10, 9))
    ten = api.template(face_value_fen=1000)
    member = api.member()
    grant = _draft(api, type="one_time", name="回馈", total_packages=3, reward=[{"template_id": ten["id"], "quantity": 1}])
    api.admin("POST", f"{BASE}/{grant['id']}/members", json={"member_ids": [member["id"]]})
    check = api.admin("GET", f"{BASE}/{grant['id']}/publish-check").json()
    assert (check["warnings"], check["shortfall"], check["packages_to_give"], check["exposure_fen"]) == ([], 0, 1, 1000)

    tiers = [{"min_amount_fen": 10000, "reward": [{"template_id": ten["id"], "quantity": 1}]},
             {"min_amount_fen": 20000, "reward": [{"template_id": ten["id"], "quantity": 3}]}]
    recharge = _draft(api, type="recharge", name="充值送", total_packages=10, tiers=tiers)
    check = api.admin("GET", f"{BASE}/{recharge['id']}/publish-check").json()
    assert {k: check[k] for k in ("bound_members", "packages_to_give", "package_value_fen", "exposure_fen")} == {
        "bound_members": None, "packages_to_give": None, "package_value_fen": 3000, "exposure_fen": 30000}
    assert api.admin("GET", f"{BASE}/999/publish-check").status_code == 404


def test_a_draft_is_deleted_with_its_bound_members_and_audited_but_a_published_campaign_is_not(api):
    api.set_clock(local(2026, 3, 10, 9))
    template = api.template()
    member = api.member()
    draft = _draft(api, type="one_time", name="草稿", reward=[{"template_id": template["id"], "quantity": 1}])
    api.admin("POST", f"{BASE}/{draft['id']}/members", json={"member_ids": [member["id"]]})

    deleted = api.admin("DELETE", f"{BASE}/{draft['id']}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert api.admin("GET", f"{BASE}/{draft['id']}").status_code == 404
    assert api.admin("GET", f"{BASE}/{draft['id']}/members").status_code == 404
    assert api.admin("DELETE", f"{BASE}/{draft['id']}").status_code == 404
    entry = audit.list_entries(api.ctx, action="delete")["items"][0]
    assert (entry["target_type"], entry["target_id"], entry["actor"]) == ("campaign", str(draft["id"]), "api")
    assert entry["before"]["name"] == "草稿" and entry["after"] is None

    running = _referral(api, template["id"])
    _publish(api, running["id"])
    refused = api.admin("DELETE", f"{BASE}/{running['id']}")
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "status"
    assert api.admin("GET", f"{BASE}/{running['id']}").json()["status"] == "active"
