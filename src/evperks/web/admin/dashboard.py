"""首页: the dashboard (figures from ``services.dashboard``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from evperks.services import dashboard as dashboard_service
from evperks.web.admin.auth import StaffDep, page

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("")
def dashboard(request: Request, staff: StaffDep) -> Response:
    figures = dashboard_service.figures(request.app.state.ctx)
    charts = {key: _series(figures["days"], key) for key in ("issued", "used", "deducted_fen")}
    return page(request, staff, "admin/dashboard.html", nav="home", figures=figures, charts=charts)


def _series(days: list[dict], key: str) -> list[tuple[str, int]]:
    """(axis label, value) pairs for the ``bars`` macro."""
    return [(day["day"].strftime("%m-%d"), day[key]) for day in days]
