"""Answers every console page gives the same way: the flash after a redirect, not-found, see-other."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from evperks.web.admin.auth import Staff, page
from evperks.web.i18n import translations


def done_message(request: Request, locale: str, messages: dict[str, str]) -> str | None:
    """The flash for ``?done=<what>`` after a redirect, translated."""
    message = messages.get(request.query_params.get("done", ""))
    return translations(locale).gettext(message) if message else None


def missing(request: Request, staff: Staff, *, nav: str) -> Response:
    """What an unknown id shows: a 404 page in the console's frame, never a stack trace."""
    return page(request, staff, "admin/missing.html", status=404, nav=nav)


def redirect(path: str) -> Response:
    """See other (303): after a form is accepted, the browser loads the result with a GET."""
    return RedirectResponse(path, status_code=303)
