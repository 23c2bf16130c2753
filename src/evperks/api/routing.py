"""The route class of every API router: who is calling is settled before the body is read, and a JSON
body is parsed strictly (``api.json_body``).

FastAPI reads and parses the body before it runs any dependency, the API-key check included: a caller
without a key could make a worker read and parse whatever it sent. Here the route's guards
(``deps.GUARDS``) run first, so such a call gets its 401 with the body unread; they remember the role, so
the dependency that runs again later costs nothing. Then the body is parsed once, and FastAPI takes the
parsed value (``Request.json`` keeps it) instead of parsing it again.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import params
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from evperks.api import json_body
from evperks.api.deps import GUARDS


class ApiRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        guards = [d.dependency for d in self.dependencies if d.dependency in GUARDS]
        takes_json = self.body_field is not None and not isinstance(self.body_field.field_info, params.Form)
        if not guards and not takes_json:
            return handler

        async def guarded(request: Request) -> Response:
            for guard in guards:
                await guard(request)
            if takes_json and _is_json(request.headers.get("content-type")):
                body = await request.body()
                if body:
                    request._json = json_body.loads(body)  # noqa: SLF001 - Request.json() returns it as parsed
            return await handler(request)

        return guarded


def _is_json(content_type: str | None) -> bool:
    """What FastAPI parses as JSON: application/json or application/*+json, with any parameters."""
    if not content_type:
        return False
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))
