"""Where the database is: URL parsing, the owner/app connection pair, the engine, reachability."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from dataclasses import dataclass
from typing import Any

import asyncpg.exceptions
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, PendingRollbackError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

from learnloop.config import APP_DB_ROLE, Settings
from learnloop.errors import ConfigurationError
from learnloop.metrics import WAIT_BUCKETS, Histogram
from learnloop.storage.embedded import EmbeddedPostgres

EMBEDDED_DATABASE = "learnloop"


def parse_database_url(raw: str, *, setting: str = "DATABASE_URL") -> URL:
    """Parse a postgres URL into an asyncpg SQLAlchemy URL, or say in one line what is wrong."""
    try:
        url = make_url(raw.strip())
    except ArgumentError as exc:
        raise ConfigurationError(
            f"{setting} is not a valid URL ({exc}); expected postgresql://user:pass@host:5432/dbname"
        ) from None
    if url.get_backend_name() not in ("postgresql", "postgres"):
        raise ConfigurationError(
            f"{setting} must be a postgresql:// URL, got '{url.get_backend_name()}://'"
        )
    if not url.database:
        raise ConfigurationError(f"{setting} names no database: add '/dbname' to the URL")
    return url.set(drivername="postgresql+asyncpg")


def describe(url: URL) -> str:
    """The URL without its password, for messages and logs."""
    return url.render_as_string(hide_password=True)


@dataclass(frozen=True)
class DatabaseTarget:
    """The two logins of one database: the owner (migrations, admin CLI) and the app role."""

    owner_url: URL
    app_url: URL


def target_from_settings(
    settings: Settings, embedded: EmbeddedPostgres | None = None
) -> DatabaseTarget:
    if settings.database_url is not None:
        owner = parse_database_url(settings.database_url)
    elif embedded is not None:
        owner = make_url(embedded.url(database=EMBEDDED_DATABASE))
    else:
        raise ConfigurationError("no DATABASE_URL set and the embedded PostgreSQL is not running")
    if settings.app_database_url:
        app = parse_database_url(settings.app_database_url, setting="LEARNLOOP_APP_DATABASE_URL")
    else:
        password = settings.app_db_password.get_secret_value() if settings.app_db_password else None
        app = owner.set(username=APP_DB_ROLE, password=password)
    return DatabaseTarget(owner_url=owner, app_url=app)


class MeasuredPool(AsyncAdaptedQueuePool):
    """The async queue pool, counting callers waiting for a connection and how long they wait.

    SQLAlchemy's pool reports what is checked out but not who queues for it; `_do_get` is
    where a checkout waits (or opens an overflow connection), so it is timed there.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.waiting = 0
        self.wait_seconds = Histogram(
            "learnloop_db_pool_wait_seconds",
            "Seconds a caller waited for a pooled connection (opening one included).",
            WAIT_BUCKETS,
        )

    def _do_get(self) -> Any:
        self.waiting += 1
        started = time.perf_counter()
        try:
            return super()._do_get()
        finally:
            self.waiting -= 1
            self.wait_seconds.observe(time.perf_counter() - started)


# SQLAlchemy names a pool's logger after its class: keep ours as quiet as its own pools.
logging.getLogger(f"{MeasuredPool.__module__}.{MeasuredPool.__name__}").setLevel(logging.WARNING)


def create_engine(url: URL, settings: Settings) -> AsyncEngine:
    return create_async_engine(
        url,
        poolclass=MeasuredPool,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        # After a database restart every pooled connection is dead: the ping (one round trip
        # per checkout) replaces them instead of failing one request per stale connection.
        pool_pre_ping=True,
        connect_args={
            "timeout": settings.db_connect_timeout,
            "server_settings": {"application_name": "learnloop"},
        },
    )


_UNAVAILABLE = (
    OSError,  # refused, reset, unreachable
    TimeoutError,
    DisconnectionError,
    asyncpg.exceptions.PostgresConnectionError,  # cannot connect now (starting up), gone
    asyncpg.exceptions.CannotConnectNowError,  # starting up / shutting down
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
)


def is_unavailable(exc: BaseException) -> bool:
    """True when `exc` means the database cannot be reached now: retryable, not a bug."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, _UNAVAILABLE):
            return True
        if isinstance(current, PendingRollbackError) and "invalid transaction" in str(current):
            return True  # a statement after the connection dropped, in the same transaction
        orig = getattr(current, "orig", None)
        pending += [current.__cause__, current.__context__]
        if isinstance(orig, BaseException):
            pending.append(orig)
    return False


async def check_reachable(url: URL, connect_timeout: float) -> None:
    """Connect once; raise a one-line ConfigurationError that says what to fix."""
    engine = create_async_engine(url, connect_args={"timeout": connect_timeout})
    try:
        async with asyncio.timeout(connect_timeout + 1):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    except (OSError, TimeoutError) as exc:
        raise ConfigurationError(
            f"cannot reach PostgreSQL at {describe(url)}: {exc or 'timed out'}. "
            "Is the server running, and is DATABASE_URL right?"
        ) from None
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigurationError(f"cannot use PostgreSQL at {describe(url)}: {reason}") from None
    finally:
        await engine.dispose()


async def ensure_database_exists(owner_url: URL) -> None:
    """Create the embedded server's database on first start (DATABASE_URL ones are the operator's)."""
    assert owner_url.database is not None
    maintenance = owner_url.set(database="postgres")
    engine = create_async_engine(maintenance, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            exists = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": owner_url.database}
            )
            if not exists:
                with contextlib.suppress(Exception):  # a concurrent process may create it first
                    await conn.execute(text(f'CREATE DATABASE "{owner_url.database}"'))
    finally:
        await engine.dispose()


def export_target_env(target: DatabaseTarget) -> None:
    """Hand the resolved URLs to child processes (uvicorn workers, the worker subprocess)."""
    os.environ["DATABASE_URL"] = target.owner_url.render_as_string(hide_password=False)
    os.environ["LEARNLOOP_APP_DATABASE_URL"] = target.app_url.render_as_string(hide_password=False)
