"""Row-level security proven at the database level, as the app role, with no WHERE clauses."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from learnloop.config import APP_DB_ROLE
from learnloop.domain.roles import Role
from learnloop.storage.models.base import Base
from tests.conftest import Api


async def seed_examples(api: Api, org_id: uuid.UUID, n: int) -> None:
    async with api.owner_engine.begin() as conn:
        for i in range(n):
            await conn.execute(
                text(
                    "INSERT INTO learning_examples (org_id, example_type, input_text, expected_output) "
                    "VALUES (:o, 'DEMONSTRATION', :t, 'out')"
                ),
                {"o": org_id, "t": f"input {i}"},
            )


def _asyncpg_dsn(api: Api) -> dict:
    url = api.target.app_url
    return {
        "user": url.username,
        "host": url.query.get("host") or url.host,
        "port": url.port,
        "database": url.database,
    }


async def test_app_role_sees_only_its_org_and_nothing_without_one(api: Api) -> None:
    a = await api.org(Role.ADMIN)
    b = await api.org(Role.ADMIN)
    await seed_examples(api, a.org_id, 3)
    await seed_examples(api, b.org_id, 2)

    conn = await asyncpg.connect(**_asyncpg_dsn(api))
    try:
        assert await conn.fetchval("SELECT current_user") == APP_DB_ROLE
        assert await conn.fetchval("SELECT count(*) FROM learning_examples") == 0  # no org set

        await conn.execute("SELECT set_config('app.org_id', $1, false)", str(a.org_id))
        rows = await conn.fetch("SELECT * FROM learning_examples")
        assert len(rows) == 3 and {r["org_id"] for r in rows} == {a.org_id}

        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            await conn.execute(
                "INSERT INTO learning_examples (org_id, example_type, input_text) VALUES ($1, 'POSITIVE', 'x')",
                b.org_id,
            )
        # Updates and deletes of B's rows silently match nothing.
        assert (
            await conn.execute(
                "UPDATE learning_examples SET input_text = 'pwned' WHERE org_id = $1", b.org_id
            )
            == "UPDATE 0"
        )
        assert (
            await conn.execute("DELETE FROM learning_examples WHERE org_id = $1", b.org_id)
            == "DELETE 0"
        )
        # Moving A's row into B is refused by WITH CHECK.
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("UPDATE learning_examples SET org_id = $1", b.org_id)
    finally:
        await conn.close()

    async with api.owner_engine.connect() as owner:
        assert (
            await owner.scalar(
                text(
                    "SELECT count(*) FROM learning_examples WHERE org_id = :b AND input_text <> 'pwned'"
                ),
                {"b": b.org_id},
            )
            == 2
        )


async def test_every_tenant_table_forces_rls(api: Api) -> None:
    tenant_tables = {t.name for t in Base.metadata.sorted_tables if "org_id" in t.c} | {
        "organizations",
        "users",
    }
    engine = create_async_engine(api.target.owner_url)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT relname, relrowsecurity, relforcerowsecurity, pg_get_userbyid(relowner) AS owner "
                        "FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
                    )
                )
            ).all()
            role = (
                await conn.execute(
                    text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"),
                    {"r": APP_DB_ROLE},
                )
            ).one()
    finally:
        await engine.dispose()
    by_name = {r.relname: r for r in rows}
    for table in tenant_tables:
        assert by_name[table].relrowsecurity and by_name[table].relforcerowsecurity, table
        assert by_name[table].owner != APP_DB_ROLE, table
    assert role.rolsuper is False and role.rolbypassrls is False
