"""Every error leaves as application/problem+json (RFC 9457) naming the fields at fault."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

from evperks.api.metrics import PROBLEMS
from evperks.api.responses import API_HEADERS, json_response
from evperks.clock import ClockMovedBackwards
from evperks.services.errors import Conflict, Invalid, NotFound, Reason, ServiceError, Unavailable
from evperks.services.readiness import NotReady

log = logging.getLogger("evperks.api")
PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Kind:
    """How the API answers one kind of service refusal; ``code`` stands in for a refusal that names none."""

    status: int
    title: str
    code: str


# The HTTP face of each kind of service refusal (services/errors.py knows nothing of HTTP).
KINDS: dict[type[ServiceError], Kind] = {
    Invalid: Kind(422, "Invalid input", "invalid"),
    NotFound: Kind(404, "Not found", "not_found"),
    Conflict: Kind(409, "Conflict", "conflict"),
    NotReady: Kind(503, "Not ready", "not_ready"),
    Unavailable: Kind(503, "Service unavailable", "unavailable"),
    ServiceError: Kind(400, "Bad request", "bad_request"),
}
# Refusals that are not service errors (no key, unknown path, …): their code is their status's.
_BY_STATUS = {400: ("Bad request", "bad_request"), 401: ("Unauthorized", "unauthorized"),
              403: ("Forbidden", "forbidden"), 404: ("Not found", "not_found"),
              405: ("Method not allowed", "method_not_allowed"), 409: ("Conflict", "conflict"),
              413: ("Payload too large", "payload_too_large"), 415: ("Unsupported media type", "unsupported_media_type"),
              422: ("Invalid input", "invalid_fields"), 500: ("Internal server error", "internal_error")}


def kind_of(exc: ServiceError) -> Kind:
    """The nearest kind in ``KINDS`` along the class's ancestry (``SmsUnavailable`` answers as ``Unavailable``)."""
    return next(KINDS[cls] for cls in type(exc).__mro__ if cls in KINDS)


def status_of(exc: ServiceError) -> int:
    """The HTTP status of a service refusal: the API's, and the one a web page answers with."""
    return kind_of(exc).status


def problem(request: Request, status: int, detail: str, errors: Iterable[Reason] = (),
            title: str | None = None, code: str | None = None) -> Response:
    """A problem+json answer. ``code`` (and each error's) is stable: clients branch on it, never on ``detail``;
    an error without a code of its own (a campaign refusal not yet given one) takes the problem's."""
    default_title, default_code = _BY_STATUS.get(status, ("Error", "error"))
    code = code or default_code
    body = {
        "type": "about:blank",
        "title": title or default_title,
        "status": status,
        "code": code,
        "detail": detail,
        "errors": [{"field": e.field, "code": e.code or code, "message": e.message, "params": dict(e.params)}
                   for e in errors],
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
        return problem(request, 400, "The request body is not valid JSON", [Reason("body", "json_invalid", "not valid JSON")],
                       code="json_invalid")
    found: dict[str, tuple[str, list[str]]] = {}  # field → (code of its first error, its messages)
    for error in errors:
        _code, messages = found.setdefault(_field(tuple(error["loc"])), (str(error.get("type", "invalid")), []))
        if (message := _message(error)) not in messages:
            messages.append(message)
    fields = [Reason(field, code, "; or ".join(texts)) for field, (code, texts) in found.items()]
    return problem(request, 422, "Some fields are invalid: " + ", ".join(r.field for r in fields), fields,
                   code="invalid_fields")


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
        kind = kind_of(exc)
        return problem(request, kind.status, exc.detail, exc.errors, kind.title, exc.code or kind.code)

    @app.exception_handler(ClockMovedBackwards)
    async def _on_clock_back(request: Request, exc: ClockMovedBackwards) -> Response:
        return problem(request, 409, str(exc), [Reason("now", "clock.moved_backwards", "must not be before the sandbox clock")],
                       code="clock.moved_backwards")

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
