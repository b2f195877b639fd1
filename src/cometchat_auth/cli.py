"""The ``cometchat-auth`` command line; commands import their modules inside, for a fast start."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="cometchat-auth: sign people in to your app and hand them a CometChat token."
)


@app.callback()
def main() -> None:
    """Keep ``cometchat-auth COMMAND`` form even while only one command exists."""


@contextlib.contextmanager
def database_errors() -> Iterator[None]:
    """The database away ends a command with one clear line and exit status 3, no traceback.

    Each command's writes are one transaction: the failed ones changed nothing.
    """
    from cometchat_auth.store.outage import is_database_outage

    try:
        yield
    except Exception as exc:
        if not is_database_outage(exc):
            raise
        typer.echo(
            f"error: the database cannot be reached ({type(exc).__name__}); nothing was"
            " changed, try again",
            err=True,
        )
        raise typer.Exit(3) from None


@app.command()
def emulator(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8787,
    tls: Annotated[bool, typer.Option(help="Serve HTTPS with a self-signed certificate.")] = False,
    tls_port: Annotated[
        int | None, typer.Option(help="With --tls: HTTPS on this port, HTTP stays on --port.")
    ] = None,
    app_id: Annotated[str, typer.Option(help="The app id to serve.")] = "local-app",
    region: Annotated[str, typer.Option(help="Region reported to clients.")] = "us",
    rest_api_key: Annotated[
        str | None, typer.Option(help="REST API key (random when left out).")
    ] = None,
    auth_key: Annotated[str | None, typer.Option(help="Auth key (random when left out).")] = None,
    rate_limit: Annotated[int, typer.Option(help="Requests per app per minute.")] = 10_000,
    latency: Annotated[float, typer.Option(help="Seconds added to every API answer.")] = 0.0,
    error_rate: Annotated[float, typer.Option(help="Share of API calls answered 5xx.")] = 0.0,
    rate_limit_rate: Annotated[float, typer.Option(help="Share of API calls answered 429.")] = 0.0,
    drop_rate: Annotated[float, typer.Option(help="Share of API calls dropped unanswered.")] = 0.0,
    state_file: Annotated[
        Path | None, typer.Option(help="JSON file keeping users and tokens across restarts.")
    ] = None,
    cert_dir: Annotated[
        Path, typer.Option(help="Where the self-signed certificate is kept.")
    ] = Path("var/emulator"),
) -> None:
    """Run the local CometChat emulator (REST API and the JS SDK's login calls)."""
    from cometchat_auth.emulator import AppKeys, EmulatorConfig, Faults, run

    generated = EmulatorConfig.generate(app_id=app_id, region=region).apps[0]
    config = EmulatorConfig(
        apps=[
            AppKeys(app_id, rest_api_key or generated.rest_api_key, auth_key or generated.auth_key)
        ],
        region=region,
        rate_limit_per_minute=rate_limit,
        faults=Faults(latency, error_rate, rate_limit_rate, drop_rate),
        state_file=state_file,
    )
    run(config, host=host, port=port, tls=tls, tls_port=tls_port, cert_dir=cert_dir)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (PORT).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, help="Server processes (WORKERS; 1 in local mode, one per core in production)."
        ),
    ] = None,
) -> None:
    """Run the auth server; with no CometChat credentials, the local emulator runs beside it."""
    from cometchat_auth.serving import configure_logging, malloc_tuned, run
    from cometchat_auth.settings import Settings, SettingsError

    tuned = malloc_tuned(os.environ)
    if tuned is not None:
        # This process again (the same pid), its malloc tuned; the workers inherit it.
        os.execve(sys.executable, sys.orig_argv, tuned)  # noqa: S606 (our own command line)
    settings = Settings()
    configure_logging(settings)
    try:
        run(settings, host=host or settings.host, port=port or settings.port, workers=workers)
    except SettingsError as exc:
        typer.echo(f"cannot start: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def migrate() -> None:
    """Apply the database migrations (for deploy pipelines); safe beside starting servers."""
    from cometchat_auth.settings import Settings
    from cometchat_auth.store.db import migrate_database

    with database_errors():
        revision = migrate_database(Settings().database_url)
    typer.echo(f"database migrated to {revision}")


@app.command()
def doctor() -> None:
    """Check the settings and everything the server talks to: PASS, WARN or FAIL, with a fix."""
    from rich.console import Console

    from cometchat_auth.ops.doctor import run
    from cometchat_auth.settings import Settings

    # Wide enough that each fix stays on one line when piped to a file or CI log.
    raise typer.Exit(run(Settings(), Console(width=200)))


@app.command()
def calibrate(
    target_ms: Annotated[
        float, typer.Option(help="The most one hash may take, in milliseconds.")
    ] = 250,
    max_memory_mib: Annotated[
        int, typer.Option(help="Memory one hash may use (concurrent sign-ins multiply it).")
    ] = 64,
) -> None:
    """Print argon2id costs that take at most --target-ms here, never below OWASP's floor."""
    from cometchat_auth.ops.calibrate import calibrate as fit

    best, seconds, trials = fit(target_ms / 1000, max_memory_kib=max_memory_mib * 1024)
    for costs, took in trials:
        typer.echo(f"  m={costs.memory_cost} KiB t={costs.time_cost}: {took * 1000:.0f} ms")
    if seconds > target_ms / 1000:
        typer.echo(
            f"Even OWASP's floor takes {seconds * 1000:.0f} ms here: keep it "
            "(never weaker), and expect slower sign-ins.",
            err=True,
        )
    typer.echo(f"# {seconds * 1000:.0f} ms per hash on this machine")
    typer.echo(best.env())


users = typer.Typer(help="Manage accounts and their CometChat users, as an operator.")
app.add_typer(users, name="users")


@users.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="The account's email address.")],
    name: Annotated[str, typer.Option(help="Display name, also in CometChat.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Create an account and its CometChat user."""
    from cometchat_auth import operator

    with database_errors():
        operator.run(operator.create_user(email=email, name=name, password=password))


@users.command("import")
def users_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or JSON Lines.")],
    format: Annotated[
        str | None, typer.Option(help="csv or jsonl (default: by the file's extension).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row, change nothing.")
    ] = False,
    rejects: Annotated[
        Path | None, typer.Option(help="CSV of rejected rows (default: FILE.rejected.csv).")
    ] = None,
    wait: Annotated[
        bool, typer.Option(help="Create the CometChat users now, or leave them to the server.")
    ] = True,
    firebase_signer_key: Annotated[
        str | None, typer.Option(help="Firebase scrypt: base64_signer_key.")
    ] = None,
    firebase_salt_separator: Annotated[
        str | None, typer.Option(help="Firebase scrypt: base64_salt_separator.")
    ] = None,
    firebase_rounds: Annotated[int, typer.Option(help="Firebase scrypt: rounds.")] = 8,
    firebase_mem_cost: Annotated[int, typer.Option(help="Firebase scrypt: mem_cost.")] = 14,
) -> None:
    """Import accounts (email, name, avatar, verified, password_hash): bcrypt, argon2, scrypt
    or Firebase scrypt hashes work at the first sign-in, then become argon2id; accounts without
    a hash must reset their password. A re-run skips the addresses already here."""
    from cometchat_auth import operator
    from cometchat_auth.accounts.passwords import FirebaseScryptParams
    from cometchat_auth.ops import import_command
    from cometchat_auth.ops.rows import format_of
    from cometchat_auth.settings import Settings

    if format not in (None, "csv", "jsonl"):
        raise typer.BadParameter("csv or jsonl", param_hint="--format")
    if (firebase_signer_key is None) != (firebase_salt_separator is None):
        raise typer.BadParameter("give both --firebase-signer-key and --firebase-salt-separator")
    firebase = (
        FirebaseScryptParams(
            firebase_signer_key, firebase_salt_separator, firebase_rounds, firebase_mem_cost
        )
        if firebase_signer_key is not None and firebase_salt_separator is not None
        else None
    )

    settings = Settings()

    async def job() -> None:
        async with operator.opened_services(settings) as services:
            await import_command.run(
                services,
                file,
                format=format_of(file)
                if format is None
                else "jsonl"
                if format == "jsonl"
                else "csv",
                dry_run=dry_run,
                firebase=firebase,
                rejects=rejects or file.with_name(file.name + ".rejected.csv"),
                # Without credentials the local emulator runs only beside serve: its worker waits.
                wait=wait and settings.has_cometchat_credentials,
                console=operator.console,
            )

    operator.run(job())


@users.command("list")
def users_list() -> None:
    """List the accounts."""
    from cometchat_auth import operator

    with database_errors():
        operator.run(operator.list_users())


@users.command("delete")
def users_delete(
    email: Annotated[str, typer.Argument(help="The account's email address.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete an account, its sessions and its CometChat user."""
    from cometchat_auth import operator

    if not yes:
        typer.confirm(f"Delete {email} and its CometChat user?", abort=True)
    with database_errors():
        operator.run(operator.delete_user(email))


@users.command("disable")
def users_disable(
    email: Annotated[str, typer.Argument(help="The account's email address.")],
) -> None:
    """Sign the account out everywhere, refuse its sign-ins, deactivate its CometChat user."""
    from cometchat_auth import operator

    operator.run(operator.disable_user(email))


@users.command("enable")
def users_enable(
    email: Annotated[str, typer.Argument(help="The account's email address.")],
) -> None:
    """Let a disabled account sign in again and reactivate its CometChat user."""
    from cometchat_auth import operator

    operator.run(operator.enable_user(email))


cometchat = typer.Typer(help="CometChat's side of the accounts.")
app.add_typer(cometchat, name="cometchat")


@cometchat.command("sync")
def cometchat_sync(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the diff, change nothing.")
    ] = False,
    delete_extra: Annotated[
        bool, typer.Option("--delete-extra", help="Delete CometChat users the app does not have.")
    ] = False,
    wait: Annotated[
        bool, typer.Option(help="Run the fixes now, or leave them to the server's worker.")
    ] = True,
) -> None:
    """Compare the app's users with CometChat's and fix the difference through the outbox:
    create the missing, update differing names and avatars (and delete the extra)."""
    from cometchat_auth import operator
    from cometchat_auth.ops import sync_command
    from cometchat_auth.settings import Settings

    settings = Settings()
    if not settings.has_cometchat_credentials:
        raise typer.BadParameter(
            "set COMETCHAT_APP_ID and COMETCHAT_REST_API_KEY (and COMETCHAT_API_BASE for an "
            "emulator): there is no CometChat to compare with"
        )

    async def job() -> None:
        async with operator.opened_services(settings) as services:
            await sync_command.run(
                services,
                dry_run=dry_run,
                delete_extra=delete_extra,
                wait=wait,
                console=operator.console,
            )

    operator.run(job())


outbox = typer.Typer(help="CometChat (and mail) jobs not yet done: list them, run them again.")
app.add_typer(outbox, name="outbox")


@outbox.command("list")
def outbox_list(
    failed: Annotated[bool, typer.Option("--failed", help="Only the jobs given up on.")] = False,
) -> None:
    """Pending and failed jobs, oldest first (payloads stay encrypted, never shown)."""
    from cometchat_auth.outbox import admin
    from cometchat_auth.settings import Settings

    with database_errors():
        admin.show(Settings().database_url, failed_only=failed)


@outbox.command("retry")
def outbox_retry(
    job_id: Annotated[int | None, typer.Argument(help="The job to run again.")] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Every failed job; waiting ones run now.")
    ] = False,
) -> None:
    """Run jobs again from their first attempt; a running server takes them at its next poll."""
    from cometchat_auth.outbox import admin
    from cometchat_auth.settings import Settings

    if (job_id is None) != every:
        raise typer.BadParameter("give a job ID or --all, not both")
    with database_errors():
        changed = admin.retry(Settings().database_url, job_id)
    if job_id is not None and not changed:
        typer.echo(f"no job {job_id} to retry (done, or being run right now)", err=True)
        raise typer.Exit(1)
    typer.echo(f"{changed} job(s) queued to run again")


@app.command()
def audit(
    user: Annotated[str | None, typer.Option(help="Only this account's events (by email).")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only events after this: 30m, 12h, 7d or an ISO date.")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many (the newest).")] = 1000,
) -> None:
    """Read the audit log: sign-ins, failures, lock-outs, logouts, token and password changes."""
    from cometchat_auth.audit.query import show
    from cometchat_auth.settings import Settings

    try:
        with database_errors():
            show(Settings().database_url, email=user, since=since, limit=limit)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
