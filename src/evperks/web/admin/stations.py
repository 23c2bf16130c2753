"""站点: the stations vouchers and orders refer to. They normally arrive from the charging platform's API;
this page lists them and lets staff add or correct one by hand."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from evperks.api.errors import status_of
from evperks.api.params import PathId
from evperks.api.schemas import ID_PATTERN
from evperks.services import stations
from evperks.services.errors import Conflict, Invalid, ServiceError
from evperks.web import forms
from evperks.web.admin.auth import ChangerDep, Staff, StaffDep, page
from evperks.web.admin.replies import done_message, missing, redirect

router = APIRouter(prefix="/admin/stations", include_in_schema=False)

PAGE_SIZE = 50
STATION_ID = re.compile(ID_PATTERN)  # the platform API's ids (their length is checked as text, ≤ 64)
DONE = {"created": "Station added.", "saved": "Station saved."}


def _list_page(request: Request, staff: Staff, *, values: dict | None = None, errors: dict | None = None,
               status: int = 200) -> Response:
    ctx = request.app.state.ctx
    try:
        found = stations.list_stations(ctx, limit=PAGE_SIZE, cursor=request.query_params.get("cursor") or None)
    except Invalid:  # a cursor that is not ours
        return redirect("/admin/stations")
    return page(request, staff, "admin/stations/list.html", status=status, nav="stations", stations=found["items"],
                next_cursor=found["next_cursor"], values=values or {}, errors=errors or {},
                flash=done_message(request, staff.locale, DONE))


@router.get("")
def station_list(request: Request, staff: StaffDep) -> Response:
    return _list_page(request, staff)


@router.get("/{station_id}/edit")
def edit_form(request: Request, station_id: PathId, staff: ChangerDep) -> Response:
    station = stations.get_station(request.app.state.ctx, station_id)
    if station is None:
        return missing(request, staff, nav="stations")
    return page(request, staff, "admin/stations/edit.html", nav="stations", station=station, values=station, errors={})


@router.post("")
async def add(request: Request, staff: ChangerDep) -> Response:
    return await run_in_threadpool(_add, request, staff, await request.form())


def _station_fields(form: FormData, fields: forms.Fields) -> tuple[str | None, str | None]:
    name = fields.take(forms.text, form.get("name"), "name", required=True)
    city = fields.take(forms.text, form.get("city"), "city")
    return name, city


def _add(request: Request, staff: Staff, form: FormData) -> Response:
    """A new station; an id that already exists is refused (edit that station instead)."""
    ctx = request.app.state.ctx
    try:
        fields = forms.Fields()
        station_id = fields.take(forms.text, form.get("id"), "id", required=True, max_length=64)
        if station_id and not STATION_ID.fullmatch(station_id):
            fields.refuse("id", "station.id_characters", "Letters, digits and - . _ ~ * : @ ! $ ( ) , ; = only, and not . or .. alone")
        name, city = _station_fields(form, fields)
        fields.check()
        if stations.get_station(ctx, station_id) is not None:
            raise Conflict("A station with this id already exists", field="id", code="station.id_taken")
        stations.upsert_station(ctx, station_id=station_id, name=name, city=city, actor=staff.username)
    except ServiceError as exc:
        values = {k: v for k, v in form.items() if k != "csrf_token"}
        return _list_page(request, staff, values=values, errors=forms.error_messages(exc, staff.locale),
                          status=status_of(exc))
    return redirect("/admin/stations?done=created")


@router.post("/{station_id}")
async def save(request: Request, station_id: PathId, staff: ChangerDep) -> Response:
    return await run_in_threadpool(_save, request, station_id, staff, await request.form())


def _save(request: Request, station_id: str, staff: Staff, form: FormData) -> Response:
    ctx = request.app.state.ctx
    station = stations.get_station(ctx, station_id)
    if station is None:
        return missing(request, staff, nav="stations")
    try:
        fields = forms.Fields()
        name, city = _station_fields(form, fields)
        fields.check()
        stations.upsert_station(ctx, station_id=station_id, name=name, city=city, actor=staff.username)
    except ServiceError as exc:
        values = {"id": station_id, **{k: v for k, v in form.items() if k != "csrf_token"}}
        return page(request, staff, "admin/stations/edit.html", status=status_of(exc), nav="stations", station=station,
                    values=values, errors=forms.error_messages(exc, staff.locale))
    return redirect(f"/admin/stations?done=saved#{quote(station_id)}")
