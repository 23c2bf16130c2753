"""The admin campaign API: drafts, publishing with every fault named, jobs at exact instants through the
sandbox tick, safe edits, binding by ids and by search, and statistics."""

from __future__ import annotations

from tests.api.conftest import local

BASE = "/api/v1/admin/campaigns"


def _draft(api, **fields):
    response = api.admin("POST", BASE, json=fields)
    assert response.status_code == 201, response.text
    return response.json()


def _one_time(api, template_id, **fields):
    return _draft(api, type="one_time", name="回馈", start_at="2026-03-11T00:00:00", end_at="2026-04-01T00:00:00+08:00",
                  issue_at="2026-03-12T10:00:00+08:00", rules_text="每人一份", total_packages=2,
                  reward=[{"template_id": template_id, "quantity": 2}], **fields)


def test_an_incomplete_draft_is_saved_and_publishing_it_names_every_fault_at_once(api):
    api.set_clock(local(2026, 3, 10, 9))
    draft = _draft(api, type="recharge", tiers=[{"min_amount_fen": 10000, "reward": []}])
    assert (draft["status"], draft["packages_given"], draft["packages_left"]) == ("draft", 0, None)
    response = api.admin("POST", f"{BASE}/{draft['id']}/publish")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"name", "start_at", "end_at", "rules_text", "total_packages", "tiers.0.reward"}


def test_a_draft_needs_a_type(api):
    assert api.admin("POST", BASE, json={"name": "x"}).status_code == 422


def test_publish_then_tick_starts_grants_and_ends_at_the_exact_instants(api):
    api.set_clock(local(2026, 3, 10, 9))
    template = api.template()
    members = [api.member()["id"] for _ in range(3)]
    campaign = _one_time(api, template["id"])
    bound = api.admin("POST", f"{BASE}/{campaign['id']}/members", json={"member_ids": members})
    assert bound.json() == {"bound": 3, "total": 3}
    published = api.admin("POST", f"{BASE}/{campaign['id']}/publish")
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "scheduled"
    assert published.json()["issue_at"] == "2026-03-12T10:00:00+08:00"
    assert api.admin("POST", f"{BASE}/{campaign['id']}/publish").status_code == 409

    api.set_clock(local(2026, 3, 11))
    api.admin("POST", "/api/v1/sandbox/tick")
    assert api.admin("GET", f"{BASE}/{campaign['id']}").json()["status"] == "active"
    api.set_clock(local(2026, 3, 12, 10))
    api.admin("POST", "/api/v1/sandbox/tick")
    assert [len(api.vouchers(m)) for m in members] == [2, 2, 0]
    stats = api.admin("GET", f"{BASE}/{campaign['id']}/stats").json()
    assert stats == {"packages_given": 2, "packages_left": 0, "vouchers_issued": 4, "vouchers_used": 0,
                     "deduction_fen": 0, "participants": 2, "status": "ended", "ended_reason": "exhausted"}


def test_a_registration_campaign_expires_at_its_end_after_a_later_end_was_set(api):
    api.set_clock(local(2026, 3, 10, 9))
    template = api.template()
    campaign = _draft(api, type="registration", name="注册有礼", start_at="2026-03-01T00:00:00+08:00",
                      end_at="2026-03-20T00:00:00+08:00", rules_text="r", total_packages=5,
                      reward=[{"template_id": template["id"], "quantity": 1}])
    assert api.admin("POST", f"{BASE}/{campaign['id']}/publish").json()["status"] == "active"
    patched = api.admin("PATCH", f"{BASE}/{campaign['id']}", json={"end_at": "2026-03-25T00:00:00+08:00", "total_packages": 8})
    assert patched.status_code == 200, patched.text
    assert patched.json()["packages_left"] == 8
    refused = api.admin("PATCH", f"{BASE}/{campaign['id']}", json={"reward": [], "total_packages": 6})
    assert refused.status_code == 409
    assert {e["field"] for e in refused.json()["errors"]} == {"reward", "total_packages"}
    api.set_clock(local(2026, 3, 20))
    api.admin("POST", "/api/v1/sandbox/tick")
    assert api.admin("GET", f"{BASE}/{campaign['id']}").json()["status"] == "active"
    api.set_clock(local(2026, 3, 25))
    api.admin("POST", "/api/v1/sandbox/tick")
    ended = api.admin("GET", f"{BASE}/{campaign['id']}").json()
    assert (ended["status"], ended["ended_reason"]) == ("ended", "expired")
    assert api.admin("PATCH", f"{BASE}/{campaign['id']}", json={"rules_text": "x"}).status_code == 409


def test_stop_ends_a_campaign_and_refuses_a_draft(api):
    api.set_clock(local(2026, 3, 10, 9))
    campaign = _draft(api, type="referral")
    assert api.admin("POST", f"{BASE}/{campaign['id']}/stop").status_code == 409
    assert api.admin("POST", f"{BASE}/999999/stop").status_code == 404


def test_binding_all_results_of_a_search_lists_them_in_binding_order_and_unbinds(api):
    api.set_clock(local(2026, 3, 10, 9))
    vip = [api.member(tags=["vip"], registered_at=f"2026-01-0{d}T10:00:00+08:00")["id"] for d in (3, 1, 2)]
    api.member()
    campaign = _draft(api, type="consumption", metric="energy", tiers=[{"threshold": "12.5", "reward": []}])
    assert campaign["tiers"][0]["threshold"] == "12.500"
    bound = api.admin("POST", f"{BASE}/{campaign['id']}/members", json={"filter": {"tag": "vip"}})
    assert bound.json() == {"bound": 3, "total": 3}
    page = api.admin("GET", f"{BASE}/{campaign['id']}/members", params={"limit": 2}).json()
    assert [m["member_id"] for m in page["items"]] == [vip[1], vip[2]]
    rest = api.admin("GET", f"{BASE}/{campaign['id']}/members", params={"cursor": page["next_cursor"]}).json()
    assert [m["member_id"] for m in rest["items"]] == [vip[0]] and rest["next_cursor"] is None
    unbound = api.admin("DELETE", f"{BASE}/{campaign['id']}/members", json={"member_ids": [vip[0]]})
    assert unbound.json() == {"unbound": 1, "total": 2}
    unknown = api.admin("POST", f"{BASE}/{campaign['id']}/members", json={"member_ids": ["nobody"]})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "member_ids"
    both = api.admin("POST", f"{BASE}/{campaign['id']}/members", json={"member_ids": [vip[0]], "filter": {}})
    assert both.status_code == 422


def test_the_list_filters_by_type_and_status_and_pages_newest_first(api):
    api.set_clock(local(2026, 3, 10, 9))
    ids = [_draft(api, type=t)["id"] for t in ("referral", "recharge", "referral", "referral")]
    first = api.admin("GET", BASE, params={"type": "referral", "status": "draft", "limit": 2}).json()
    assert [c["id"] for c in first["items"]] == [ids[3], ids[2]]
    second = api.admin("GET", BASE, params={"type": "referral", "cursor": first["next_cursor"]}).json()
    assert [c["id"] for c in second["items"]] == [ids[0]]
    assert api.admin("GET", BASE, params={"status": "nonsense"}).status_code == 422


def test_campaign_calls_need_an_admin_key(api):
    assert api.platform("GET", BASE).status_code == 403


def test_a_template_used_by_a_published_campaign_keeps_its_value_but_may_be_renamed_or_disabled(api):
    api.set_clock(local(2026, 3, 10, 9))
    api.station("S1")
    api.station("S2")
    template = api.template(station_ids=["S1", "S2"])
    path = f"/api/v1/admin/voucher-templates/{template['id']}"
    assert api.admin("PATCH", path, json={"face_value_fen": 900}).status_code == 200  # no campaign yet
    campaign = _one_time(api, template["id"])
    api.admin("POST", f"{BASE}/{campaign['id']}/members", json={"member_ids": [api.member()["id"]]})
    assert api.admin("POST", f"{BASE}/{campaign['id']}/publish").status_code == 200
    refused = api.admin("PATCH", path, json={"face_value_fen": 5000, "min_spend_fen": 100})
    assert refused.status_code == 409
    assert {e["field"] for e in refused.json()["errors"]} == {"face_value_fen", "min_spend_fen"}
    same_scope = api.admin("PATCH", path, json={"station_ids": ["S2", "S1"], "name": "改名", "enabled": False})
    assert same_scope.status_code == 200
    assert (same_scope.json()["name"], same_scope.json()["enabled"], same_scope.json()["face_value_fen"]) == ("改名", False, 900)
