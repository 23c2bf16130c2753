"""Vouchers (代金券): templates, issuing, revoking and the member's list."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection, and_, case, func, insert, or_, select, update

from evperks.db.tables import stations, voucher_templates, vouchers
from evperks.domain.vouchers import (
    DaysValidity,
    DeductionType,
    Validity,
    VoucherKind,
    VoucherStatus,
    WindowClosed,
    WindowValidity,
    template_name_key,
    template_problems,
    validity_period,
)
from evperks.services import audit_store
from evperks.services.campaigns.usage import template_in_use
from evperks.services.context import Context
from evperks.services.errors import Conflict, Invalid, NotFound, Reason
from evperks.services.lookups import require_member
from evperks.services.pagination import NumberedPage, Page, newest_first, numbered
from evperks.services.vouchers_results import DaysValidityOut, Voucher, VoucherTemplate, WindowValidityOut


@dataclass(frozen=True)
class TemplateSpec:
    name: str
    face_value_fen: int | None  # None for a percent template
    deduction_type: DeductionType
    validity: Validity
    station_ids: tuple[str, ...] = ()
    min_spend_fen: int = 0
    enabled: bool = True
    kind: VoucherKind = VoucherKind.AMOUNT
    percent_off: int | None = None
    max_deduction_fen: int | None = None
    usable_hours: tuple[dict, ...] = ()  # [{"from": "HH:MM", "to": "HH:MM"}], local; empty: any hour
    usable_weekdays: tuple[int, ...] = ()  # ISO 1 (Monday) … 7 (Sunday); empty: any day


def create_template(ctx: Context, spec: TemplateSpec, *, actor: str = "system") -> VoucherTemplate:
    now = ctx.clock.now()
    spec = replace(spec, name=spec.name.strip())
    _check_spec(spec)
    _check_window_open(spec.validity, now)
    with ctx.db.write() as conn:
        _check_name_free(conn, spec.name)
        _check_stations(conn, spec.station_ids)
        template_id = conn.execute(
            insert(voucher_templates).values(**_template_columns(spec), created_at=now, updated_at=now)
        ).inserted_primary_key[0]
        created = _read_template(conn, template_id)
        audit_store.record(conn, actor=actor, action="create", target_type="voucher_template", target_id=template_id,
                           before=None, after=created, at=now)
        return created


def update_template(ctx: Context, template_id: int, changes: dict, *, actor: str = "system") -> VoucherTemplate:
    """Apply ``changes`` (a subset of TemplateSpec's fields). Issued vouchers keep their snapshot."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        before = _read_template(conn, template_id)
        current = _template_row(conn, template_id)
        spec = _spec_from_row(current)
        _refuse_value_changes_in_use(conn, template_id, spec, changes)
        if "name" in changes:
            changes = {**changes, "name": changes["name"].strip()}
        spec = TemplateSpec(**{**spec.__dict__, **changes})
        _check_spec(spec)
        if spec.name != current.name:  # a rename: existing duplicates stay, no new one is made
            _check_name_free(conn, spec.name, template_id=template_id)
        if "validity" in changes:
            _check_window_open(spec.validity, now)
        if "station_ids" in changes:
            _check_stations(conn, spec.station_ids)
        conn.execute(
            update(voucher_templates)
            .where(voucher_templates.c.id == template_id)
            .values(**_template_columns(spec), updated_at=now)
        )
        after = _read_template(conn, template_id)
        audit_store.record_change(conn, actor=actor, action="update", target_type="voucher_template",
                                  target_id=template_id, before=before, after=after, at=now)
        return after


# What a template used by a published campaign keeps (only ``name`` and ``enabled`` change then).
VALUE_FIELDS = ("face_value_fen", "deduction_type", "station_ids", "validity", "min_spend_fen", "kind", "percent_off",
                "max_deduction_fen", "usable_hours", "usable_weekdays")


def locked_fields(ctx: Context, template_id: int) -> tuple[str, ...]:
    """The fields that cannot change now: the value fields while a published campaign uses the template,
    so the console can lock them up front instead of offering them and refusing."""
    with ctx.db.read() as conn:
        return VALUE_FIELDS if template_in_use(conn, template_id) else ()


def _refuse_value_changes_in_use(conn: Connection, template_id: int, spec: TemplateSpec, changes: dict) -> None:
    """A template a published campaign uses keeps what it promises: only its name and enabled change."""
    def same(name: str, value) -> bool:
        current = getattr(spec, name)
        if name in ("station_ids", "usable_weekdays"):
            return sorted(set(value)) == sorted(set(current))
        return tuple(value) == tuple(current) if name == "usable_hours" else value == current

    value_changes = sorted(n for n, v in changes.items() if n in VALUE_FIELDS and not same(n, v))
    if value_changes and template_in_use(conn, template_id):
        raise Conflict.fields([Reason.of(name, "voucher.template_field_locked", "cannot change while a campaign uses the template")
                               for name in value_changes],
                              "the template is used by a campaign: only its name and enabled flag can change",
                              code="voucher.template_in_use")


def get_template(ctx: Context, template_id: int) -> VoucherTemplate:
    with ctx.db.read() as conn:
        return _read_template(conn, template_id)


def list_templates(
    ctx: Context, *, enabled: bool | None = None, limit: int = 50, cursor: str | None = None
) -> Page[VoucherTemplate]:
    with ctx.db.read() as conn:
        rows, next_cursor = newest_first(conn, _templates_query(enabled), voucher_templates.c.id, limit=limit,
                                         cursor=cursor)
        return Page(_with_usage(conn, rows), next_cursor)


def list_templates_numbered(ctx: Context, *, enabled: bool | None = None, name: str | None = None, page: int,
                            size: int) -> NumberedPage[VoucherTemplate]:
    """代金券管理's list: page ``page``, newest first, with the total; ``name`` finds names containing it."""
    with ctx.db.read() as conn:
        rows, counts = numbered(conn, _templates_query(enabled, name), [voucher_templates.c.id.desc()], page=page,
                                size=size)
        return NumberedPage(items=_with_usage(conn, rows), **counts)


def _templates_query(enabled: bool | None, name: str | None = None):
    stmt = select(voucher_templates)
    if enabled is not None:
        stmt = stmt.where(voucher_templates.c.enabled == enabled)
    if name:
        stmt = stmt.where(voucher_templates.c.name.icontains(name, autoescape=True))
    return stmt


def _with_usage(conn: Connection, rows) -> list[VoucherTemplate]:
    counts = _usage_counts(conn, [r.id for r in rows])
    return [template_out(r, counts.get(r.id, (0, 0))) for r in rows]


def issue_manual(
    ctx: Context, *, member_id: str, template_id: int, quantity: int, reason: str, issued_by: str | None
) -> list[Voucher]:
    """客服补发: vouchers given by staff, with the reason recorded on each."""
    if not reason.strip():
        raise Invalid("a reason is required", field="reason", code="reason.required")
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        require_member(conn, member_id)
        template = _template_row(conn, template_id, field="template_id")
        if not template.enabled:
            raise Conflict("the template is disabled", field="template_id", code="voucher.template_disabled")
        ids = issue_from_template(
            conn, ctx, template=template, member_ids=[member_id] * quantity, now=now,
            source_kind="manual", reason=reason.strip(), issued_by=issued_by,
        )
        issued = [_voucher_out(r, now) for r in _voucher_rows(conn, ids)]
        audit_store.record(conn, actor=issued_by or "system", action="issue_vouchers", target_type="member",
                           target_id=member_id, before=None,
                           after={"template_id": template_id, "voucher_ids": ids, "reason": reason.strip()}, at=now)
        return issued


def issue_from_template(
    conn: Connection,
    ctx: Context,
    *,
    template,
    member_ids: list[str],
    now: datetime,
    source_kind: str,
    reason: str | None = None,
    issued_by: str | None = None,
    extra: dict | None = None,
) -> list[int]:
    """Insert one voucher per entry of ``member_ids``, each a snapshot of ``template``, in the caller's
    transaction. A window template whose window has closed is refused (409)."""
    try:
        valid_from, valid_until = template_validity_period(template, now, ctx.zone)
    except WindowClosed as exc:
        raise Conflict("template %(id)s's validity window has ended", field="template_id",
                       code="voucher.template_window_ended", id=template.id) from exc
    row = {**voucher_snapshot(template, valid_from, valid_until, now=now, source_kind=source_kind, reason=reason,
                              issued_by=issued_by), **(extra or {})}
    result = conn.execute(insert(vouchers).returning(vouchers.c.id), [{**row, "member_id": m} for m in member_ids])
    return sorted(result.scalars().all())


def voucher_snapshot(template, valid_from: datetime, valid_until: datetime, *, now: datetime, source_kind: str,
                     reason: str | None = None, issued_by: str | None = None) -> dict:
    """The columns of a new voucher of ``template`` (all but its member): a voucher keeps the template's
    terms as they were when it was issued. Campaign packages insert the same snapshot set-based."""
    return {
        "template_id": template.id,
        "name": template.name,
        "face_value_fen": template.face_value_fen,
        "deduction_type": template.deduction_type,
        "station_ids": template.station_ids,
        "min_spend_fen": template.min_spend_fen,
        "kind": template.kind,
        "percent_off": template.percent_off,
        "max_deduction_fen": template.max_deduction_fen,
        "usable_hours": template.usable_hours,
        "usable_weekdays": template.usable_weekdays,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "status": VoucherStatus.AVAILABLE.value,
        "source_kind": source_kind,
        "reason": reason,
        "issued_by": issued_by,
        "issued_at": now,
    }


def template_validity_period(template, issued_at: datetime, zone) -> tuple[datetime, datetime]:
    """``(valid_from, valid_until)`` of a voucher of ``template`` issued at ``issued_at``; raises
    WindowClosed when its window has ended."""
    return validity_period(_validity_of(template), issued_at, zone)


def revoke_voucher(ctx: Context, *, voucher_id: int, reason: str, actor: str = "system") -> Voucher:
    if not reason.strip():
        raise Invalid("a reason is required", field="reason", code="reason.required")
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        revoked = conn.execute(
            update(vouchers)
            .where(vouchers.c.id == voucher_id, vouchers.c.status.in_(("available", "expired")))
            .values(status="revoked", revoked_at=now, revoke_reason=reason.strip())
        ).rowcount
        rows = _voucher_rows(conn, [voucher_id])
        if not rows:
            raise NotFound("voucher %(id)s does not exist", code="voucher.not_found", id=voucher_id)
        if not revoked:
            raise Conflict("the voucher is %(status)s and can no longer be revoked", status=rows[0].status,
                           code="voucher.already_used" if rows[0].status == "used" else "voucher.already_revoked")
        after = _voucher_out(rows[0], now)
        audit_store.record(conn, actor=actor, action="revoke", target_type="voucher", target_id=voucher_id,
                           before=None, after={"status": "revoked", "reason": reason.strip()}, at=now)
        return after


def list_member_vouchers(
    ctx: Context, *, member_id: str, status: VoucherStatus | None = None, limit: int = 50, cursor: str | None = None
) -> Page[Voucher]:
    """The member's vouchers, newest first. A voucher past its validity reads as expired even before
    the expiry job has stored that."""
    now = ctx.clock.now()
    stmt = select(vouchers).where(vouchers.c.member_id == member_id)
    if status is not None:
        stmt = stmt.where(_status_is(status, now))
    with ctx.db.read() as conn:
        require_member(conn, member_id)
        rows, next_cursor = newest_first(conn, stmt, vouchers.c.id, limit=limit, cursor=cursor)
    return Page([_voucher_out(r, now) for r in rows], next_cursor)


def _status_is(status: VoucherStatus, now: datetime):
    lapsed = and_(vouchers.c.status == "available", vouchers.c.valid_until <= now)
    if status is VoucherStatus.AVAILABLE:
        return and_(vouchers.c.status == "available", vouchers.c.valid_until > now)
    if status is VoucherStatus.EXPIRED:
        return or_(vouchers.c.status == "expired", lapsed)
    return vouchers.c.status == status.value


def effective_status(row, now: datetime) -> str:
    if row.status == "available" and row.valid_until <= now:
        return "expired"
    return row.status


def _voucher_out(row, now: datetime) -> Voucher:
    return Voucher(
        id=row.id,
        template_id=row.template_id,
        name=row.name,
        face_value_fen=row.face_value_fen,
        deduction_type=row.deduction_type,
        station_ids=row.station_ids,
        min_spend_fen=row.min_spend_fen,
        **kind_terms_out(row),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        status=effective_status(row, now),
        source=_source_out(row),
        issued_at=row.issued_at,
        used_order_no=row.used_order_no,
    )


def _source_out(row) -> dict:
    source: dict = {"kind": row.source_kind}
    campaign_id = getattr(row, "campaign_id", None)
    if campaign_id is not None:
        source["campaign_id"] = campaign_id
    if row.reason:
        source["reason"] = row.reason
    return source


def _voucher_rows(conn: Connection, ids: list[int]) -> list:
    return conn.execute(select(vouchers).where(vouchers.c.id.in_(ids)).order_by(vouchers.c.id)).all()


def _template_row(conn: Connection, template_id: int, *, field: str | None = None):
    row = conn.execute(select(voucher_templates).where(voucher_templates.c.id == template_id)).first()
    if row is None:
        if field:
            raise Invalid("voucher template %(id)s does not exist", field=field, code="voucher.template_missing",
                          id=template_id)
        raise NotFound("voucher template %(id)s does not exist", code="voucher.template_not_found", id=template_id)
    return row


def _read_template(conn: Connection, template_id: int) -> VoucherTemplate:
    row = _template_row(conn, template_id)
    return template_out(row, _usage_counts(conn, [template_id]).get(template_id, (0, 0)))


def _usage_counts(conn: Connection, template_ids: list[int]) -> dict[int, tuple[int, int]]:
    if not template_ids:
        return {}
    rows = conn.execute(
        select(
            vouchers.c.template_id,
            func.count(),
            func.sum(case((vouchers.c.status == "used", 1), else_=0)),
        )
        .where(vouchers.c.template_id.in_(template_ids))
        .group_by(vouchers.c.template_id)
    )
    return {t: (int(issued), int(used or 0)) for t, issued, used in rows}


def _check_name_free(conn: Connection, name: str, *, template_id: int | None = None) -> None:
    """No other template has this name (surrounding spaces and letter case ignored): a campaign's voucher
    picker and the lists must tell templates apart. Creates and renames queue on one lock (PostgreSQL;
    SQLite's write lock already serialises them), so two at once cannot both take a name."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(func.hashtext("evperks.voucher_template_names"))))
    key = template_name_key(name)
    for other_id, other_name in conn.execute(select(voucher_templates.c.id, voucher_templates.c.name)):
        if other_id != template_id and template_name_key(other_name) == key:
            raise Invalid("another voucher template (%(id)s) is already named %(name)s", field="name",
                          code="voucher.name_taken", id=other_id, name=other_name)


def _check_stations(conn: Connection, station_ids: tuple[str, ...]) -> None:
    if not station_ids:
        return
    known = set(conn.execute(select(stations.c.id).where(stations.c.id.in_(station_ids))).scalars())
    unknown = [s for s in station_ids if s not in known]
    if unknown:
        raise Invalid("unknown station(s): %(ids)s", field="station_ids", code="station.unknown", ids=", ".join(unknown))


def _check_spec(spec: TemplateSpec) -> None:
    problems = template_problems(name=spec.name, face_value_fen=spec.face_value_fen, validity=spec.validity,
                                 min_spend_fen=spec.min_spend_fen, kind=spec.kind, percent_off=spec.percent_off,
                                 max_deduction_fen=spec.max_deduction_fen, usable_hours=list(spec.usable_hours),
                                 usable_weekdays=list(spec.usable_weekdays))
    if problems:
        raise Invalid.fields(problems, "The voucher template is invalid: " + ", ".join(p.field for p in problems),
                             code="voucher.template_invalid")


def _check_window_open(validity: Validity, now: datetime) -> None:
    if isinstance(validity, WindowValidity) and validity.end <= now:
        raise Invalid("the validity window has already ended", field="validity.end", code="voucher.window_ended")


def _validity_of(row) -> Validity:
    if row.validity_type == "days":
        return DaysValidity(days=row.validity_days)
    return WindowValidity(start=row.window_start, end=row.window_end)


def _spec_from_row(row) -> TemplateSpec:
    return TemplateSpec(
        name=row.name,
        face_value_fen=row.face_value_fen,
        deduction_type=DeductionType(row.deduction_type),
        validity=_validity_of(row),
        station_ids=tuple(row.station_ids),
        min_spend_fen=row.min_spend_fen,
        enabled=row.enabled,
        kind=VoucherKind(row.kind),
        percent_off=row.percent_off,
        max_deduction_fen=row.max_deduction_fen,
        usable_hours=tuple(row.usable_hours or ()),
        usable_weekdays=tuple(row.usable_weekdays or ()),
    )


def _template_columns(spec: TemplateSpec) -> dict:
    days = spec.validity if isinstance(spec.validity, DaysValidity) else None
    window = spec.validity if isinstance(spec.validity, WindowValidity) else None
    return {
        "name": spec.name,
        "face_value_fen": spec.face_value_fen,
        "deduction_type": spec.deduction_type.value,
        "station_ids": sorted(set(spec.station_ids)),
        "validity_type": "days" if days else "window",
        "validity_days": days.days if days else None,
        "window_start": window.start if window else None,
        "window_end": window.end if window else None,
        "min_spend_fen": spec.min_spend_fen,
        "enabled": spec.enabled,
        "kind": spec.kind.value,
        "percent_off": spec.percent_off,
        "max_deduction_fen": spec.max_deduction_fen,
        # NULL, not [], when unrestricted: the set-based issue copies it as it is.
        "usable_hours": [{"from": h["from"], "to": h["to"]} for h in spec.usable_hours] or None,
        "usable_weekdays": sorted(set(spec.usable_weekdays)) or None,
    }


def validity_out(row) -> DaysValidityOut | WindowValidityOut:
    if row.validity_type == "days":
        return DaysValidityOut(type="days", days=row.validity_days)
    return WindowValidityOut(type="window", start=row.window_start, end=row.window_end)


def template_out(row, counts: tuple[int, int]) -> VoucherTemplate:
    return VoucherTemplate(
        id=row.id,
        name=row.name,
        face_value_fen=row.face_value_fen,
        deduction_type=row.deduction_type,
        station_ids=row.station_ids,
        validity=validity_out(row),
        min_spend_fen=row.min_spend_fen,
        **kind_terms_out(row),
        enabled=row.enabled,
        issued_count=counts[0],
        used_count=counts[1],
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def kind_terms_out(row) -> dict:
    """A template's or voucher's kind and usage windows as the API shows them ([] when unrestricted)."""
    return {"kind": row.kind, "percent_off": row.percent_off, "max_deduction_fen": row.max_deduction_fen,
            "usable_hours": list(row.usable_hours or []), "usable_weekdays": list(row.usable_weekdays or [])}
