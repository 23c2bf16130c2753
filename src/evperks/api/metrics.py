"""Prometheus metrics an operator watches: settlements by outcome, problems by status."""

from __future__ import annotations

from prometheus_client import Counter

SETTLEMENTS = Counter("evperks_settlements_total", "Charge-order settlements", ["outcome"])  # created|replayed
PROBLEMS = Counter("evperks_problems_total", "Requests answered with a problem+json error", ["status"])
