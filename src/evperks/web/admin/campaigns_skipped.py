"""A one-time grant's skipped members (绑定但未获赠的会员) as a CSV download, streamed like every console
export (``exports.csv_download``): the members are read a page at a time (one short read transaction
each) and written as they come, so a grant that skipped 10⁶ members never sits in memory."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request
from starlette.responses import Response

from evperks.api.params import IntId
from evperks.services.campaigns import binding, lifecycle
from evperks.services.errors import NotFound
from evperks.services.texts import N_
from evperks.web.admin.auth import StaffDep
from evperks.web.admin.campaigns import no_such_campaign
from evperks.web.admin.exports import csv_download, text_cell, time_cell

router = APIRouter(prefix="/admin/campaigns", include_in_schema=False)

BATCH = 1000


@router.get("/{campaign_id}/skipped.csv")
def skipped_csv(request: Request, staff: StaffDep, campaign_id: IntId) -> Response:
    ctx = request.app.state.ctx
    try:
        lifecycle.get_campaign(ctx, campaign_id)
    except NotFound:
        return no_such_campaign(request, staff)
    return csv_download(request, staff.locale, f"campaign-{campaign_id}-skipped", [
        (N_("Phone"), lambda m: m.phone),
        (N_("Nickname"), lambda m: text_cell(m.nickname)),
        (N_("Member id"), lambda m: m.member_id),
        (N_("Bound at"), lambda m: time_cell(m.bound_at, ctx.zone)),
    ], _batches(ctx, campaign_id))


def _batches(ctx, campaign_id: int) -> Iterator[list]:
    cursor = None
    while True:
        found = binding.list_skipped(ctx, campaign_id, limit=BATCH, cursor=cursor)
        yield found.items
        if (cursor := found.next_cursor) is None:
            return
