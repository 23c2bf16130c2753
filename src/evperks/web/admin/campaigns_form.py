"""创建活动 / 编辑活动: the campaign form as typed ↔ the fields ``services.campaigns.lifecycle`` takes.

Forms speak yuan and the operator's wall time; the service takes fen and instants, and turns kWh
into Wh itself (so kWh passes through as typed). Everything typed is kept as text,
so a refused form shows exactly what was typed. Field names follow the service's error paths
(``reward.0.quantity``, ``tiers.1.reward.0.template_id``) so its errors land beside the right input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from evperks.domain.campaigns import Metric
from evperks.services.campaigns.lifecycle import PUBLISHED_EDITABLE
from evperks.services.campaigns.types import CAMPAIGN_TYPES, CampaignType
from evperks.services.errors import Reason, ServiceError
from evperks.web import forms
from evperks.web.admin import campaign_refusals


@dataclass
class CampaignForm:
    type: str
    values: dict[str, str] = field(default_factory=dict)
    reward: list[dict[str, str]] = field(default_factory=list)
    tiers: list[dict] = field(default_factory=list)

    @property
    def kind(self) -> CampaignType:
        """The type's facts: which fields its form has and in which unit."""
        return CAMPAIGN_TYPES[self.type]

    @property
    def tiered(self) -> bool:
        return self.kind.TIER_KEY is not None

    @property
    def safeguarded(self) -> bool:
        """Whether the type takes the referral safeguards (its form shows them)."""
        return bool(getattr(self.kind, "SAFEGUARD_FIELDS", ()))

    # --- building ----------------------------------------------------------------------------------

    @classmethod
    def blank(cls, campaign_type: str) -> CampaignForm:
        form = cls(type=campaign_type)
        return form.edited("add:tiers") if form.tiered else form.edited("add:reward")

    @classmethod
    def typed(cls, campaign_type: str, data) -> CampaignForm:
        """From the posted form (a starlette FormData or any mapping of str)."""
        values = {name: (data.get(name) or "").strip() for name in (*_SIMPLE, "min_first_charge_paid")}
        values["rules_text"] = (data.get("rules_text") or "").strip()
        rows: dict[tuple, dict[str, str]] = {}
        tiers: dict[int, dict] = {}
        for key in data.keys():
            if m := _REWARD_KEY.fullmatch(key):
                rows.setdefault((None, int(m["row"])), {})[m["part"]] = (data.get(key) or "").strip()
            elif m := _TIER_REWARD_KEY.fullmatch(key):
                rows.setdefault((int(m["tier"]), int(m["row"])), {})[m["part"]] = (data.get(key) or "").strip()
                tiers.setdefault(int(m["tier"]), {"amount": ""})
            elif m := _TIER_KEY.fullmatch(key):
                tiers.setdefault(int(m["tier"]), {})["amount"] = (data.get(key) or "").strip()
        form = cls(type=campaign_type, values=values)
        form.reward = [_row(rows[k]) for k in sorted(k for k in rows if k[0] is None)]
        form.tiers = [
            {"amount": tiers[t].get("amount", ""),
             "reward": [_row(rows[k]) for k in sorted(k for k in rows if k[0] == t)]}
            for t in sorted(tiers)
        ]
        return form

    @classmethod
    def of(cls, campaign: dict, zone) -> CampaignForm:
        """A stored campaign (``campaign_out``) as the text its form shows."""
        kind = CAMPAIGN_TYPES[campaign["type"]]
        amount_in_yuan = (kind.AMOUNTS_IN or campaign["metric"]) == Metric.AMOUNT

        def amount(value) -> str:
            if value is None:
                return ""
            return forms.for_display(value) if amount_in_yuan and isinstance(value, int) else str(value)

        values = {name: "" if campaign.get(name) is None else str(campaign[name]) for name in _SIMPLE}
        for name in ("start_at", "end_at", "issue_at"):
            values[name] = forms.wall_time(campaign[name], zone)
        values["progress_reminder"] = amount(campaign["progress_reminder"])
        values["min_first_charge_paid"] = forms.for_display(campaign.get("min_first_charge_paid_fen"))
        values["rules_text"] = campaign["rules_text"] or ""
        tiers = [{"amount": amount(tier.get(kind.TIER_KEY)),
                  "reward": [_row(item) for item in tier.get("reward") or []]} for tier in campaign["tiers"]]
        return cls(type=campaign["type"], values=values, reward=[_row(item) for item in campaign["reward"]],
                   tiers=tiers)

    def edited(self, command: str) -> CampaignForm:
        """Add or remove a row: ``add:reward``, ``add:tiers``, ``add:tiers.0.reward``, ``remove:reward.1``,
        ``remove:tiers.0``, ``remove:tiers.0.reward.1``. Unknown commands change nothing."""
        action, _, path = command.partition(":")
        reward = [dict(r) for r in self.reward]
        tiers = [{"amount": t["amount"], "reward": [dict(r) for r in t["reward"]]} for t in self.tiers]
        parts = path.split(".")
        try:
            if action == "add" and path == "reward":
                reward.append(_row({}))
            elif action == "add" and path == "tiers":
                tiers.append({"amount": "", "reward": [_row({})]})
            elif action == "add" and len(parts) == 3 and parts[0] == "tiers":
                tiers[int(parts[1])]["reward"].append(_row({}))
            elif action == "remove" and len(parts) == 2 and parts[0] == "reward":
                del reward[int(parts[1])]
            elif action == "remove" and len(parts) == 2 and parts[0] == "tiers":
                del tiers[int(parts[1])]
            elif action == "remove" and len(parts) == 4 and parts[0] == "tiers":
                del tiers[int(parts[1])]["reward"][int(parts[3])]
        except (ValueError, IndexError):
            pass
        return replace(self, reward=reward, tiers=tiers)

    def compacted(self) -> CampaignForm:
        """Without the rows left blank (no template chosen, no amount typed), so the row numbers the
        service names in its errors are the rows shown again."""
        tiers = []
        for tier in self.tiers:
            rows = [r for r in tier["reward"] if r["template_id"]]
            if tier["amount"] or rows:
                tiers.append({"amount": tier["amount"], "reward": rows})
        return replace(self, reward=[r for r in self.reward if r["template_id"]], tiers=tiers)

    # --- to the service ----------------------------------------------------------------------------

    def fields(self, zone) -> tuple[dict, dict[str, str]]:
        """Every field this type has, as the service takes it (``None`` where left empty), and the
        inputs that could not be read (field → msgid)."""
        f = forms.Fields()
        v = self.values
        fields: dict = {
            "name": f.take(forms.text, v["name"], "name", max_length=100) or None,
            "start_at": f.take(forms.local_datetime, v["start_at"], "start_at", zone),
            "end_at": f.take(forms.local_datetime, v["end_at"], "end_at", zone),
            "rules_text": f.take(forms.text, v["rules_text"], "rules_text", max_length=5000) or None,
            "total_packages": f.take(forms.whole_number, v["total_packages"], "total_packages"),
        }
        if not self.tiered:
            fields["reward"] = _reward(self.reward, "reward", f)
        if self.kind.GRANTS_AT_ISSUE_AT:
            fields["issue_at"] = f.take(forms.local_datetime, v["issue_at"], "issue_at", zone)
        if self.kind.ACCUMULATES:
            fields["metric"] = f.take(forms.choice, v["metric"], "metric", tuple(Metric), required=False)
            fields["progress_reminder"] = f.take(self._amount, v["progress_reminder"], "progress_reminder")
            fields["countdown_days"] = f.take(forms.whole_number, v["countdown_days"], "countdown_days", maximum=3650)
        if self.safeguarded:
            fields["min_first_charge_kwh"] = f.take(_kwh, v["min_first_charge_kwh"], "min_first_charge_kwh")
            fields["min_first_charge_paid_fen"] = f.take(forms.yuan_to_fen, v["min_first_charge_paid"],
                                                         "min_first_charge_paid")
            fields["max_rewards_per_inviter"] = f.take(forms.whole_number, v["max_rewards_per_inviter"],
                                                       "max_rewards_per_inviter")
        if self.tiered:
            fields["tiers"] = [
                {self.kind.TIER_KEY: f.take(self._amount, tier["amount"], f"tiers.{i}.amount"),
                 "reward": _reward(tier["reward"], f"tiers.{i}.reward", f)}
                for i, tier in enumerate(self.tiers)
            ]
        return fields, f.reasons

    def published_changes(self, shown: CampaignForm, zone) -> tuple[dict, dict[str, Reason]]:
        """The safe edits of a published campaign: only what differs from the form as it was shown
        (an end time shown to the minute is not sent back as an earlier end)."""
        fields, errors = self.fields(zone)
        changes = {name: fields[name] for name in PUBLISHED_EDITABLE if self.values[name] != shown.values[name]}
        return changes, {name: reason for name, reason in errors.items() if name in PUBLISHED_EDITABLE}

    def renamed_errors(self) -> dict[str, str]:
        """The service's tier amount fields → the form's ``tiers.N.amount``."""
        return {f"tiers.{i}.{self.kind.TIER_KEY}": f"tiers.{i}.amount" for i in range(len(self.tiers))} | {
            "min_first_charge_paid_fen": "min_first_charge_paid"}

    def _amount(self, text: str, field: str):
        """Amounts in yuan (recharge tiers, amount-metric thresholds) → fen; kWh is checked and passed as
        typed (the service stores it as Wh); without a metric the service says to choose one first."""
        if not text:
            return None
        unit = self.kind.AMOUNTS_IN or self.values.get("metric")
        if unit == Metric.AMOUNT:
            return forms.yuan_to_fen(text, field)
        if unit == Metric.ENERGY:
            forms.kwh(text, field)
        return text


def refusal_messages(exc: ServiceError, locale: str, rename: dict[str, str]) -> dict[str, str]:
    """Field → translated message for a service refusal, chosen by its code (``campaign_refusals``)."""
    return campaign_refusals.refusal_messages(exc, locale, rename)


_SIMPLE = ("name", "start_at", "end_at", "issue_at", "total_packages", "metric", "progress_reminder",
           "countdown_days", "min_first_charge_kwh", "max_rewards_per_inviter")
_REWARD_KEY = re.compile(r"reward\.(?P<row>\d{1,3})\.(?P<part>template_id|quantity)")
_TIER_REWARD_KEY = re.compile(r"tiers\.(?P<tier>\d{1,3})\.reward\.(?P<row>\d{1,3})\.(?P<part>template_id|quantity)")
_TIER_KEY = re.compile(r"tiers\.(?P<tier>\d{1,3})\.amount")


def _kwh(text: str, field: str) -> str | None:
    """kWh checked here and passed as typed (the service stores it as Wh); blank → None."""
    if not text:
        return None
    forms.kwh(text, field)
    return text


def _row(item: dict) -> dict[str, str]:
    return {"template_id": str(item.get("template_id") or ""),
            "quantity": "1" if item.get("quantity") is None else str(item["quantity"])}


def _reward(rows: list[dict[str, str]], where: str, f: forms.Fields) -> list[dict]:
    return [{"template_id": f.take(forms.whole_number, row["template_id"], f"{where}.{i}.template_id"),
             "quantity": f.take(forms.whole_number, row["quantity"], f"{where}.{i}.quantity")}
            for i, row in enumerate(rows)]

