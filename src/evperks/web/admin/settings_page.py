"""What 积分管理 and 储值管理 share: one settings form that everyone signed in reads and only admins save.

A save passes the admin's username to the service (the audit log's "who"); a refusal shows the form again
with what was typed and each message beside its field (422); a success redirects to the page (303).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from evperks.services.context import Context
from evperks.services.errors import Invalid
from evperks.web import forms
from evperks.web.admin.auth import ConfigurerDep, Staff, StaffDep, page
from evperks.web.admin.replies import done_message, redirect


@dataclass(frozen=True)
class SettingsPage:
    path: str
    template: str
    nav: str
    saved: str  # the flash after a save (an English msgid)
    get: Callable[[Context], dict]
    put: Callable[..., dict]
    values_of: Callable[[dict], dict]  # saved settings → what the form shows
    typed: Callable[[FormData], dict]  # the posted form → what it shows again
    parse: Callable[[FormData], dict]  # the posted form → ``put``'s keyword arguments, or Invalid
    form_names: Callable[[FormData], dict[str, str]] = lambda _form: {}  # service field → form field
    extra: Callable[[Context], dict] = lambda _ctx: {}  # more the template needs

    def router(self) -> APIRouter:
        """GET shows the page to anyone signed in; POST saves it, for admins only (with the CSRF token)."""
        router = APIRouter(prefix=self.path, include_in_schema=False)

        @router.get("")
        def show(request: Request, staff: StaffDep) -> Response:
            return self.show(request, staff)

        @router.post("")
        async def save(request: Request, staff: ConfigurerDep) -> Response:
            return await self.save(request, staff)

        return router

    def show(self, request: Request, staff: Staff) -> Response:
        current = self.get(request.app.state.ctx)
        flash = done_message(request, staff.locale, {"saved": self.saved})
        return self._render(request, staff, current, self.values_of(current), {}, flash=flash)

    async def save(self, request: Request, staff: Staff) -> Response:
        form = await request.form()
        ctx = request.app.state.ctx
        try:
            arguments = self.parse(form)
            await run_in_threadpool(lambda: self.put(ctx, actor=staff.username, **arguments))
        except Invalid as exc:
            errors = forms.error_messages(exc, staff.locale, self.form_names(form))
            current = await run_in_threadpool(self.get, ctx)
            return self._render(request, staff, current, self.typed(form), errors, status=422)
        return redirect(f"{self.path}?done=saved")

    def _render(self, request: Request, staff: Staff, current: dict, values: dict, errors: dict, *,
                status: int = 200, flash: str | None = None) -> Response:
        return page(request, staff, self.template, status=status, nav=self.nav, current=current, values=values,
                    errors=errors, flash=flash, editable=staff.is_admin, **self.extra(request.app.state.ctx))
