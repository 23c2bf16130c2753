"""The ``evperks`` command."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

import typer

from evperks.config import Settings

app = typer.Typer(help="evperks: vouchers, campaigns, points and stored value for EV-charging operators.", no_args_is_help=True)
admin_app = typer.Typer(help="Admin console users.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for the charging platform and for operators' scripts.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")
app.add_typer(keys_app, name="keys")
secrets_app = typer.Typer(help="Signing secrets (generated in the database): list them, rotate one.", no_args_is_help=True)
app.add_typer(secrets_app, name="secrets")


def _settings() -> Settings:
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return settings


def _context(settings: Settings):
    from evperks.services.context import Context  # noqa: PLC0415 - keep `--help` fast

    return Context.from_settings(settings)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date, naming each migration applied."""
    url = _settings().database_url
    before, after, applied = _upgrade(url)
    if not applied:
        typer.echo(f"database is up to date (at {after}): no migration to apply")
        return
    for revision, doc in applied:
        typer.echo(f"applied {revision}: {doc}")
    typer.echo(f"database migrated from {before or 'empty'} to {after} ({len(applied)} migration(s))")


def _upgrade(url: str, *, announce: bool = False) -> tuple[str | None, str | None, list[tuple[str, str]]]:
    """Migrate to head: the revision before, the one after and the migrations applied. ``announce`` tells on
    stderr when it applied any, so a later ``evperks migrate`` saying "up to date" is no surprise."""
    from evperks.db.migrate import current, revisions_between, upgrade  # noqa: PLC0415

    before = current(url)
    upgrade(url)
    after = current(url)
    applied = revisions_between(before, after)
    if announce and applied:
        typer.echo(f"database migrated from {before or 'empty'} to {after} ({len(applied)} migration(s))", err=True)
    return before, after, applied


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, min=1, help="Worker processes (each also runs the job scheduler)."),
    forwarded_allow_ips: str = typer.Option(
        None, help="Proxies whose X-Forwarded-For/-Proto are believed (comma-separated, * for any); "
                   "default $FORWARDED_ALLOW_IPS, else 127.0.0.1."),
) -> None:
    """Serve the API, admin console and member H5, with the job scheduler in-process."""
    import uvicorn  # noqa: PLC0415

    from evperks.config import listening_base_url  # noqa: PLC0415

    # Links and QR codes point where this server listens unless the operator names the public address;
    # the worker processes inherit it through the environment.
    os.environ.setdefault("EVPERKS_PUBLIC_BASE_URL", listening_base_url(host, port))
    settings = _settings()
    _upgrade(settings.database_url, announce=True)
    uvicorn.run("evperks.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level=settings.log_level.lower(), access_log=False,
                proxy_headers=True, forwarded_allow_ips=forwarded_allow_ips)


@app.command()
def worker() -> None:
    """Run scheduled jobs only (for separate job nodes)."""
    from evperks.jobs.scheduler import Scheduler  # noqa: PLC0415

    settings = _settings()
    _upgrade(settings.database_url, announce=True)
    stop = threading.Event()
    # The loop runs in its own thread so that the signal handler, which runs in the main thread, never
    # interrupts it while it holds the stop event's lock. On SIGTERM or SIGINT a batch job gives its
    # run back at its next batch (pending again at once, for another worker), any other job finishes.
    loop = threading.Thread(target=Scheduler(_context(settings)).run_forever, args=(stop,), name="evperks-worker")
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    loop.start()
    while loop.is_alive():
        loop.join(timeout=1)  # a bounded join keeps the main thread responsive to signals


@app.command()
def demo(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    database: str = typer.Option("evperks-demo.db", help="SQLite file to (re)create."),
) -> None:
    """A ready sandbox: a fresh SQLite database with demo data, then serve it."""
    from evperks.demo import prepare  # noqa: PLC0415

    os.environ["EVPERKS_DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["EVPERKS_SANDBOX"] = "1"
    os.environ.setdefault("EVPERKS_PUBLIC_BASE_URL", f"http://{host}:{port}")
    settings = _settings()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(database + suffix):
            os.remove(database + suffix)
    for line in prepare(settings):
        typer.echo(line)
    serve(host=host, port=port, workers=1, forwarded_allow_ips=None)


@app.command()
def check() -> None:
    """Reconcile every balance with its ledger (wallets, points), every order's refunds, and the holds with
    the open charge sessions; exit 1 and list what disagrees."""
    from evperks.services.points.ledger import reconcile_points  # noqa: PLC0415
    from evperks.services.sessions.reconcile import reconcile_holds  # noqa: PLC0415
    from evperks.services.settlement.refund_checks import reconcile_refunds  # noqa: PLC0415
    from evperks.services.wallet.ledger import reconcile_wallets  # noqa: PLC0415

    settings = _settings()
    ctx = _context(settings)
    problems = [f"wallet: {p}" for p in reconcile_wallets(ctx)] + [f"points: {p}" for p in reconcile_points(ctx)]
    problems += [f"refunds: {p}" for p in reconcile_refunds(ctx)]
    problems += [f"holds: {p}" for p in reconcile_holds(ctx)]
    for problem in problems:
        typer.echo(problem)
    if problems:
        raise typer.Exit(1)
    typer.echo("every wallet and points balance equals its ledger")


@admin_app.command("create")
def admin_create(
    username: str,
    role: str = typer.Option("admin", help="admin, operator or viewer."),
) -> None:
    """Create an admin console user; the password is read from standard input."""
    from evperks.services.access import create_admin_user  # noqa: PLC0415

    password = _read_password()
    _call_service(create_admin_user, username=username, password=password, role=role)
    typer.echo(f"admin user {username!r} created with role {role}")


@keys_app.command("create")
def keys_create(
    name: str,
    role: str = typer.Option("platform", help="platform or admin."),
) -> None:
    """Create an API key; it is printed once, as the last line."""
    from evperks.services.access import create_api_key  # noqa: PLC0415

    key = _call_service(create_api_key, name=name, role=role)
    typer.echo(f"API key {name!r} with role {role} (shown only now):")
    typer.echo(key)


@secrets_app.command("list")
def secrets_list() -> None:
    """Every signing secret with its versions: created, retired, accepted until. Never the key material."""
    from evperks.services.signing_keys import describe  # noqa: PLC0415

    for secret in _call_service(describe):
        if secret["from_environment"]:
            typer.echo(f"{secret['name']}: from {secret['variable']} (the database's versions are not used)")
            continue
        if not secret["versions"]:
            typer.echo(f"{secret['name']}: not generated yet (it will be on first use)")
        for v in secret["versions"]:
            state = "current" if v["retired_at"] is None else f"previous, accepted until {v['valid_until']:%Y-%m-%d %H:%M:%S}Z"
            typer.echo(f"{secret['name']}: version {v['version']}, created {v['created_at']:%Y-%m-%d %H:%M:%S}Z, {state}")


@secrets_app.command("rotate")
def secrets_rotate(name: str = typer.Argument(..., help="h5, sandbox-payments or sms-codes.")) -> None:
    """Make a new version of a signing secret; the previous one stays accepted for the secret's overlap
    (see docs/operations.md "Secrets")."""
    from evperks.services.signing_keys import rotate  # noqa: PLC0415

    done = _call_service(rotate, name=name)
    typer.echo(f"{name}: version {done['version']} signs from now on (other nodes follow within seconds)")
    if done["previous_version"] is not None:
        typer.echo(f"{name}: version {done['previous_version']} is accepted until "
                   f"{done['previous_valid_until']:%Y-%m-%d %H:%M:%S}Z")


def _call_service(service, **kwargs):
    """Run one service function on the configured (migrated) database; a refusal exits with status 1."""
    from evperks.services.errors import ServiceError  # noqa: PLC0415

    settings = _settings()
    _upgrade(settings.database_url, announce=True)
    try:
        return service(_context(settings), **kwargs)
    except ServiceError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc


def _read_password() -> str:
    if sys.stdin.isatty():
        return typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        typer.echo("error: no password on standard input", err=True)
        raise typer.Exit(1)
    return password
