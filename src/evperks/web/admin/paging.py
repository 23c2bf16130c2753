"""Numbered pages of the console's lists (``?page=N``; the API pages with keyset cursors instead)."""

from __future__ import annotations

from collections.abc import Mapping

PAGE_SIZE = 20


def page_number(query: Mapping[str, str], name: str = "page") -> int:
    """The page asked for; anything but a plain positive number is the first page (the services clamp
    a number past the end to the last page)."""
    value = query.get(name) or ""
    return int(value) if value.isdigit() and len(value) < 10 else 1
