"""Request bodies larger than ``EVPERKS_MAX_BODY_BYTES`` are refused (413) before they are read.

A pure ASGI middleware (no BaseHTTPMiddleware: it would cost every request a task and a queue). It only
wraps ``receive``: the first read of a body whose Content-Length is too large fails before a byte is
taken, and a chunked body fails as soon as what arrived passes the limit. The refusal is raised where the
body is read, so a request refused for another reason first (no API key: 401) never reads its body at
all, and the server drops the unread rest with the connection.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from evperks.domain.reasons import Reason


class BodyTooLarge(HTTPException):
    """An HTTPException, so FastAPI re-raises it from its body parsing and the problem+json handler answers."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the {limit} bytes allowed")
        self.errors = [Reason.of("body", "body.too_large", "may be at most %(limit)s bytes (EVPERKS_MAX_BODY_BYTES)",
                                 limit=limit)]


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        declared = _content_length(scope)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if declared is not None and declared > limit:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None
