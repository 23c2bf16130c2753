"""Charge-order settlement: quote and settle through one pipeline of steps; read a settled order back."""

from evperks.services.settlement.order import AUTO, ChargeOrder
from evperks.services.settlement.orders import get_order
from evperks.services.settlement.service import quote, settle

__all__ = ["AUTO", "ChargeOrder", "get_order", "quote", "settle"]
