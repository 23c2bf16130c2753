"""Points mall (积分商城): items bought with points, and the exchange that buys them."""

from evperks.services.mall.exchange import exchange, points_available
from evperks.services.mall.items import create_item, get_item, get_offer, list_items, list_offers, update_item

__all__ = ["create_item", "exchange", "get_item", "get_offer", "list_items", "list_offers", "points_available", "update_item"]
