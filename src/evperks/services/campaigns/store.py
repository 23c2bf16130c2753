"""The campaign rows: reads and writes that run inside the caller's transaction (they take ``conn``, never
``ctx``, and never commit). The use cases in ``lifecycle`` and ``binding`` open the one transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Select, delete, exists, insert, select, update

from evperks.db.schedule import enqueue
from evperks.db.tables import campaign_members, campaigns, voucher_templates
from evperks.domain.campaigns import LIVE, Campaign, Status
from evperks.services import audit_store
from evperks.services.campaigns.jobkeys import task_key
from evperks.services.campaigns.model import CampaignOut, campaign_out
from evperks.services.errors import NotFound
from evperks.services.pagination import newest_first


def read_row(conn: Connection, campaign_id: int, *, lock: bool = False):
    """The stored row (locked for the transaction with ``lock``); NotFound when there is none."""
    stmt = select(campaigns).where(campaigns.c.id == campaign_id)
    row = conn.execute(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise not_found(campaign_id)
    return row


def read(conn: Connection, campaign_id: int, *, lock: bool = False) -> tuple[Campaign, CampaignOut]:
    """The campaign as a domain value and as the API shows it."""
    row = read_row(conn, campaign_id, lock=lock)
    return Campaign.from_row(row), campaign_out(row)


def find(conn: Connection, campaign_id: int) -> Campaign | None:
    row = conn.execute(select(campaigns).where(campaigns.c.id == campaign_id)).first()
    return None if row is None else Campaign.from_row(row)


def newest_rows(conn: Connection, *, type: str | None, status: str | None, limit: int, cursor: str | None):
    """A page of rows of the type and status given (any when None), newest first, and the next cursor."""
    return newest_first(conn, campaigns_query(type=type, status=status), campaigns.c.id, limit=limit, cursor=cursor)


def campaigns_query(*, type: str | None, status: str | None, name: str | None = None) -> Select:
    """Campaigns of the type and status given (any when None) whose name contains ``name``."""
    stmt = select(campaigns)
    if type:
        stmt = stmt.where(campaigns.c.type == type)
    if status:
        stmt = stmt.where(campaigns.c.status == status)
    if name:
        stmt = stmt.where(campaigns.c.name.icontains(name, autoescape=True))
    return stmt


def not_found(campaign_id: int) -> NotFound:
    return NotFound("campaign %(id)s does not exist", code="campaign.not_found", id=campaign_id)


def insert_draft(conn: Connection, columns: dict, *, now: datetime) -> int:
    return conn.execute(
        insert(campaigns).values(**columns, status=Status.DRAFT, created_at=now, updated_at=now)
    ).inserted_primary_key[0]


def delete_draft(conn: Connection, campaign_id: int) -> None:
    """The draft and its bound members (a draft has no packages, progress or jobs)."""
    conn.execute(delete(campaign_members).where(campaign_members.c.campaign_id == campaign_id))
    conn.execute(delete(campaigns).where(campaigns.c.id == campaign_id, campaigns.c.status == Status.DRAFT))


def write_draft(conn: Connection, campaign_id: int, columns: dict, *, now: datetime) -> None:
    if columns:
        conn.execute(update(campaigns).where(campaigns.c.id == campaign_id).values(**columns, updated_at=now))


def write_published_change(conn: Connection, campaign_id: int, changed: dict, *, now: datetime) -> bool:
    """One guarded UPDATE: the campaign still live and, for a new budget, never below what was given.
    False when the row no longer qualifies (changed meanwhile)."""
    stmt = update(campaigns).where(campaigns.c.id == campaign_id, campaigns.c.status.in_(LIVE))
    if "total_packages" in changed:
        stmt = stmt.where(campaigns.c.packages_given <= changed["total_packages"])
    return conn.execute(stmt.values(**changed, updated_at=now)).rowcount == 1


def mark_published(conn: Connection, campaign_id: int, *, status: Status, issue_at: datetime | None,
                   now: datetime) -> None:
    conn.execute(
        update(campaigns).where(campaigns.c.id == campaign_id)
        .values(status=status, issue_at=issue_at, published_at=now, updated_at=now)
    )


def start_if_due(conn: Connection, campaign_id: int, *, now: datetime) -> bool:
    """Scheduled → active once its start has come; False when it was not (or no longer) due."""
    return conn.execute(
        update(campaigns)
        .where(campaigns.c.id == campaign_id, campaigns.c.status == Status.SCHEDULED, campaigns.c.start_at <= now)
        .values(status=Status.ACTIVE, updated_at=now)
    ).rowcount == 1


def has_members(conn: Connection, campaign_id: int) -> bool:
    return bool(conn.execute(select(exists().where(campaign_members.c.campaign_id == campaign_id))).scalar())


def templates_by_id(conn: Connection, ids: set[int]) -> dict:
    return {r.id: r for r in conn.execute(select(voucher_templates).where(voucher_templates.c.id.in_(ids)))}


def schedule(conn: Connection, kind: str, campaign_id: int, run_at: datetime) -> None:
    """A job of ``kind`` for the campaign at ``run_at`` (unique by task key and instant)."""
    enqueue(conn, kind=kind, task_key=task_key(kind, campaign_id), run_at=run_at, payload={"campaign_id": campaign_id})


def audited(conn: Connection, campaign_id: int, action: str, before: CampaignOut | None, *, actor: str,
            now: datetime) -> CampaignOut:
    """The campaign as it is now, after recording the change in the audit log."""
    after = campaign_out(read_row(conn, campaign_id))
    audit_store.record_change(conn, actor=actor, action=action, target_type="campaign", target_id=campaign_id,
                              before=None if before is None else before.as_dict(), after=after.as_dict(), at=now)
    return after
