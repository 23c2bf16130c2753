"""会员属性查找: the member search shared by the admin list and campaign binding ("all results")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, select, true

from evperks.db.tables import member_tags, members


@dataclass(frozen=True)
class MemberFilter:
    phone: str | None = None  # a prefix of the 11 digits
    registered_from: datetime | None = None  # [from, to)
    registered_to: datetime | None = None
    tag: str | None = None
    min_charge_count: int | None = None
    min_total_wh: int | None = None
    min_total_paid_fen: int | None = None
    invited: bool | None = None  # True: registered through someone's invite

    def where(self) -> ColumnElement[bool]:
        clauses: list[ColumnElement[bool]] = []
        if self.phone:
            clauses.append(members.c.phone.startswith(self.phone, autoescape=True))
        if self.registered_from is not None:
            clauses.append(members.c.registered_at >= self.registered_from)
        if self.registered_to is not None:
            clauses.append(members.c.registered_at < self.registered_to)
        if self.tag:
            clauses.append(
                exists(
                    select(member_tags.c.member_id).where(
                        member_tags.c.member_id == members.c.id, member_tags.c.tag == self.tag
                    )
                )
            )
        if self.min_charge_count is not None:
            clauses.append(members.c.charge_count >= self.min_charge_count)
        if self.min_total_wh is not None:
            clauses.append(members.c.total_wh >= self.min_total_wh)
        if self.min_total_paid_fen is not None:
            clauses.append(members.c.total_paid_fen >= self.min_total_paid_fen)
        if self.invited is True:
            clauses.append(members.c.invited_by.is_not(None))
        elif self.invited is False:
            clauses.append(members.c.invited_by.is_(None))
        return and_(true(), *clauses)
