"""The sandbox payment provider's notification endpoint; mounted only with EVPERKS_SANDBOX=1.

``POST /api/v1/payments/sandbox/notify`` is authenticated by its signature, not by an API key. The
provider's pay page, which sends these notifications, is a web page: ``evperks.web.sandbox_pay``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from evperks.api import schemas_wallet as sw
from evperks.api.errors import problem
from evperks.api.responses import json_response
from evperks.services import payments
from evperks.services.errors import Reason
from evperks.services.payments import NotificationRefused, SandboxProvider

router = APIRouter(tags=["payments (sandbox)"])


@router.post(
    "/api/v1/payments/sandbox/notify",
    response_model=sw.ConfirmOut,
    responses={401: {"description": "The signature is missing or wrong; nothing changed"}},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": sw.SandboxNotification.model_json_schema()}}}},
)
async def sandbox_notify(request: Request) -> Response:
    """A payment notification from the sandbox provider: verified by X-Sandbox-Signature, then the
    recharge is confirmed idempotently."""
    ctx = request.app.state.ctx
    body = await request.body()
    provider = SandboxProvider.for_context(ctx)
    try:
        result = await run_in_threadpool(payments.receive_notification, ctx, provider, dict(request.headers), body)
    except NotificationRefused as exc:
        return problem(request, 401, str(exc), [Reason("X-Sandbox-Signature", "payment.signature_invalid", "missing or wrong")],
                       code="payment.signature_invalid")
    return json_response(result, zone=ctx.zone)
