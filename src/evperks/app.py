"""Wiring: settings → context → FastAPI application: the API, the admin console and the member H5."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from evperks import __version__
from evperks.api import errors, exposure, openapi
from evperks.api.body_limit import BodyLimit
from evperks.api.deps import KeyCache
from evperks.api.routes import admin, h5_link, health, member_campaigns, platform
from evperks.api.routes import campaigns as campaign_routes
from evperks.api.routes import mall as mall_routes
from evperks.api.routes import points as points_routes
from evperks.api.routes import sessions as session_routes
from evperks.api.routes import wallet as wallet_routes
from evperks.config import Settings, is_loopback_url
from evperks.services import sms
from evperks.services.context import Context
from evperks.web import mount as mount_web

log = logging.getLogger("evperks")


def create_app(settings: Settings | None = None, *, ctx: Context | None = None) -> FastAPI:
    settings = settings or (ctx.settings if ctx else Settings())
    ctx = ctx or Context.from_settings(settings)
    sms.provider_for(ctx)  # a misnamed EVPERKS_SMS_PROVIDER stops the start, not a member's sign-up
    if not settings.sandbox and is_loopback_url(settings.public_base_url):
        log.warning("EVPERKS_PUBLIC_BASE_URL is %s: member links, invite QR codes and pay pages will only open "
                    "on this machine; set it to the address members reach evperks at", settings.public_base_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler = None
        if settings.scheduler:
            from evperks.jobs.scheduler import start_in_thread  # noqa: PLC0415 - only when it runs

            scheduler = start_in_thread(ctx)
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.stop()

    app = FastAPI(
        title="evperks",
        version=__version__,
        description="Promotion and loyalty engine for EV-charging operators. Errors are application/problem+json.",
        lifespan=lifespan,
        openapi_url=None,  # served by exposure.install, as EVPERKS_DOCS_ACCESS says
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.state.key_cache = KeyCache(settings.api_key_cache_seconds)
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    exposure.install(app, settings)
    app.include_router(platform.router)
    app.include_router(session_routes.router)
    app.include_router(admin.router)
    app.include_router(campaign_routes.router)
    app.include_router(points_routes.router)
    app.include_router(mall_routes.router)
    app.include_router(wallet_routes.platform_router)
    app.include_router(wallet_routes.admin_router)
    app.include_router(member_campaigns.router)
    app.include_router(h5_link.router)
    app.include_router(health.router)
    mount_web(app)
    if settings.wechat_pay_enabled:
        from evperks.api.routes import wechat_pay  # noqa: PLC0415 - only where WeChat Pay is configured

        app.include_router(wechat_pay.router)
    openapi.install(app)
    if settings.sandbox:
        from evperks.api.routes import sandbox  # noqa: PLC0415 - absent outside sandbox mode

        app.include_router(sandbox.router)
        from evperks.api.routes import payments  # noqa: PLC0415 - the sandbox payment provider: sandbox only

        app.include_router(payments.router)

    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory evperks.app:app_from_env`` (each worker process builds its own)."""
    return create_app(Settings())
