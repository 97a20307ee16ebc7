"""A frozen dataset version never changes, whatever path tries: proofs at the database level."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from learnloop.domain.roles import Role
from tests.api.test_datasets import FREEZE, add, create
from tests.conftest import Api
from tests.datasets_seed import example_gid, seed_examples

FROZEN_SQLSTATE = "LLFRZ"


async def _frozen_dataset(api: Api):
    h = await api.org(Role.MANAGER)
    ids = await seed_examples(api, h.org_id, [{}, {}])
    dataset = await create(h)
    await add(h, dataset["id"], exampleIds=[example_gid(ids[0])])
    await h.gql(FREEZE, {"id": dataset["id"]})
    async with api.owner_engine.connect() as conn:
        dataset_id = await conn.scalar(
            text("SELECT dataset_id FROM dataset_examples WHERE example_id = :e"), {"e": ids[0]}
        )
    return h, dataset_id, ids


ATTEMPTS = [
    ("rename", "UPDATE training_datasets SET name = 'changed' WHERE id = :d"),
    ("unfreeze", "UPDATE training_datasets SET status = 'DRAFT', frozen_at = NULL WHERE id = :d"),
    ("restat", "UPDATE training_datasets SET total_examples = 99 WHERE id = :d"),
    ("delete dataset", "DELETE FROM training_datasets WHERE id = :d"),
    ("reweight", "UPDATE dataset_examples SET weight = 9 WHERE dataset_id = :d"),
    ("resplit", "UPDATE dataset_examples SET split = 'TEST' WHERE dataset_id = :d"),
    ("unsnapshot", "UPDATE dataset_examples SET snapshot = NULL WHERE dataset_id = :d"),
    ("remove example", "DELETE FROM dataset_examples WHERE dataset_id = :d"),
    (
        "add example",
        "INSERT INTO dataset_examples (org_id, dataset_id, example_id, split) "
        "VALUES (:o, :d, :e, 'TRAIN')",
    ),
    (
        "insert frozen",
        "INSERT INTO training_datasets (org_id, lineage_id, name, status, frozen_at) "
        "VALUES (:o, gen_random_uuid(), 'sneaky', 'FROZEN', now())",
    ),
]


@pytest.mark.parametrize(("what", "sql"), ATTEMPTS, ids=[a[0] for a in ATTEMPTS])
async def test_app_role_cannot_change_a_frozen_version(api: Api, what: str, sql: str) -> None:
    h, dataset_id, ids = await _frozen_dataset(api)
    engine = create_async_engine(api.target.app_url)
    try:
        async with engine.connect() as conn:
            await conn.execute(
                text("SELECT set_config('app.org_id', :o, false)"), {"o": str(h.org_id)}
            )
            # The app role sees the row (RLS lets it), so only the triggers stand in the way.
            assert (
                await conn.scalar(
                    text("SELECT count(*) FROM training_datasets WHERE id = :d"), {"d": dataset_id}
                )
                == 1
            )
            with pytest.raises(DBAPIError) as failure:
                await conn.execute(text(sql), {"d": dataset_id, "o": h.org_id, "e": ids[1]})
            assert failure.value.orig.sqlstate == FROZEN_SQLSTATE  # type: ignore[union-attr]
            await conn.rollback()
    finally:
        await engine.dispose()
    async with api.owner_engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT name, status, total_examples, "
                    "(SELECT count(*) FROM dataset_examples WHERE dataset_id = d.id) AS n, "
                    "(SELECT min(weight) FROM dataset_examples WHERE dataset_id = d.id) AS w "
                    "FROM training_datasets d WHERE id = :d"
                ),
                {"d": dataset_id},
            )
        ).one()
    assert tuple(row) == ("support v1", "FROZEN", 1, 1, 1.0)


async def test_even_the_owner_cannot_edit_a_frozen_version(api: Api) -> None:
    _h, dataset_id, _ = await _frozen_dataset(api)
    async with api.owner_engine.connect() as conn:
        with pytest.raises(DBAPIError):
            await conn.execute(
                text("UPDATE dataset_examples SET weight = 3 WHERE dataset_id = :d"),
                {"d": dataset_id},
            )


async def test_rows_cannot_point_at_another_orgs_dataset(api: Api) -> None:
    h = await api.org(Role.MANAGER)
    other = await api.org(Role.MANAGER)
    dataset = await create(other)
    (mine,) = await seed_examples(api, h.org_id, [{}])
    async with api.owner_engine.connect() as conn:
        their_id = await conn.scalar(
            text("SELECT id FROM training_datasets WHERE org_id = :o"), {"o": other.org_id}
        )
    assert dataset["id"]
    engine = create_async_engine(api.target.app_url)
    try:
        async with engine.connect() as conn:
            await conn.execute(
                text("SELECT set_config('app.org_id', :o, false)"), {"o": str(h.org_id)}
            )
            with pytest.raises(DBAPIError) as failure:
                await conn.execute(
                    text(
                        "INSERT INTO dataset_examples (org_id, dataset_id, example_id, split) "
                        "VALUES (:o, :d, :e, 'TRAIN')"
                    ),
                    {"o": h.org_id, "d": their_id, "e": mine},
                )
            assert failure.value.orig.sqlstate == "LLORG"  # type: ignore[union-attr]
    finally:
        await engine.dispose()


async def test_deleting_an_organisation_still_cascades(api: Api) -> None:
    h, dataset_id, _ = await _frozen_dataset(api)
    async with api.owner_engine.begin() as conn:
        # The creator leaves (created_by_user_id is nulled), then the organisation goes.
        await conn.execute(text("DELETE FROM users WHERE id = :u"), {"u": h.user_id})
        creator = await conn.scalar(
            text("SELECT created_by_user_id FROM training_datasets WHERE id = :d"),
            {"d": dataset_id},
        )
        assert creator is None
        await conn.execute(text("DELETE FROM organizations WHERE id = :o"), {"o": h.org_id})
    async with api.owner_engine.connect() as conn:
        left = await conn.scalar(
            text("SELECT count(*) FROM training_datasets WHERE id = :d"), {"d": dataset_id}
        )
    assert left == 0


async def test_an_insert_racing_a_freeze_is_refused(api: Api) -> None:
    """The freeze holds the row; the insert's trigger waits for it, then sees FROZEN."""
    h = await api.org(Role.MANAGER)
    first, second = await seed_examples(api, h.org_id, [{}, {}])
    dataset = await create(h)
    await add(h, dataset["id"], exampleIds=[example_gid(first)])
    async with api.owner_engine.connect() as conn:
        dataset_id = await conn.scalar(
            text("SELECT dataset_id FROM dataset_examples WHERE example_id = :e"), {"e": first}
        )
    engine = create_async_engine(api.target.app_url)
    scope = text("SELECT set_config('app.org_id', :o, true)")
    try:
        async with engine.connect() as freezer, engine.connect() as adder:
            await freezer.begin()
            await freezer.execute(scope, {"o": str(h.org_id)})
            await freezer.execute(
                text(
                    "UPDATE training_datasets SET status = 'FROZEN', frozen_at = now() WHERE id = :d"
                ),
                {"d": dataset_id},
            )
            await adder.begin()
            await adder.execute(scope, {"o": str(h.org_id)})
            insert = asyncio.create_task(
                adder.execute(
                    text(
                        "INSERT INTO dataset_examples (org_id, dataset_id, example_id, split) "
                        "VALUES (:o, :d, :e, 'TRAIN')"
                    ),
                    {"o": h.org_id, "d": dataset_id, "e": second},
                )
            )
            await asyncio.sleep(0.3)
            assert not insert.done()  # waiting for the freezing transaction
            await freezer.commit()
            with pytest.raises(DBAPIError) as failure:
                await insert
            assert failure.value.orig.sqlstate == FROZEN_SQLSTATE  # type: ignore[union-attr]
    finally:
        await engine.dispose()
