"""Every error leaves as application/problem+json (RFC 9457) naming the fields at fault."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

from evperks.api.metrics import PROBLEMS
from evperks.api.responses import API_HEADERS, json_response
from evperks.clock import ClockMovedBackwards
from evperks.services.errors import ServiceError

log = logging.getLogger("evperks.api")
PROBLEM = "application/problem+json"
_TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
           409: "Conflict", 413: "Payload too large", 415: "Unsupported media type", 422: "Invalid input",
           500: "Internal server error"}


def problem(request: Request, status: int, detail: str, errors: list[tuple[str, str]] = (), title: str | None = None) -> Response:
    body = {
        "type": "about:blank",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "errors": [{"field": f, "message": m} for f, m in errors],
    }
    PROBLEMS.labels(str(status)).inc()
    return json_response(body, zone=request.app.state.ctx.zone, status=status, media_type=PROBLEM)


_VALIDITY_TAGS = {"days", "window"}  # the discriminator value pydantic puts after "validity"


def _field(loc: tuple) -> str:
    """('body', 'validity', 'days', 'days') → 'validity.days'; ('query', 'limit') → 'limit'; union-member
    labels such as 'constrained-int' or "literal['auto']" are not fields and are dropped."""
    parts = [p for p in loc[1:] if isinstance(p, int) or str(p).isidentifier()]
    kept = [str(p) for i, p in enumerate(parts) if not (i > 0 and parts[i - 1] == "validity" and p in _VALIDITY_TAGS)]
    return ".".join(kept) or "body"


def _validation_problem(request: Request, exc: RequestValidationError) -> Response:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem(request, 400, "The request body is not valid JSON", [("body", "not valid JSON")])
    messages: dict[str, list[str]] = {}
    for error in errors:
        field_messages = messages.setdefault(_field(tuple(error["loc"])), [])
        if (message := _message(error)) not in field_messages:
            field_messages.append(message)
    fields = [(field, "; or ".join(texts)) for field, texts in messages.items()]
    return problem(request, 422, "Some fields are invalid: " + ", ".join(f for f, _ in fields), fields)


def _message(error: dict) -> str:
    if error.get("type") == "missing":
        return "is required"
    if error.get("type") == "extra_forbidden":
        return "is not a known field"
    return str(error.get("msg", "is invalid")).removeprefix("Value error, ")


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _on_validation(request: Request, exc: RequestValidationError) -> Response:
        return _validation_problem(request, exc)

    @app.exception_handler(ServiceError)
    async def _on_service_error(request: Request, exc: ServiceError) -> Response:
        return problem(request, exc.status, exc.detail, [(e.field, e.message) for e in exc.errors], exc.title)

    @app.exception_handler(ClockMovedBackwards)
    async def _on_clock_back(request: Request, exc: ClockMovedBackwards) -> Response:
        return problem(request, 409, str(exc), [("now", "must not be before the sandbox clock")])

    @app.exception_handler(HTTPException)
    async def _on_http(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 405:
            return _method_not_allowed(request)
        response = problem(request, exc.status_code, str(exc.detail), getattr(exc, "errors", ()))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def _on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(request, 500, "An unexpected error occurred; nothing was changed")


def _method_not_allowed(request: Request) -> Response:
    """OPTIONS answers 204 with the methods the path has; another method it lacks, 405 with the same Allow.
    Starlette's own Allow names only the first route matching the path, while one path may have routes in
    several routers (GET and PATCH of a member)."""
    allow = ", ".join(_methods_of(request))
    if request.method == "OPTIONS":
        return Response(status_code=204, headers={"Allow": allow, **API_HEADERS})
    response = problem(request, 405, f"{request.method} is not allowed here; allowed: {allow}")
    response.headers["Allow"] = allow
    return response


def _methods_of(request: Request) -> list[str]:
    """Each method some route fully matches at this path (asked through the routes' public ``matches``)."""
    routes = request.app.router.routes
    allowed = [method for method in _METHODS
               if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)]
    return sorted({*allowed, "OPTIONS"})


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
