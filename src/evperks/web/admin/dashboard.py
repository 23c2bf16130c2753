"""首页: the dashboard."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from evperks.web.admin.auth import StaffDep, page

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("")
def dashboard(request: Request, staff: StaffDep) -> Response:
    return page(request, staff, "admin/dashboard.html", nav="home")
