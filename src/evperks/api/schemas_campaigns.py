"""Bodies of the admin campaign API (活动管理). A draft may be incomplete: publishing names what is missing."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StrictInt, model_validator

from evperks.api.schemas import MAX_FEN, Body, Fen, Id, Instant, RowId, text
from evperks.domain import campaigns as domain
from evperks.services.campaigns.types import CAMPAIGN_TYPES


def _registered(name: str) -> str:
    if name not in CAMPAIGN_TYPES:
        raise ValueError(f"Input should be one of the campaign types: {', '.join(CAMPAIGN_TYPES)}")
    return name


# One of the registered types (services.campaigns.types), as the registry says when asked; the other
# choices come from the domain's enums.
CampaignType = Annotated[str, AfterValidator(_registered),
                         Field(json_schema_extra=lambda schema: schema.update(enum=list(CAMPAIGN_TYPES)))]
CampaignStatus = Literal[tuple(status.value for status in domain.Status)]
EndedReason = Literal[tuple(reason.value for reason in domain.EndedReason)]
Metric = Literal[tuple(metric.value for metric in domain.Metric)]
SmallInt = Annotated[StrictInt, Field(ge=0, le=10**9)]
# kWh (metric energy: a number or decimal string, ≤ 3 decimals) or whole fen (metric amount).
Amount = Annotated[Annotated[StrictInt, Field(ge=0, le=MAX_FEN)] | Annotated[str, Field(max_length=20)] | float,
                   Field(description="kWh (energy, ≤ 3 decimals) or fen (amount)")]


class RewardItem(Body):
    template_id: RowId
    quantity: SmallInt = Field(description="1 to 100 vouchers of the template per package")


class Tier(Body):
    """``min_amount_fen`` for recharge tiers, ``threshold`` for consumption tiers."""

    min_amount_fen: Fen | None = None
    threshold: Amount | None = None
    reward: Annotated[list[RewardItem], Field(max_length=20)] = []


class CampaignFields(Body):
    name: text(0, 100) | None = None
    start_at: Instant | None = None
    end_at: Instant | None = None
    issue_at: Instant | None = Field(default=None, description="one_time only; defaults to start_at")
    rules_text: text(0, 5000) | None = None
    total_packages: Annotated[StrictInt, Field(ge=0, le=10**9)] | None = None
    reward: Annotated[list[RewardItem], Field(max_length=20)] | None = None
    tiers: Annotated[list[Tier], Field(max_length=50)] | None = None
    metric: Metric | None = None
    progress_reminder: Amount | None = None
    countdown_days: Annotated[StrictInt, Field(ge=0, le=3650)] | None = None
    min_first_charge_kwh: Annotated[str, Field(max_length=20)] | StrictInt | float | None = Field(
        default=None, description="referral only: the invitee's qualifying order charges at least this (≤ 3 decimals)")
    min_first_charge_paid_fen: Annotated[StrictInt, Field(ge=0, le=MAX_FEN)] | None = Field(
        default=None, description="referral only: … and its member paid at least this (after voucher and points)")
    max_rewards_per_inviter: Annotated[StrictInt, Field(ge=0, le=10**9)] | None = Field(
        default=None, description="referral only: at most this many rewards per inviter from this campaign")


class CampaignIn(CampaignFields):
    type: CampaignType


class CampaignPatch(CampaignFields):
    """Only the fields sent change; on a draft ``null`` clears a field."""

    type: CampaignType | None = None


class CampaignOut(BaseModel):
    id: int
    name: str | None
    type: CampaignType
    status: CampaignStatus
    ended_reason: EndedReason | None
    start_at: datetime | None
    end_at: datetime | None
    issue_at: datetime | None
    rules_text: str | None
    total_packages: int | None
    packages_given: int
    packages_left: int | None
    reward: list[dict]
    tiers: list[dict]
    metric: Metric | None
    progress_reminder: int | str | None
    countdown_days: int | None
    min_first_charge_kwh: str | None
    min_first_charge_paid_fen: int | None
    max_rewards_per_inviter: int | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    ended_at: datetime | None


class CampaignPage(BaseModel):
    items: list[CampaignOut]
    next_cursor: str | None


class MemberSearch(Body):
    """The admin member search (GET /api/v1/admin/members), as a body."""

    phone: Annotated[str, Field(max_length=11, pattern=r"^\d+$")] | None = None
    registered_from: Instant | None = None
    registered_to: Instant | None = None
    tag: text(1, 50) | None = None
    min_charge_count: Annotated[StrictInt, Field(ge=0, le=10**9)] | None = None
    min_total_kwh: Annotated[Decimal, Field(ge=0)] | None = None
    min_total_paid_fen: Annotated[StrictInt, Field(ge=0, le=MAX_FEN)] | None = None
    invited: bool | None = None


class BindIn(Body):
    """Either ``member_ids`` or ``filter`` (every member the search finds)."""

    member_ids: Annotated[list[Id], Field(min_length=1, max_length=10_000)] | None = None
    filter: MemberSearch | None = None

    @model_validator(mode="after")
    def _one_of(self) -> BindIn:
        if (self.member_ids is None) == (self.filter is None):
            raise ValueError("give either member_ids or filter")
        return self


class UnbindIn(Body):
    """Exactly one of ``member_ids``, ``filter`` (every bound member the search finds) or ``all: true``
    (every bound member)."""

    member_ids: Annotated[list[Id], Field(min_length=1, max_length=10_000)] | None = None
    filter: MemberSearch | None = None
    all: Literal[True] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> UnbindIn:
        if [self.member_ids, self.filter, self.all].count(None) != 2:
            raise ValueError("give exactly one of member_ids, filter or all")
        return self


class BindOut(BaseModel):
    bound: int
    total: int


class UnbindOut(BaseModel):
    unbound: int
    total: int


class BoundMember(BaseModel):
    member_id: str
    phone: str
    nickname: str
    bound_at: datetime


class BoundPage(BaseModel):
    items: list[BoundMember]
    next_cursor: str | None


class CampaignStats(BaseModel):
    packages_given: int
    packages_left: int | None
    vouchers_issued: int
    vouchers_used: int
    deduction_fen: int
    participants: int
    status: CampaignStatus
    ended_reason: EndedReason | None


class PublishWarning(BaseModel):
    """Publishing goes ahead but the operator should know: ``campaign.never_pays``, ``campaign.pays_after``,
    ``campaign.outranks`` (another referral campaign pays first, or this one does), ``campaign.packages_short``
    (a one-time grant with more bound members than packages)."""

    code: str
    message: str
    params: dict


class PublishedOut(CampaignOut):
    warnings: list[PublishWarning]


class PublishCheck(BaseModel):
    warnings: list[PublishWarning]
    bound_members: int | None
    total_packages: int | None
    packages_to_give: int | None
    shortfall: int
    package_value_fen: int
    exposure_fen: int
