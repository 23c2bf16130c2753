"""Who may read /metrics and the API documentation (/openapi.json, /docs, /redoc), and the headers every
answer carries when the public address is https.

Each is ``off`` (404, as if absent), ``open`` (anyone) or ``admin`` (an admin key, or a console admin's
session in the browser): EVPERKS_METRICS_ACCESS and EVPERKS_DOCS_ACCESS, docs/operations.md "Exposure".
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from evperks.api.deps import require_admin
from evperks.config import Settings

HSTS = (b"strict-transport-security", b"max-age=31536000")


def install(app: FastAPI, settings: Settings) -> None:
    _add(app, "/metrics", settings.metrics_access, _metrics)
    docs = settings.docs_exposure
    _add(app, "/openapi.json", docs, lambda: JSONResponse(app.openapi()))
    _add(app, "/docs", docs, lambda: get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} API"))
    _add(app, "/redoc", docs, lambda: get_redoc_html(openapi_url="/openapi.json", title=f"{app.title} API"))
    if settings.secure_cookies:  # the public address is https
        app.add_middleware(StrictTransportSecurity)


def _metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _add(app: FastAPI, path: str, access: str, endpoint: Callable[[], Response | HTMLResponse]) -> None:
    if access == "off":
        return
    dependencies = [Depends(require_admin)] if access == "admin" else []
    app.add_api_route(path, endpoint, methods=["GET"], include_in_schema=False, dependencies=dependencies)


class StrictTransportSecurity:
    """``Strict-Transport-Security`` on every answer (pages, API, static files): browsers then never use
    plain http for this host. Installed only when EVPERKS_PUBLIC_BASE_URL is https; one header appended at
    the response start, so the API's cost is a tuple append."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), HSTS]
            await send(message)

        await self.app(scope, receive, send_with_hsts)

