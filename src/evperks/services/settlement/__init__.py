"""Charge-order settlement: quote and settle through one pipeline of steps."""

from evperks.services.settlement.order import AUTO, ChargeOrder
from evperks.services.settlement.service import quote, settle

__all__ = ["AUTO", "ChargeOrder", "quote", "settle"]
