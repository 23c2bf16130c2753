"""The two web faces, mounted on the API's application: the admin console and the member H5."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import RedirectResponse
from starlette.staticfiles import StaticFiles

from evperks.web import errors
from evperks.web.admin import auth as admin_auth
from evperks.web.admin import routes as admin_routes
from evperks.web.h5 import routes as h5_routes

STATIC_DIR = Path(__file__).with_name("static")


def mount(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        return RedirectResponse("/static/favicon.svg", status_code=301)

    admin_auth.install(app)
    errors.install(app)
    for router in [*admin_routes.ROUTERS, *h5_routes.ROUTERS]:
        app.include_router(router)
    if app.state.ctx.settings.sandbox:
        from evperks.web import sandbox_pay  # noqa: PLC0415 - the sandbox payment provider: sandbox only

        app.include_router(sandbox_pay.router)
