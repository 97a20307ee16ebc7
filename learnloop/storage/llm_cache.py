"""Replay-cache rows: look up an organisation's recorded answers by request key, record new ones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from learnloop.storage.models import LlmCacheEntry
from learnloop.storage.tables import LLM_CACHE
from learnloop.storage.unit_of_work import unit_of_work


async def lookup(
    engine: AsyncEngine, org_id: UUID, keys: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Recorded responses by key (absent keys were never recorded)."""
    async with unit_of_work(engine, org_id) as uow:
        rows = await uow.all(
            select(LLM_CACHE.c.key, LLM_CACHE.c.response).where(LLM_CACHE.c.key.in_(list(keys)))
        )
    return {r.key: dict(r.response) for r in rows}


@dataclass(frozen=True)
class Entry:
    key: str
    request: Mapping[str, Any]
    response: Mapping[str, Any]


async def record(engine: AsyncEngine, org_id: UUID, model: str, entries: Sequence[Entry]) -> None:
    """One statement for a batch; the first answer recorded for a key stays (replays never change)."""
    unique = {e.key: e for e in entries}
    async with unit_of_work(engine, org_id) as uow:
        await uow.execute(
            insert(LlmCacheEntry)
            .values(
                [
                    {
                        "org_id": org_id,
                        "key": e.key,
                        "model": model,
                        "request": dict(e.request),
                        "response": dict(e.response),
                    }
                    for e in unique.values()
                ]
            )
            .on_conflict_do_nothing(index_elements=["org_id", "key"])
        )
