"""Command line: learnloop serve | worker | migrate | token | export-schema."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import sys
from collections.abc import Iterator
from typing import Annotated
from uuid import UUID

import typer
from pydantic import ValidationError

from learnloop.config import Settings, get_settings
from learnloop.domain.roles import Role
from learnloop.errors import ConfigurationError
from learnloop.logging import configure_logging
from learnloop.storage.database import (
    DatabaseTarget,
    check_reachable,
    ensure_database_exists,
    export_target_env,
    target_from_settings,
)
from learnloop.storage.embedded import EmbeddedPostgres, exit_on_sigterm

cli = typer.Typer(
    add_completion=False, no_args_is_help=True, help="learnloop: learn from feedback on LLM agents."
)


@contextlib.contextmanager
def database(settings: Settings, *, migrate: bool = True) -> Iterator[DatabaseTarget]:
    """Start the embedded server when no DATABASE_URL is set, check it answers, migrate it."""
    embedded: EmbeddedPostgres | None = None
    if settings.embedded:
        exit_on_sigterm()
        embedded = EmbeddedPostgres(settings.data_dir)
        embedded.start()
    try:
        target = target_from_settings(settings, embedded)
        if embedded is not None:
            asyncio.run(ensure_database_exists(target.owner_url))
        asyncio.run(check_reachable(target.owner_url, settings.db_connect_timeout))
        if migrate:
            from learnloop.storage import migrations

            password = (
                settings.app_db_password.get_secret_value() if settings.app_db_password else None
            )
            asyncio.run(migrations.upgrade(target.owner_url, app_password=password))
        yield target
    finally:
        if embedded is not None:
            embedded.stop()


def ensure_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigurationError(
                    f"port {port} on {host} is already in use: stop the other process or pass --port"
                ) from None
            raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes.")] = 1,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Do not run training runs in this process.")
    ] = False,
) -> None:
    """Serve GraphQL (and GraphiQL) on http://HOST:PORT/graphql, with an in-process worker."""
    import os

    import uvicorn

    if no_worker:
        os.environ["LEARNLOOP_WORKER_IN_PROCESS"] = "false"
        get_settings.cache_clear()
    settings = get_settings()
    host = host or settings.host
    port = port if port is not None else settings.port
    ensure_port_free(host, port)
    with database(settings) as target:
        export_target_env(target)
        typer.echo(f"learnloop: GraphiQL on http://{host}:{port}/graphql", err=True)
        typer.echo(f"learnloop: web UI on http://{host}:{port}/ui/", err=True)
        if workers > 1:
            uvicorn.run(
                "learnloop.app:create_app_from_env",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level="warning",
            )
        else:
            from learnloop.app import create_app

            uvicorn.run(create_app(Settings()), host=host, port=port, log_level="warning")


@cli.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, help="Runs executed at once (LEARNLOOP_WORKER_CONCURRENCY)."),
    ] = None,
) -> None:
    """Execute training runs: claim PENDING runs, hold their leases, report progress until stopped."""
    from learnloop.worker.main import run_worker

    settings = get_settings()
    # With an external database, migrating is the operator's step; run_worker checks it happened.
    with database(settings, migrate=settings.embedded) as target:
        asyncio.run(run_worker(target, settings, concurrency))


@cli.command()
def migrate() -> None:
    """Apply database migrations up to the latest version."""
    with database(get_settings()) as target:
        typer.echo(
            f"learnloop: database {target.owner_url.database} is at the latest migration", err=True
        )


@cli.command()
def token(
    org: Annotated[str, typer.Option(help="Organisation slug; created if missing.")],
    role: Annotated[str, typer.Option(help="VIEWER, MEMBER, EXPERT, MANAGER or ADMIN.")] = "MEMBER",
    user: Annotated[str, typer.Option(help="User e-mail; created if missing.")] = "dev@example.com",
    ttl: Annotated[
        int, typer.Option(min=60, help="Lifetime in seconds: at least 60 (default 12 hours).")
    ] = 12 * 3600,
) -> None:
    """Print a development JWT (and nothing else on stdout): TOKEN=$(learnloop token --org acme)."""
    from learnloop.domain.identity import validate_email, validate_slug
    from learnloop.domain.tokens import issue_user_token
    from learnloop.resolvers.state import token_settings

    settings = get_settings()
    try:
        parsed_role = Role.parse(role)
        slug = validate_slug(org)
        email = validate_email(user)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    except Exception as exc:
        raise ConfigurationError(str(exc)) from None
    with database(settings) as target:
        org_id, user_id = asyncio.run(_ensure_identity(target, slug, email, parsed_role))
    tokens = token_settings(settings)
    sys.stdout.write(
        issue_user_token(tokens, user_id=user_id, org_id=org_id, role=parsed_role, ttl=ttl) + "\n"
    )


async def _ensure_identity(
    target: DatabaseTarget, slug: str, email: str, role: Role
) -> tuple[UUID, UUID]:
    from sqlalchemy.ext.asyncio import create_async_engine

    from learnloop.storage.identity import admin_ensure_org_and_user

    engine = create_async_engine(target.owner_url)
    try:
        async with engine.begin() as conn:
            return await admin_ensure_org_and_user(conn, org_slug=slug, email=email, role=role)
    finally:
        await engine.dispose()


@cli.command("seed-demo")
def seed_demo(
    scale: Annotated[
        int,
        typer.Option(
            min=10, help="Feedback rows to create (executions, examples... scale with it)."
        ),
    ] = 10_000,
    org: Annotated[str | None, typer.Option(help="Slug of the new demo organisation.")] = None,
) -> None:
    """Create a realistic demo organisation with COPY (1M feedback rows in about a minute)."""
    from learnloop.storage.seed import seed_org

    with database(get_settings()) as target:
        report = asyncio.run(seed_org(target.owner_url, scale=scale, slug=org))
    typer.echo(
        f"learnloop: seeded org '{report.slug}' in {report.seconds}s: {report.agents} agents, "
        f"{report.executions} executions, {report.feedback} feedback, {report.examples} examples, "
        f"{report.annotations} annotations, {report.datasets} frozen dataset",
        err=True,
    )
    typer.echo(report.slug)


@cli.command("export-schema")
def export_schema() -> None:
    """Print the GraphQL SDL (committed as schema.graphql)."""
    from learnloop.schema.root import get_schema

    sys.stdout.write(get_schema().as_str() + "\n")


def main() -> None:
    try:
        settings = get_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        typer.echo(f"learnloop: error: {where}: {first['msg']}", err=True)
        raise SystemExit(2) from None
    configure_logging(settings.log_level, settings.log_json)
    try:
        cli()
    except ConfigurationError as exc:
        typer.echo(f"learnloop: error: {exc}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
