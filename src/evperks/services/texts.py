"""Texts a service declares for the pages to show (a campaign type's name, a hint): English msgids that
the web layer translates where it shows them. ``N_`` only marks a msgid for extraction."""

from __future__ import annotations


def N_(message: str) -> str:
    return message
