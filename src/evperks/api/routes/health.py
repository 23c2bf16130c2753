"""Probes for load balancers and orchestrators; no authentication (they reveal no data)."""

from __future__ import annotations

from fastapi import APIRouter

from evperks.api.deps import CtxDep
from evperks.services import readiness

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz() -> dict:
    """Liveness: the process answers HTTP. Touches no database, so a database outage does not get every
    node restarted."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(ctx: CtxDep) -> dict:
    """Readiness: the database answers and its schema is at this version's head; else 503 problem+json
    whose ``errors`` name ``database`` or ``migrations``."""
    readiness.check(ctx)
    return {"status": "ok"}
