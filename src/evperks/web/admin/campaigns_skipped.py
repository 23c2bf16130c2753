"""A one-time grant's skipped members (绑定但未获赠的会员) as a CSV download, streamed: the members are read a
page at a time (one short read transaction each) and written as they come, so a grant that skipped 10⁶
members never sits in memory."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from evperks.api.params import IntId
from evperks.services.campaigns import binding, lifecycle
from evperks.services.errors import NotFound
from evperks.web.admin.auth import StaffDep
from evperks.web.admin.campaigns import no_such_campaign
from evperks.web.i18n import translations
from evperks.web.templating import local_time

router = APIRouter(prefix="/admin/campaigns", include_in_schema=False)

BATCH = 1000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a nickname as a formula


@router.get("/{campaign_id}/skipped.csv")
def skipped_csv(request: Request, staff: StaffDep, campaign_id: IntId) -> Response:
    ctx = request.app.state.ctx
    try:
        lifecycle.get_campaign(ctx, campaign_id)
    except NotFound:
        return no_such_campaign(request, staff)
    gettext = translations(staff.locale).gettext
    header = [gettext("Phone"), gettext("Nickname"), gettext("Member id"), gettext("Bound at")]
    return StreamingResponse(
        _rows(ctx, campaign_id, header), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="campaign-{campaign_id}-skipped.csv"'},
    )


def _rows(ctx, campaign_id: int, header: list[str]) -> Iterator[str]:
    # The BOM lets Excel read the file as UTF-8 (the nicknames are Chinese).
    yield "\ufeff" + _line(header)
    cursor = None
    while True:
        found = binding.list_skipped(ctx, campaign_id, limit=BATCH, cursor=cursor)
        yield "".join(_line([m.phone, _cell(m.nickname), m.member_id, local_time(m.bound_at, ctx.zone)])
                      for m in found.items)
        if (cursor := found.next_cursor) is None:
            return


def _cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    return out.getvalue()
