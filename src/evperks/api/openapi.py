"""The OpenAPI document: FastAPI's, completed with what it cannot know from the routes.

- every refusal an operation can give (401/403 without a valid key, 404, 409 on changes, 400/413/422 on
  input) as ``application/problem+json`` with the ``ProblemDetails`` schema (api/errors.py builds them),
  instead of FastAPI's ``HTTPValidationError`` that evperks never sends;
- the bearer key as a security scheme;
- an example for every path parameter, so a client (or a fuzzer) has ids that the request examples of
  the creating operations make real: station ``S1``, member ``M1``, template and campaign ``1``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from evperks.api.errors import PROBLEM

PROBLEM_DETAILS: dict[str, Any] = {
    "title": "ProblemDetails",
    "description": "RFC 9457 problem details; ``errors`` names each field at fault. ``code`` (of the problem and of "
                   "each error) is stable and meant for programs; ``detail`` and ``message`` are English for people "
                   "and may be reworded. ``params`` are the values the message names.",
    "type": "object",
    "required": ["type", "title", "status", "code", "detail", "errors"],
    "properties": {
        "type": {"type": "string", "example": "about:blank"},
        "title": {"type": "string", "example": "Invalid input"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599, "example": 422},
        "code": {"type": "string", "example": "invalid_fields"},
        "detail": {"type": "string", "example": "Some fields are invalid: phone"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "code", "message", "params"],
                "properties": {
                    "field": {"type": "string", "example": "phone"},
                    "code": {"type": "string", "example": "phone.invalid"},
                    "message": {"type": "string"},
                    "params": {"type": "object", "additionalProperties": True},
                },
            },
        },
    },
}

REFUSALS = {
    400: "The body is not valid JSON",
    401: "No API key, or not a valid one",
    403: "The key's role may not make this call",
    404: "An id in the path (or the body) names nothing",
    409: "The change conflicts with the current state (a duplicate, a spent budget, a published campaign…)",
    413: "The body is too large",
    422: "A field is invalid; ``errors`` names each one",
}

PARAMETER_EXAMPLES = {
    "station_id": "S1",
    "member_id": "M1",
    "template_id": 1,
    "campaign_id": 1,
    "voucher_id": 1,
    "order_no": "R-1",
    "item_id": 1,
    "session_id": "CS-1",
}

_CHANGES = ("post", "put", "patch", "delete")
_UNAUTHENTICATED = ("/api/v1/payments/",)  # signed by the payment provider instead of a key


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["ProblemDetails"] = PROBLEM_DETAILS
    components["securitySchemes"] = {"apiKey": {"type": "http", "scheme": "bearer",
                                                "description": "Authorization: Bearer <key> (evperks keys create)"}}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            _complete_operation(path, method, operation)
    return schema


def _complete_operation(path: str, method: str, operation: dict[str, Any]) -> None:
    authenticated = not path.startswith(_UNAUTHENTICATED)
    has_input = bool(operation.get("parameters") or operation.get("requestBody"))
    statuses = {404}
    statuses |= {401, 403} if authenticated else set()
    statuses |= {409} if method in _CHANGES else set()
    statuses |= {400, 413} if "requestBody" in operation else set()
    statuses |= {422} if has_input else set()
    responses = operation.setdefault("responses", {})
    for status in sorted(statuses | {int(s) for s in responses if s.isdigit() and int(s) >= 400}):
        declared = responses.get(str(status), {})
        responses[str(status)] = {
            "description": declared.get("description") or REFUSALS.get(status, "Refused"),
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
        }
    operation["security"] = [{"apiKey": []}] if authenticated else []
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path" and parameter["name"] in PARAMETER_EXAMPLES:
            parameter["example"] = PARAMETER_EXAMPLES[parameter["name"]]
