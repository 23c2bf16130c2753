"""Registration through an invite link: phone number and SMS code, then the member of product.md with
the inviter recorded (registration and referral campaigns run inside ``register_member``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from evperks.api.errors import status_of
from evperks.services import h5_views, members, sms
from evperks.services.errors import ServiceError
from evperks.web import refusals
from evperks.web.h5.session import H5Route, page, start_session
from evperks.web.i18n import locale_of, translations

router = APIRouter(prefix="/h5", include_in_schema=False, route_class=H5Route)


def _form(request: Request, *, phone: str = "", code: str = "", invite: str = "", errors: dict | None = None,
          sent: sms.SentCode | None = None, status: int = 200) -> Response:
    inviter = h5_views.inviter_of_code(request.app.state.ctx, invite) if invite.strip() else None
    errors = dict(errors or {})
    if invite.strip() and inviter is None and "invite" not in errors:
        errors["invite"] = refusals.say_code("member.invite_code_unknown", _gettext(request))
    return page(request, None, "h5/register.html", status=status, phone=phone, code=code, invite=invite,
                inviter=inviter, errors=errors, sent=sent, sms_ttl_minutes=int(sms.CODE_TTL.total_seconds() // 60),
                offer=h5_views.registration_offer(request.app.state.ctx))


def _errors(request: Request, exc: ServiceError) -> dict:
    """Service refusals by form field (the API's field names map onto the form's), in the reader's language."""
    gettext = _gettext(request)
    fields = {"invite_code": "invite", "phone": "phone", "code": "code"}
    found = {fields.get(reason.field, "form"): refusals.say(reason, gettext) for reason in exc.errors}
    return found or {"form": refusals.say_error(exc, gettext)}


def _gettext(request: Request):
    return translations(locale_of(request)).gettext


@router.get("/register")
def register_form(request: Request, invite: Annotated[str, Query(max_length=32)] = "") -> Response:
    return _form(request, invite=invite)


@router.post("/register")
def register(
    request: Request,
    action: Annotated[str, Form(max_length=20)] = "register",
    phone: Annotated[str, Form(max_length=32)] = "",
    code: Annotated[str, Form(max_length=12)] = "",
    invite: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    ctx = request.app.state.ctx
    kept = {"phone": phone, "code": code, "invite": invite}
    if action == "send":
        try:
            sent = sms.request_code(ctx, phone=phone)
        except ServiceError as exc:
            return _form(request, **kept, errors=_errors(request, exc), status=status_of(exc))
        return _form(request, **kept, sent=sent)
    try:
        checked_phone = sms.check_code(ctx, phone=phone, code=code)
        member = members.register_member(ctx, phone=checked_phone, channel="h5", invite_code=invite.strip() or None)
    except ServiceError as exc:
        return _form(request, **kept, errors=_errors(request, exc), status=status_of(exc))
    sms.consume_code(ctx, phone=checked_phone)
    return start_session(request, RedirectResponse("/h5?welcome=1", status_code=303), member["id"])
