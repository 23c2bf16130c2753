"""The scheduled jobs of a campaign: kinds and task keys (a run is unique by task key and instant)."""

from __future__ import annotations

CAMPAIGN_START = "campaign_start"
CAMPAIGN_END = "campaign_end"
ONE_TIME_GRANT = "campaign_one_time_grant"


def task_key(kind: str, campaign_id: int) -> str:
    return f"{kind}:{campaign_id}"
