"""Every JSON answer the API tests receive is checked against the shape its route declares.

Routes return a ready ``Response`` (``api.responses.json_response``), so FastAPI never validates their
``response_model``: this check does, in the tests. A 2xx JSON answer must validate against the model the
matched route declares for its status (``response_model``, or ``responses={status: {"model": ...}}``),
with no key the model does not name; a route without such a model fails the check. A problem+json
answer must have the ``ProblemDetails`` shape (further keys allowed) and its own status.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import httpx
import jsonschema
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.routing import Match

from evperks.api.errors import PROBLEM
from evperks.api.openapi import PROBLEM_DETAILS

# JSON answers whose shape is another standard's, not a model of ours.
NOT_MODELLED = {"/openapi.json"}  # the OpenAPI document itself


class ShapeMismatch(AssertionError):
    """An answer that does not have the shape its route declares."""


def check_response_shapes(client: httpx.Client, app: FastAPI) -> None:
    """Check every answer ``client`` receives from now on (a response event hook)."""
    client.event_hooks["response"].append(lambda response: check(app, response))


def check(app: FastAPI, response: httpx.Response) -> None:
    media = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media not in ("application/json", PROBLEM):
        return
    if not response.read():  # HEAD, or 204
        return
    where = f"{response.request.method} {response.request.url.path} → {response.status_code}"
    body = response.json()
    if media == PROBLEM:
        _check_problem(where, response.status_code, body)
        return
    route = _route(app, response.request)
    if route is None:
        if response.status_code == 404:  # no route matched: only problem+json is expected there
            raise ShapeMismatch(f"{where}: a JSON answer from no route")
        return  # a Starlette route (openapi.json, static files) declares no model
    if route.path in NOT_MODELLED:
        return
    model = _declared_model(route, response.status_code)
    if model is None:
        raise ShapeMismatch(f"{where}: route {route.path} declares no model for {response.status_code}")
    try:
        value = _adapter(model).validate_python(body)
    except ValidationError as exc:
        raise ShapeMismatch(f"{where}: the body does not match {_name(model)}:\n{exc}") from None
    extra = list(_undeclared_keys(value, body, "$"))
    if extra:
        raise ShapeMismatch(f"{where}: keys {_name(model)} does not declare: {', '.join(extra)}")


def _check_problem(where: str, status: int, body: Any) -> None:
    try:
        jsonschema.validate(body, PROBLEM_DETAILS)
    except jsonschema.ValidationError as exc:
        raise ShapeMismatch(f"{where}: not a ProblemDetails: {exc.message}") from None
    if body["status"] != status:
        raise ShapeMismatch(f"{where}: the problem says status {body['status']}")


def _route(app: FastAPI, request: httpx.Request) -> APIRoute | None:
    scope = {"type": "http", "path": request.url.path, "root_path": "", "method": request.method}
    partial = None
    for route in app.routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route if isinstance(route, APIRoute) else None
        if match is Match.PARTIAL and partial is None:
            partial = route
    return partial if isinstance(partial, APIRoute) else None


def _declared_model(route: APIRoute, status: int) -> Any:
    declared = route.responses.get(status) or route.responses.get(str(status))
    if declared and declared.get("model") is not None:
        return declared["model"]
    if status == (route.status_code or 200):
        return route.response_model
    return None


@cache
def _adapter(model: Any) -> TypeAdapter:
    return TypeAdapter(model)


def _name(model: Any) -> str:
    return getattr(model, "__name__", str(model))


def _undeclared_keys(value: Any, data: Any, path: str):
    """Keys of the JSON that the validated model has no field for (pydantic ignores them)."""
    if isinstance(value, BaseModel) and isinstance(data, dict):
        names = {field.alias or name: name for name, field in type(value).model_fields.items()}
        for key, item in data.items():
            if key not in names:
                yield f"{path}.{key}"
            else:
                yield from _undeclared_keys(getattr(value, names[key]), item, f"{path}.{key}")
    elif isinstance(value, list | tuple) and isinstance(data, list):
        for i, (v, d) in enumerate(zip(value, data, strict=False)):
            yield from _undeclared_keys(v, d, f"{path}[{i}]")
    elif isinstance(value, dict) and isinstance(data, dict):
        for key, item in data.items():
            if key in value:
                yield from _undeclared_keys(value[key], item, f"{path}.{key}")
