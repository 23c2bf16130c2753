from __future__ import annotations

import pytest

from tests.api.conftest import local

TEMPLATES = "/api/v1/admin/voucher-templates"


def test_a_template_without_its_required_fields_is_refused_naming_each(api):
    response = api.admin("POST", TEMPLATES, json={"station_ids": []})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"name", "deduction_type", "validity"}
    # The face value is required by kind (an amount voucher needs one, a percent one has none): it is
    # named once the request has a well-formed shape.
    shaped = api.admin("POST", TEMPLATES, json={"name": "券", "deduction_type": "total",
                                                "validity": {"type": "days", "days": 7}})
    assert [e["field"] for e in shaped.json()["errors"]] == ["face_value_fen"]
    assert api.admin("GET", TEMPLATES).json()["items"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"face_value_fen": 0}, "face_value_fen"),
        ({"face_value_fen": 10.5}, "face_value_fen"),
        ({"face_value_fen": "1000"}, "face_value_fen"),
        ({"face_value_fen": 10**20}, "face_value_fen"),
        ({"deduction_type": "electricity"}, "deduction_type"),
        ({"validity": {"type": "days", "days": 0}}, "validity.days"),
        ({"validity": {"type": "weeks", "weeks": 2}}, "validity"),
        ({"validity": {"type": "window", "start": "2026-05-08T00:00:00", "end": "2026-05-01T00:00:00"}}, "validity"),
        ({"min_spend_fen": -1}, "min_spend_fen"),
        ({"name": "   "}, "name"),
        ({"station_ids": ["NOPE"]}, "station_ids"),
        ({"enabled": "yes"}, "enabled"),
    ],
)
def test_bad_template_values_are_422_naming_the_field(api, change, field):
    body = {"name": "券", "face_value_fen": 1000, "deduction_type": "total", "validity": {"type": "days", "days": 7}}
    response = api.admin("POST", TEMPLATES, json={**body, **change})
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


def test_a_window_that_has_already_ended_is_refused(api):
    api.set_clock(local(2026, 6, 1))
    response = api.admin("POST", TEMPLATES, json={
        "name": "五一券", "face_value_fen": 500, "deduction_type": "total",
        "validity": {"type": "window", "start": "2026-05-01T00:00:00", "end": "2026-05-06T00:00:00"},
    })
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "validity.end"


def test_a_template_reads_back_with_every_field_and_usage_counts(api):
    api.station("S1")
    created = api.template(name="南山20元", face_value_fen=2000, deduction_type="service_fee", station_ids=["S1"],
                           min_spend_fen=500, validity={"type": "window", "start": "2030-05-01", "end": "2030-05-08"})
    read = api.admin("GET", f"{TEMPLATES}/{created['id']}").json()
    assert read == created
    assert read["validity"] == {"type": "window", "start": "2030-05-01T00:00:00+08:00", "end": "2030-05-08T00:00:00+08:00"}
    assert (read["station_ids"], read["min_spend_fen"], read["enabled"]) == (["S1"], 500, True)
    assert (read["issued_count"], read["used_count"]) == (0, 0)


def test_an_issued_voucher_keeps_its_snapshot_when_the_template_changes(api):
    member = api.member()
    template = api.template(face_value_fen=1000)
    [voucher] = api.give(member["id"], template["id"])
    patched = api.admin("PATCH", f"{TEMPLATES}/{template['id']}", json={"face_value_fen": 300, "name": "3元券"})
    assert patched.status_code == 200
    assert (patched.json()["face_value_fen"], patched.json()["issued_count"]) == (300, 1)
    [kept] = api.vouchers(member["id"])
    assert (kept["id"], kept["face_value_fen"], kept["name"]) == (voucher["id"], 1000, "10元券")


def test_patching_a_required_field_to_null_is_refused(api):
    template = api.template()
    response = api.admin("PATCH", f"{TEMPLATES}/{template['id']}", json={"face_value_fen": None})
    assert response.status_code == 422


def test_patching_an_unknown_template_is_404(api):
    assert api.admin("PATCH", f"{TEMPLATES}/999", json={"enabled": False}).status_code == 404


def test_a_disabled_template_issues_nothing_but_its_vouchers_stay_valid(api):
    member = api.member()
    template = api.template()
    [voucher] = api.give(member["id"], template["id"])
    assert api.admin("PATCH", f"{TEMPLATES}/{template['id']}", json={"enabled": False}).json()["enabled"] is False
    refused = api.admin("POST", f"/api/v1/admin/members/{member['id']}/vouchers",
                        json={"template_id": template["id"], "reason": "补发"})
    assert refused.status_code == 409
    assert [v["id"] for v in api.vouchers(member["id"], "available")] == [voucher["id"]]
    assert api.admin("GET", TEMPLATES, params={"enabled": "false"}).json()["items"][0]["id"] == template["id"]


def test_a_manual_issue_lists_with_every_contract_field(api):
    api.set_clock(local(2026, 3, 10, 15))
    member = api.member()
    template = api.template(validity={"type": "days", "days": 7})
    api.give(member["id"], template["id"], quantity=2)
    items = api.vouchers(member["id"], "available")
    assert len(items) == 2
    item = items[0]
    assert set(item) >= {"id", "template_id", "name", "face_value_fen", "deduction_type", "station_ids",
                         "min_spend_fen", "valid_from", "valid_until", "status", "source", "used_order_no"}
    assert item["valid_from"] == "2026-03-10T15:00:00+08:00"
    assert item["valid_until"] == "2026-03-17T00:00:00+08:00"
    assert item["source"] == {"kind": "manual", "reason": "客服补发"}
    assert item["status"] == "available" and item["used_order_no"] is None


def test_a_manual_issue_needs_a_reason_a_known_template_and_a_known_member(api):
    member = api.member()
    template = api.template()
    no_reason = api.admin("POST", f"/api/v1/admin/members/{member['id']}/vouchers", json={"template_id": template["id"]})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    unknown = api.admin("POST", f"/api/v1/admin/members/{member['id']}/vouchers", json={"template_id": 999, "reason": "x"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "template_id"
    nobody = api.admin("POST", "/api/v1/admin/members/nobody/vouchers", json={"template_id": template["id"], "reason": "x"})
    assert nobody.status_code == 404
    too_many = api.admin("POST", f"/api/v1/admin/members/{member['id']}/vouchers",
                         json={"template_id": template["id"], "reason": "x", "quantity": 101})
    assert too_many.status_code == 422
    assert api.vouchers(member["id"]) == []


def test_a_voucher_expires_at_local_midnight_in_the_member_list(api):
    api.set_clock(local(2026, 3, 10, 15))
    member = api.member()
    [voucher] = api.give(member["id"], api.template(validity={"type": "days", "days": 7})["id"])
    api.set_clock(local(2026, 3, 16, 23, 59, 59))
    assert [v["id"] for v in api.vouchers(member["id"], "available")] == [voucher["id"]]
    api.set_clock(local(2026, 3, 17))
    assert api.vouchers(member["id"], "available") == []
    assert [v["status"] for v in api.vouchers(member["id"], "expired")] == ["expired"]


def test_a_revoked_voucher_is_never_used_and_a_used_one_cannot_be_revoked(api):
    api.station()
    api.set_clock(local(2026, 3, 12, 9))
    member = api.member()
    first, second = api.give(member["id"], api.template()["id"], quantity=2)
    revoked = api.admin("POST", f"/api/v1/admin/vouchers/{first['id']}/revoke", json={"reason": "误发"})
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    api.set_clock(local(2026, 3, 12, 12))
    assert api.settle(api.order(member["id"])).json()["voucher_id"] == second["id"]
    assert api.admin("POST", f"/api/v1/admin/vouchers/{first['id']}/revoke", json={"reason": "x"}).status_code == 409
    used = api.admin("POST", f"/api/v1/admin/vouchers/{second['id']}/revoke", json={"reason": "x"})
    assert used.status_code == 409 and "used" in used.json()["detail"]
    assert api.admin("POST", "/api/v1/admin/vouchers/999/revoke", json={"reason": "x"}).status_code == 404
    assert [v["id"] for v in api.vouchers(member["id"], "revoked")] == [first["id"]]
    assert [v["id"] for v in api.vouchers(member["id"], "used")] == [second["id"]]


def test_an_unknown_status_filter_is_422(api):
    member = api.member()
    response = api.platform("GET", f"/api/v1/members/{member['id']}/vouchers", params={"status": "lost"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "status"
