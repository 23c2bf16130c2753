"""Charge sessions (充电会话): hold the member's money at plug-in, settle or cancel it at stop."""

from evperks.services.sessions.closing import FinalAmounts, cancel_session, release_expired, settle_session
from evperks.services.sessions.opening import SessionRequest, open_session
from evperks.services.sessions.views import get_session, open_sessions

__all__ = ["FinalAmounts", "SessionRequest", "cancel_session", "get_session", "open_session", "open_sessions",
           "release_expired", "settle_session"]
