"""A refusal's problem+json carries stable codes: the problem's own ``code`` and, for each field at fault,
a ``code`` and the ``params`` its message names, beside the English ``detail`` and ``message``."""

from __future__ import annotations


def test_an_invalid_field_is_422_with_the_code_and_params_of_each_field(api):
    member = api.member()
    unknown = api.admin("POST", f"/api/v1/admin/members/{member['id']}/vouchers", json={"template_id": 999, "reason": "x"})
    assert unknown.status_code == 422
    body = unknown.json()
    assert (body["status"], body["code"]) == (422, "voucher.template_missing")
    assert body["errors"] == [{"field": "template_id", "code": "voucher.template_missing",
                               "message": "voucher template 999 does not exist", "params": {"id": 999}}]


def test_a_request_the_schema_refuses_names_pydantics_error_type_as_the_code(api):
    refused = api.platform("POST", "/api/v1/members", json={"phone": "13800138000", "surprise": 1})
    body = refused.json()
    assert (refused.status_code, body["code"]) == (422, "invalid_fields")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("surprise", "extra_forbidden")]


def test_an_unknown_member_is_404_with_its_code(api):
    missing = api.platform("GET", "/api/v1/members/nobody")
    assert missing.status_code == 404
    assert (missing.json()["code"], missing.json()["errors"]) == ("member.not_found", [])
    assert missing.json()["detail"] == "member 'nobody' does not exist"


def test_a_conflict_is_409_with_its_code(api):
    member = api.member()
    again = api.platform("POST", "/api/v1/members", json={"phone": member["phone"]})
    assert again.status_code == 409
    assert again.json()["code"] == "member.phone_registered"
    assert [(e["field"], e["code"]) for e in again.json()["errors"]] == [("phone", "member.phone_registered")]


def test_a_used_voucher_refuses_revoking_with_a_code_per_state(api):
    api.station()
    member = api.member()
    [voucher] = api.give(member["id"], api.template()["id"])
    assert api.admin("POST", f"/api/v1/admin/vouchers/{voucher['id']}/revoke", json={"reason": "误发"}).status_code == 200
    again = api.admin("POST", f"/api/v1/admin/vouchers/{voucher['id']}/revoke", json={"reason": "x"})
    assert (again.status_code, again.json()["code"]) == (409, "voucher.already_revoked")
    assert again.json()["detail"] == "the voucher is revoked and can no longer be revoked"


def test_refusals_that_are_not_service_errors_have_codes_too(api):
    assert api.client.get("/api/v1/members/M1").json()["code"] == "unauthorized"
    assert api.platform("GET", "/api/v1/nothing-here").json()["code"] == "not_found"
    not_json = api.client.post("/api/v1/members", content=b"{",
                               headers={**api.platform_headers, "Content-Type": "application/json"})
    assert (not_json.status_code, not_json.json()["code"]) == (400, "json_invalid")
