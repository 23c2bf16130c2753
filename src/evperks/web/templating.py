"""Jinja2 for both faces: one environment per locale (gettext installed), with the filters that turn
stored units into what people read (fen → yuan, UTC → the operator's wall time, Wh → kWh)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import cache
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from evperks.domain.campaigns import EndedReason, Metric, Status
from evperks.services.campaigns.types import CAMPAIGN_TYPES
from evperks.web.forms import for_display
from evperks.web.i18n import translations


@cache
def environment(locale: str) -> Environment:
    env = Environment(
        loader=PackageLoader("evperks.web", "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)
    env.filters["yuan"] = for_display
    env.filters["kwh"] = _kwh
    env.globals["locale"] = locale
    # Pages read a campaign's type facts and compare states and metrics by name, never by spelling.
    env.globals["campaign_types"] = CAMPAIGN_TYPES
    env.globals["Status"] = Status
    env.globals["EndedReason"] = EndedReason
    env.globals["Metric"] = Metric
    return env


def _kwh(wh: int | None) -> str:
    if wh is None:
        return ""
    whole, rest = divmod(int(wh), 1000)
    return f"{whole}.{rest:03d}".rstrip("0").rstrip(".") if rest else str(whole)


def local_time(value: datetime | None, zone: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if value is None else value.astimezone(zone).strftime(fmt)


def local_end(value: datetime | None, zone: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """The last local minute of a period whose stored end is exclusive: a voucher valid until 12-10 00:00
    reads "12-09 23:59" (its last usable day), an end at any other time reads as it is."""
    if value is None:
        return ""
    local = value.astimezone(zone)
    if local.time() == time(0):
        local -= timedelta(minutes=1)
    return local.strftime(fmt)


# Pages are never framed (no clickjacking of a publish button), never sniffed, never stored (they show
# members' data; the back button after signing out must not show them again), and links out of them do
# not carry the path (member and campaign ids) to other sites. Set here, not by a middleware, so the
# API's hot path pays nothing.
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _other_language(request: Request, locale: str) -> str:
    """This page in the other language: its query kept, ``lang`` switched (and then remembered)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return "?" + urlencode([*params, ("lang", "en" if locale == "zh_CN" else "zh")])


def render(request: Request, template: str, *, locale: str, status: int = 200, headers: dict | None = None,
           **context) -> HTMLResponse:
    """Render ``template`` with the request, the operator's zone and the ``when`` and ``until`` helpers (an
    instant, an exclusive end) in scope."""
    zone = request.app.state.ctx.zone
    env = environment(locale)
    body = env.get_template(template).render(
        request=request, zone=zone, when=lambda value, fmt="%Y-%m-%d %H:%M": local_time(value, zone, fmt),
        until=lambda value, fmt="%Y-%m-%d %H:%M": local_end(value, zone, fmt),
        other_language=_other_language(request, locale), **context
    )
    return HTMLResponse(body, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})
