"""The OpenAPI document describes the answers evperks really gives: refusals as problem+json with the
ProblemDetails schema, the bearer key, the phone rule, and examples that fit together."""

from __future__ import annotations

from evperks.domain.members import MOBILE_INPUT_PATTERN

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}


def test_every_api_operation_declares_its_refusals_as_problem_details(api):
    spec = api.client.get("/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            expected = {"404"} | ({"401", "403"} if "/payments/" not in path else {"401"})
            expected |= {"400", "413", "409"} if "requestBody" in operation else set()
            assert expected <= set(responses), f"{method} {path}"
            for status, response in responses.items():
                if int(status) >= 400:
                    assert response["content"] == PROBLEM, f"{method} {path} {status}"


def test_a_refusal_matches_the_declared_problem_details_schema(api):
    spec = api.client.get("/openapi.json").json()
    required = spec["components"]["schemas"]["ProblemDetails"]["required"]
    answer = api.platform("POST", "/api/v1/members", json={"phone": "12"})
    assert answer.status_code == 422
    assert set(required) <= set(answer.json())


def test_the_phone_rule_and_the_examples_are_in_the_document(api):
    spec = api.client.get("/openapi.json").json()
    member = spec["components"]["schemas"]["MemberIn"]
    assert member["properties"]["phone"]["pattern"] == MOBILE_INPUT_PATTERN
    order = spec["components"]["schemas"]["ChargeOrderIn"]["examples"][0]
    assert (order["member_id"], order["station_id"]) == (member["examples"][0]["id"], "S1")
    station = spec["paths"]["/api/v1/stations/{station_id}"]["put"]["parameters"][0]
    assert station["example"] == "S1"
    assert spec["components"]["securitySchemes"]["apiKey"] == {
        "type": "http", "scheme": "bearer", "description": "Authorization: Bearer <key> (evperks keys create)"}
