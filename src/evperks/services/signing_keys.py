"""Signing secrets nobody has to make up: generated once with a CSPRNG, kept in the ``secrets`` table and
so shared by every node on the database; an ``EVPERKS_*`` variable, when set, overrides the database.

Each secret (``Secret``) has versions. Exactly one is current and signs; ``rotate`` makes a new current
version and keeps the previous one accepted for the secret's overlap (plus ``CACHE_SECONDS``), so what
was signed before a rotation keeps working until it would have expired anyway. Which overlap each
secret has is decided next to its use (``h5_links``, ``sms``, ``payments.sandbox``) and written down in
docs/operations.md "Secrets".

Every process keeps the versions it has read for ``CACHE_SECONDS``: a rotation on one node reaches the
others within that time, without a database read per request. Meanwhile a value signed elsewhere with a
version this node has not seen yet makes it read the versions again (at most once per
``RELOAD_SECONDS``, so forged values cannot turn into a database read each).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update

from evperks.config import Settings
from evperks.db.tables_secrets import secrets_table
from evperks.db.upsert import insert_for
from evperks.services.errors import Conflict, NotFound
from evperks.services.results import Result, result

if TYPE_CHECKING:
    from evperks.services.context import Context

CACHE_SECONDS = 5.0
RELOAD_SECONDS = 1.0


@dataclass(frozen=True)
class Secret:
    name: str  # as in `evperks secrets rotate NAME`
    setting: str  # the Settings field (EVPERKS_ variable) that overrides the database
    overlap: Callable[[Settings], timedelta]  # how long the previous version stays accepted after a rotation

    @property
    def variable(self) -> str:
        return f"EVPERKS_{self.setting.upper()}"

    def from_environment(self, settings: Settings) -> str | None:
        return getattr(settings, self.setting) or None


@dataclass(frozen=True)
class Key:
    version: int | None  # None: the value of the secret's environment variable
    secret: bytes  # the HMAC key


@dataclass(frozen=True)
class _Version:
    version: int
    secret: bytes
    valid_until: datetime | None  # None while current


class KeyCache:
    """The versions of each secret this process has read, for ``ttl`` seconds. Not locked: two threads
    that miss at once both read (and at worst both create the first version, which the database makes
    one); the dict assignments are atomic."""

    def __init__(self, ttl: float = CACHE_SECONDS, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._monotonic = monotonic
        self._read: dict[str, tuple[float, tuple[_Version, ...]]] = {}

    def versions(self, ctx: Context, name: str, *, again: bool = False) -> tuple[_Version, ...]:
        """The cached versions of ``name``; ``again`` re-reads them unless they were read within RELOAD_SECONDS."""
        now = self._monotonic()
        hit = self._read.get(name)
        if hit is not None and now < hit[0] + (RELOAD_SECONDS if again else self._ttl):
            return hit[1]
        versions = _read_or_create(ctx, name)
        self._read[name] = (now, versions)
        return versions

    def forget(self, name: str) -> None:
        self._read.pop(name, None)


class Ring:
    """The keys of one secret as one context sees them: ``current`` to sign, ``find`` to verify."""

    def __init__(self, ctx: Context, secret: Secret) -> None:
        self._ctx = ctx
        self._secret = secret

    def current(self) -> Key:
        value = self._secret.from_environment(self._ctx.settings)
        if value:
            return Key(None, value.encode())
        versions = self._ctx.keys.versions(self._ctx, self._secret.name)
        return next(Key(v.version, v.secret) for v in versions if v.valid_until is None)

    def accepted(self, *, again: bool = False) -> list[Key]:
        """The current key first, then the previous ones still in their overlap."""
        value = self._secret.from_environment(self._ctx.settings)
        if value:
            return [Key(None, value.encode())]
        now = self._ctx.clock.now()
        versions = self._ctx.keys.versions(self._ctx, self._secret.name, again=again)
        return [Key(v.version, v.secret) for v in versions if v.valid_until is None or v.valid_until > now]

    def find(self, fits: Callable[[Key], bool]) -> Key | None:
        """The accepted key ``fits`` holds for, or None. Tries every accepted key (a value carries no key
        id, or one of a version this node may not have read yet), then once more after re-reading."""
        for again in (False, True):
            for key in self.accepted(again=again):
                if fits(key):
                    return key
            if self._secret.from_environment(self._ctx.settings):
                return None
        return None


@result
class Rotation(Result):
    """The new current version, and the previous one with the instant it stops being accepted."""

    name: str
    version: int
    previous_version: int | None
    previous_valid_until: datetime | None


@result
class VersionState(Result):
    version: int
    created_at: datetime
    retired_at: datetime | None
    valid_until: datetime | None


@result
class SecretState(Result):
    """A secret's versions (never the key material), and whether its variable overrides them."""

    name: str
    variable: str
    from_environment: bool
    versions: list[VersionState]


def catalogue() -> dict[str, Secret]:
    """Every secret by name."""
    from evperks.services import h5_links, sms  # noqa: PLC0415 - they import this module
    from evperks.services.payments import sandbox  # noqa: PLC0415

    return {s.name: s for s in (h5_links.SECRET, sandbox.SECRET, sms.SECRET)}


def rotate(ctx: Context, name: str) -> Rotation:
    """Make a new current version of secret ``name``; the previous one stays accepted for the secret's
    overlap. 404 for an unknown name; 409 when the environment variable overrides the database (then
    rotating is changing the variable) or when another rotation of it ran at the same moment."""
    secret = _known(name)
    if secret.from_environment(ctx.settings):
        raise Conflict("%(variable)s is set, so the database's %(name)s secret is not used: "
                       "rotate it by changing %(variable)s on every node", field="name", code="secret.from_environment",
                       variable=secret.variable, name=name)
    now = ctx.clock.now()
    until = now + secret.overlap(ctx.settings) + timedelta(seconds=CACHE_SECONDS)
    t = secrets_table.c
    with ctx.db.write() as conn:
        # Versions whose overlap is over can never verify anything again: their key material goes.
        conn.execute(delete(secrets_table).where(t.name == name, t.valid_until <= now))
        previous = conn.execute(select(t.version).where(t.name == name, t.retired_at.is_(None))).scalar_one_or_none()
        if previous is not None:
            retired = conn.execute(
                update(secrets_table).where(t.name == name, t.version == previous, t.retired_at.is_(None))
                .values(retired_at=now, valid_until=until)
            ).rowcount
            if retired != 1:
                raise _concurrent(name)
        newest = conn.execute(select(t.version).where(t.name == name).order_by(t.version.desc()).limit(1)).scalar()
        version = (newest or 0) + 1
        if _insert(conn, name, version, now) is None:
            raise _concurrent(name)
    ctx.keys.forget(name)
    return Rotation(name=name, version=version, previous_version=previous,
                    previous_valid_until=until if previous is not None else None)


def describe(ctx: Context) -> list[SecretState]:
    """Every secret with its versions (never the key material), and whether its variable overrides them."""
    t = secrets_table.c
    with ctx.db.read() as conn:
        rows = conn.execute(select(t.name, t.version, t.created_at, t.retired_at, t.valid_until)
                            .order_by(t.name, t.version.desc())).all()
    return [SecretState(name=name, variable=secret.variable,
                        from_environment=bool(secret.from_environment(ctx.settings)),
                        versions=[VersionState(version=r.version, created_at=r.created_at, retired_at=r.retired_at,
                                               valid_until=r.valid_until) for r in rows if r.name == name])
            for name, secret in catalogue().items()]


def _known(name: str) -> Secret:
    known = catalogue()
    if name not in known:
        raise NotFound("no secret is named %(name)r; the secrets are %(known)s", field="name", code="secret.not_found",
                       name=name, known=", ".join(known))
    return known[name]


def _concurrent(name: str) -> Conflict:
    return Conflict("another rotation of %(name)s ran at the same moment; nothing changed", field="name",
                    code="secret.rotated_meanwhile", name=name)


def _read_or_create(ctx: Context, name: str) -> tuple[_Version, ...]:
    versions = _read(ctx, name)
    if any(v.valid_until is None for v in versions):
        return versions
    # First use anywhere: every node may get here at once; the primary key lets one version 1 in.
    with ctx.db.write() as conn:
        _insert(conn, name, 1, ctx.clock.now())
    return _read(ctx, name)


def _read(ctx: Context, name: str) -> tuple[_Version, ...]:
    t = secrets_table.c
    with ctx.db.read() as conn:
        rows = conn.execute(select(t.version, t.secret, t.valid_until).where(t.name == name)
                            .order_by(t.version.desc())).all()
    return tuple(_Version(r.version, r.secret.encode(), r.valid_until) for r in rows)


def _insert(conn, name: str, version: int, now: datetime) -> int | None:
    """Insert a new current version; None when that version already exists."""
    return conn.execute(
        insert_for(conn, secrets_table)
        .values(name=name, version=version, secret=secrets.token_urlsafe(32), created_at=now)
        .on_conflict_do_nothing(index_elements=["name", "version"])
        .returning(secrets_table.c.version)
    ).scalar_one_or_none()
