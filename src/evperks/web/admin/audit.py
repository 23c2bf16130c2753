"""审计日志: every change, newest first, filtered by who and what, with before → after per key."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from evperks.services import audit
from evperks.services.errors import Invalid
from evperks.web.admin import audit_view
from evperks.web.admin.auth import StaffDep, page
from evperks.web.i18n import translations

router = APIRouter(prefix="/admin/audit", include_in_schema=False)

PAGE_SIZE = 30
FILTERS = ("actor", "action", "target_type", "target_id")
# The console page of each kind of target; kinds without a page are shown without a link.
TARGET_PAGES = {
    "voucher_template": "/admin/voucher-templates/{id}",
    "campaign": "/admin/campaigns/{id}",
    "member": "/admin/members/{id}",
    "points_settings": "/admin/points",
    "stored_value_settings": "/admin/stored-value",
    "mall_item": "/admin/mall#item-{id}",
    "charge_order": "/admin/orders/{id}",
}


@router.get("")
def audit_page(request: Request, staff: StaffDep) -> Response:
    chosen = {name: (request.query_params.get(name) or "").strip()[:100] for name in FILTERS}
    try:
        found = audit.list_entries(request.app.state.ctx, limit=PAGE_SIZE,
                                   cursor=request.query_params.get("cursor") or None,
                                   **{name: value or None for name, value in chosen.items()})
    except Invalid:  # a cursor that is not ours: the first page of the same filters
        return RedirectResponse(str(request.url.remove_query_params("cursor")), status_code=303)
    gettext = translations(staff.locale).gettext
    entries = [_shown(entry, request.app.state.ctx.zone, gettext) for entry in found["items"]]
    return page(request, staff, "admin/audit/list.html", nav="audit", entries=entries,
                next_cursor=found["next_cursor"], chosen=chosen)


def _shown(entry: dict, zone, gettext) -> dict:
    link = TARGET_PAGES.get(entry["target_type"])
    return {**entry, "link": link.format(id=quote(str(entry["target_id"]), safe="")) if link else None,
            "changes": changes(entry["before"], entry["after"], zone, gettext)}


def changes(before: dict | None, after: dict | None, zone=None, gettext=None) -> list[dict]:
    """One row per key (nested keys dotted: ``redemption.enabled``): its label, the old and new values
    as people read them (``audit_view``) and whether it changed; changed keys first. Without a zone and
    gettext the values are compact JSON and the label is the key."""
    old, new = _flat(before), _flat(after)

    def show(key: str, flat: dict) -> str | None:
        if key not in flat:
            return None
        return audit_view.shown(key, flat[key], zone, gettext) if gettext else audit_view.raw(flat[key])

    rows = [{"key": key, "label": audit_view.label(key, gettext) if gettext else key,
             "before": show(key, old), "after": show(key, new),
             "changed": old.get(key, _MISSING) != new.get(key, _MISSING)}
            for key in sorted(old.keys() | new.keys())]
    return sorted(rows, key=lambda row: not row["changed"])


_MISSING = object()


def _flat(value: object, prefix: str = "") -> dict[str, object]:
    if not isinstance(value, dict):
        return {} if value is None and not prefix else {prefix: value}
    flat: dict[str, object] = {}
    for key, inner in value.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(inner, dict) and inner:
            flat.update(_flat(inner, name))
        else:
            flat[name] = inner
    return flat
