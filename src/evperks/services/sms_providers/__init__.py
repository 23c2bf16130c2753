"""The built-in SMS providers, named by ``EVPERKS_SMS_PROVIDER``: ``aliyun`` and ``tencent``. Each module
imports its provider's official SDK, so only the named one needs to be installed."""

from __future__ import annotations

from urllib.parse import urlsplit

from evperks.config import Settings


def required(settings: Settings, provider: str, *names: str) -> list[str]:
    """The values of the settings ``names``; a ValueError naming every one that is unset, so a provider
    missing its keys stops the application at start instead of failing each member's request."""
    missing = [name for name in names if not getattr(settings, name)]
    if missing:
        listed = ", ".join(f"EVPERKS_{name.upper()}" for name in missing)
        raise ValueError(f"EVPERKS_SMS_PROVIDER={provider!r} needs {listed}")
    return [getattr(settings, name) for name in names]


def scheme_and_host(endpoint: str) -> tuple[str, str]:
    """``https://host[:port]`` → ("https", "host[:port]"), the two parts the SDKs take separately."""
    url = urlsplit(endpoint)
    return url.scheme, url.netloc
