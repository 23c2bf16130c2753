"""Errors on the web faces' pages answer with a page, not JSON: a 404 for an unknown address, a 400 for
an unreadable form or address, a 500 that says nothing changed. The API keeps its problem+json; these
handlers wrap the API's and only take over for paths under ``/admin``, ``/h5`` and ``/pay``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from evperks.api.errors import status_of
from evperks.services.errors import ServiceError
from evperks.web.i18n import locale_of
from evperks.web.templating import render

log = logging.getLogger("evperks.web")
PAGE_PREFIXES = ("/admin", "/h5", "/pay/")


def _is_page(request: Request) -> bool:
    path = request.url.path
    return any(path == p.rstrip("/") or path.startswith(p.rstrip("/") + "/") for p in PAGE_PREFIXES)


def _status_of(exc: Exception) -> int:
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, ServiceError):
        return status_of(exc)
    return 400 if isinstance(exc, RequestValidationError) else 500


def install(app: FastAPI) -> None:
    """Wrap the handlers already installed (``api.errors.install``) for these exception types."""
    for kind in (HTTPException, RequestValidationError, ServiceError, Exception):
        _wrap(app, kind, app.exception_handlers[kind])


def _wrap(app: FastAPI, kind: type[Exception], api_handler) -> None:
    async def handler(request: Request, exc: Exception) -> Response:
        if not _is_page(request):
            return await api_handler(request, exc)
        status = _status_of(exc)
        if status >= 500:
            log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        response = render(request, "error.html", locale=locale_of(request), status=status, status_code=status)
        for name, value in (getattr(exc, "headers", None) or {}).items():
            response.headers[name] = value
        return response

    app.add_exception_handler(kind, handler)
