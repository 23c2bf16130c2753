"""积分商城 items: operators create, change, enable and list them; members see what they can exchange now.

Every change is checked by the domain's rules (``domain.mall.item_problems``) and, for the reward, by
the templates it names (they must exist, be enabled and still be issuable), and audited in its own
transaction. A stock change keeps what was already exchanged: ``stock_left`` moves by the same amount.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from evperks.db.tables import voucher_templates
from evperks.db.tables_mall import mall_items
from evperks.domain.mall import ItemSpec, item_problems
from evperks.domain.reasons import Reason
from evperks.services import audit_store
from evperks.services.context import Context
from evperks.services.errors import Invalid, NotFound
from evperks.services.lookups import require_member
from evperks.services.mall import store
from evperks.services.mall.results import MallItem, MallItemPage, MallOffer, MallOfferPage, OfferVoucher, RewardLine
from evperks.services.pagination import newest_first

I = mall_items.c
SPEC_FIELDS = tuple(f.name for f in dataclasses.fields(ItemSpec))


def create_item(ctx: Context, spec: ItemSpec, *, actor: str = "system") -> MallItem:
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        _check(conn, spec, now, reward_changed=True)
        item_id = conn.execute(insert(mall_items).values(
            **_columns(spec), stock_left=spec.stock, created_at=now, updated_at=now)).inserted_primary_key[0]
        created = _read(conn, item_id)
        audit_store.record(conn, actor=actor, action="create", target_type="mall_item", target_id=item_id,
                           before=None, after=created, at=now)
        return created


def update_item(ctx: Context, item_id: int, changes: dict, *, actor: str = "system") -> MallItem:
    """Apply ``changes`` (a subset of ItemSpec's fields; ``per_member_limit``, ``start_at`` and ``end_at``
    may be None). The stock may not fall below what was already exchanged."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        row = store.item_row(conn, item_id, lock=True)
        before = _item_out(row)
        spec = dataclasses.replace(_spec_of(row), **changes)
        _check(conn, spec, now, reward_changed="reward" in changes)
        exchanged = row.stock - row.stock_left
        if spec.stock < exchanged:
            raise Invalid("must be at least %(exchanged)s, the number already exchanged", field="stock",
                          code="mall.stock_below_exchanged", exchanged=exchanged)
        conn.execute(update(mall_items).where(I.id == item_id)
                     .values(**_columns(spec), stock_left=spec.stock - exchanged, updated_at=now))
        after = _read(conn, item_id)
        audit_store.record_change(conn, actor=actor, action="update", target_type="mall_item", target_id=item_id,
                                  before=before, after=after, at=now)
        return after


def get_item(ctx: Context, item_id: int) -> MallItem:
    with ctx.db.read() as conn:
        return _read(conn, item_id)


def list_items(ctx: Context, *, enabled: bool | None = None, limit: int = 50, cursor: str | None = None) -> MallItemPage:
    query = select(mall_items) if enabled is None else select(mall_items).where(I.enabled == enabled)
    with ctx.db.read() as conn:
        rows, next_cursor = newest_first(conn, query, I.id, limit=limit, cursor=cursor)
    return MallItemPage(items=[_item_out(r) for r in rows], next_cursor=next_cursor)


def list_offers(ctx: Context, *, member_id: str | None = None, limit: int = 50,
                cursor: str | None = None) -> MallOfferPage:
    """What members can exchange now (enabled, inside the window, stock left), newest first; with a
    member, how often they already exchanged each."""
    now = ctx.clock.now()
    query = select(mall_items).where(store.open_now(now), I.stock_left >= 1)
    with ctx.db.read() as conn:
        if member_id is not None:
            require_member(conn, member_id)
        rows, next_cursor = newest_first(conn, query, I.id, limit=limit, cursor=cursor)
        return MallOfferPage(items=_offers(conn, rows, member_id), next_cursor=next_cursor)


def get_offer(ctx: Context, item_id: int, *, member_id: str) -> MallOffer:
    """One item as the member sees it, whether or not it can be exchanged now (a member's page shows why
    not); 404 for an unknown item or one that is off sale."""
    with ctx.db.read() as conn:
        row = store.item_row(conn, item_id)
        if not row.enabled:
            raise NotFound("mall item %(id)s does not exist", code="mall.item_not_found", id=item_id)
        return _offers(conn, [row], member_id)[0]


def _offers(conn: Connection, rows: list, member_id: str | None) -> list[MallOffer]:
    names = _templates(conn, {line["template_id"] for r in rows for line in r.reward})
    done = store.exchanged_by(conn, member_id, [r.id for r in rows]) if member_id is not None else {}
    return [
        MallOffer(id=r.id, name=r.name, vouchers=[_offer_voucher(line, names) for line in r.reward],
                  points_price=r.points_price, stock_left=r.stock_left, per_member_limit=r.per_member_limit,
                  start_at=r.start_at, end_at=r.end_at,
                  member_exchanged=done.get(r.id, 0) if member_id is not None else None)
        for r in rows
    ]


def _spec_of(row) -> ItemSpec:
    return ItemSpec(name=row.name, reward=tuple((line["template_id"], line["quantity"]) for line in row.reward),
                    points_price=row.points_price, stock=row.stock, per_member_limit=row.per_member_limit,
                    start_at=row.start_at, end_at=row.end_at, enabled=row.enabled)


def _check(conn: Connection, spec: ItemSpec, now: datetime, *, reward_changed: bool) -> None:
    problems = item_problems(spec)
    if reward_changed and not any(p.field.startswith("reward") for p in problems):
        problems += _template_problems(conn, spec, now)
    if problems:
        raise Invalid.fields(problems, "The mall item is invalid: " + ", ".join(p.field for p in problems),
                             code="mall.item_invalid")


def _template_problems(conn: Connection, spec: ItemSpec, now: datetime) -> list[Reason]:
    """Each reward template must exist, be enabled and still be issuable (its window not closed)."""
    templates = _templates(conn, {template_id for template_id, _ in spec.reward})
    problems = []
    for i, (template_id, _) in enumerate(spec.reward):
        field, template = f"reward.{i}.template_id", templates.get(template_id)
        if template is None:
            problems.append(Reason.of(field, "mall.template_missing", "voucher template %(id)s does not exist",
                                      id=template_id))
        elif not template.enabled:
            problems.append(Reason.of(field, "mall.template_disabled", "voucher template %(id)s is disabled",
                                      id=template_id))
        elif template.validity_type == "window" and template.window_end <= now:
            problems.append(Reason.of(field, "mall.template_window_closed",
                                      "voucher template %(id)s's validity window has ended", id=template_id))
    return problems


def _templates(conn: Connection, ids: set[int]) -> dict:
    if not ids:
        return {}
    return {t.id: t for t in conn.execute(select(voucher_templates).where(voucher_templates.c.id.in_(ids)))}


def _offer_voucher(line: dict, templates: dict) -> OfferVoucher:
    t = templates.get(line["template_id"])
    if t is None:  # a template deleted under the item: the line still shows, worth nothing
        return OfferVoucher(template_id=line["template_id"], quantity=line["quantity"], name="", face_value_fen=0,
                            kind="amount", percent_off=None, max_deduction_fen=None, deduction_type="total")
    return OfferVoucher(template_id=t.id, quantity=line["quantity"], name=t.name, face_value_fen=t.face_value_fen,
                        kind=t.kind, percent_off=t.percent_off, max_deduction_fen=t.max_deduction_fen,
                        deduction_type=t.deduction_type)


def _columns(spec: ItemSpec) -> dict:
    return {"name": spec.name.strip(), "reward": spec.reward_lines(), "points_price": spec.points_price,
            "stock": spec.stock, "per_member_limit": spec.per_member_limit, "start_at": spec.start_at,
            "end_at": spec.end_at, "enabled": spec.enabled}


def _read(conn: Connection, item_id: int) -> MallItem:
    return _item_out(store.item_row(conn, item_id))


def _item_out(row) -> MallItem:
    return MallItem(id=row.id, name=row.name, reward=[RewardLine(**line) for line in row.reward],
                    points_price=row.points_price, stock=row.stock, stock_left=row.stock_left,
                    per_member_limit=row.per_member_limit, start_at=row.start_at, end_at=row.end_at,
                    enabled=row.enabled, exchanges=row.stock - row.stock_left, created_at=row.created_at,
                    updated_at=row.updated_at)
