"""Test fixtures: a real PostgreSQL, a migrated template database, the ASGI app, GraphQL helpers."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from learnloop.app import create_app
from learnloop.config import Settings
from learnloop.domain.roles import Role
from learnloop.domain.tokens import TokenSettings, issue_user_token
from learnloop.storage import migrations
from learnloop.storage.database import DatabaseTarget, MeasuredPool
from learnloop.storage.identity import admin_ensure_org_and_user
from tests.scratch import PgServer

TEST_SECRET = "test-secret-" + "x" * 40


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = PgServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def template_db(pg_server: PgServer) -> AsyncIterator[str]:
    """Migrated once per run; every test database is a copy of it."""
    name = await pg_server.create_database(prefix="ll_tmpl")
    await migrations.upgrade(pg_server.url(name))
    yield name
    await pg_server.drop_database(name)


@pytest.fixture(scope="session")
async def db(pg_server: PgServer, template_db: str) -> AsyncIterator[DatabaseTarget]:
    """The run's shared database: tests isolate themselves by creating their own organisations."""
    name = await pg_server.create_database(template=template_db)
    yield pg_server.target(name)
    await pg_server.drop_database(name)


@pytest.fixture
async def fresh_db(pg_server: PgServer, template_db: str) -> AsyncIterator[DatabaseTarget]:
    """A database of this test's own (a template copy, milliseconds)."""
    name = await pg_server.create_database(template=template_db)
    yield pg_server.target(name)
    await pg_server.drop_database(name)


class StatementCounter:
    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        self.statements: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.count += 1
        self.statements.append(statement)

    def reset(self) -> None:
        self.count = 0
        self.statements.clear()


class FakeDns:
    """The resolver the apps under test use for webhook URLs: no test ever asks real DNS.

    IP literals resolve to themselves, `names` (mutable: tests rebind them) to their addresses,
    example.com and example.org to a public address; anything else does not resolve.
    """

    def __init__(self) -> None:
        self.names: dict[str, list[str]] = {
            "localhost": ["127.0.0.1", "::1"],
            "example.com": ["93.184.215.14"],
            "example.org": ["93.184.215.14"],
        }
        self.lookups: list[str] = []

    async def __call__(self, host: str) -> list[str]:
        self.lookups.append(host)
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        if host not in self.names:
            raise OSError(f"[Errno -2] Name or service not known: {host}")
        return list(self.names[host])


def test_settings(**overrides: Any) -> Settings:
    # Rate limits are off unless a test asks for them (tests/api/test_rate_limits.py).
    overrides.setdefault("rate_limit_per_minute", 0)
    # Webhook receivers in tests listen on 127.0.0.1; SSRF tests turn the check back on.
    overrides.setdefault("webhook_allow_private", True)
    return Settings(jwt_secret=TEST_SECRET, database_url="postgresql://unused/unused", **overrides)


@dataclass
class Api:
    """Talks to the real ASGI app over HTTP; `engine` runs as the app role like production."""

    client: httpx.AsyncClient
    engine: AsyncEngine
    owner_engine: AsyncEngine
    target: DatabaseTarget
    statements: StatementCounter
    tokens: TokenSettings
    app: Any

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        h = {"content-type": "application/json", **(headers or {})}
        if token:
            h["authorization"] = f"Bearer {token}"
        return await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=h
        )

    async def raw(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        response = await self.post(query, variables, token)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """Run an operation that must succeed; fails the test with the errors printed."""
        body = await self.raw(query, variables, token)
        assert not body.get("errors"), f"GraphQL errors: {body['errors']}"
        data: dict[str, Any] = body["data"]
        return data

    async def org(
        self, role: Role = Role.ADMIN, slug: str | None = None, email: str | None = None
    ) -> OrgHandle:
        """A new organisation with one user of `role`, and that user's token."""
        slug = slug or f"org-{uuid.uuid4().hex[:10]}"
        email = email or f"{uuid.uuid4().hex[:8]}@{slug}.test"
        async with self.owner_engine.begin() as conn:
            org_id, user_id = await admin_ensure_org_and_user(
                conn, org_slug=slug, email=email, role=role
            )
        token = issue_user_token(self.tokens, user_id=user_id, org_id=org_id, role=role, ttl=3600)
        return OrgHandle(
            api=self, org_id=org_id, user_id=user_id, slug=slug, token=token, role=role
        )


@dataclass
class OrgHandle:
    api: Api
    org_id: uuid.UUID
    user_id: uuid.UUID
    slug: str
    token: str
    role: Role

    async def user(self, role: Role, email: str | None = None) -> OrgHandle:
        """Another member of the same organisation."""
        return await self.api.org(role=role, slug=self.slug, email=email)

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.api.gql(query, variables, self.token)

    async def raw(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.api.raw(query, variables, self.token)


async def close_api(built: Api, engines: list[AsyncEngine]) -> None:
    await built.client.aclose()
    await built.app.state.learnloop.close()
    for engine in engines:
        await engine.dispose()


async def make_api(target: DatabaseTarget, **settings: Any) -> tuple[Api, list[AsyncEngine]]:
    cfg = test_settings(**settings)
    # The production pool class, so /metrics reports waiting callers as it does in `serve`.
    engine = create_async_engine(
        target.app_url, pool_size=20, max_overflow=20, poolclass=MeasuredPool
    )
    owner = create_async_engine(target.owner_url)
    app = create_app(cfg, engine=engine)
    app.state.learnloop.resolve_host = FakeDns()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    tokens = TokenSettings(secret=TEST_SECRET, issuer=cfg.jwt_issuer, audience=cfg.jwt_audience)
    api = Api(client, engine, owner, target, StatementCounter(engine), tokens, app)
    return api, [engine, owner]


@pytest.fixture
async def api(db: DatabaseTarget) -> AsyncIterator[Api]:
    built, engines = await make_api(db)
    yield built
    await close_api(built, engines)


@pytest.fixture
async def fresh_api(fresh_db: DatabaseTarget) -> AsyncIterator[Api]:
    built, engines = await make_api(fresh_db)
    yield built
    await close_api(built, engines)
