"""Retrieval feedback rows: a batch of reports in one statement, and an agent's log for RAG_TUNING."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from learnloop.domain.engines.retrieval_log import RetrievalLog
from learnloop.domain.retrieval_feedback import RetrievalFeedback
from learnloop.storage.tables import RETRIEVAL_FEEDBACK
from learnloop.storage.unit_of_work import UnitOfWork, unit_of_work

# One statement for the whole batch: arrays unnest into rows. An execution already reported is
# skipped as a whole (NOT EXISTS), and a concurrent duplicate is absorbed by the primary key.
_INSERT = text(
    """
    INSERT INTO retrieval_feedback
        (org_id, agent_key, execution_key, query, chunk_id, rank, score, helpful, token_count)
    SELECT CAST(:org AS uuid), v.agent_key, v.execution_key, v.query, v.chunk_id, v.rank,
           v.score, v.helpful, v.token_count
    FROM unnest(CAST(:agents AS text[]), CAST(:executions AS text[]), CAST(:queries AS text[]),
                CAST(:chunks AS text[]), CAST(:ranks AS int[]), CAST(:scores AS float8[]),
                CAST(:helpful AS bool[]), CAST(:tokens AS int[]))
         AS v(agent_key, execution_key, query, chunk_id, rank, score, helpful, token_count)
    WHERE NOT EXISTS (
        SELECT 1 FROM retrieval_feedback r
        WHERE r.agent_key = v.agent_key AND r.execution_key = v.execution_key
    )
    ON CONFLICT DO NOTHING
    RETURNING agent_key, execution_key
    """
)


class RetrievalFeedbackRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def insert(self, org_id: UUID, items: Sequence[RetrievalFeedback]) -> list[int]:
        first: dict[tuple[str, str], RetrievalFeedback] = {}
        for item in items:  # a batch naming one execution twice keeps the first report
            first.setdefault((item.agent_key, item.execution_key), item)
        columns: dict[str, list[object]] = {
            k: []
            for k in (
                "agents",
                "executions",
                "queries",
                "chunks",
                "ranks",
                "scores",
                "helpful",
                "tokens",
            )
        }
        for item in first.values():
            for c in item.chunks:
                columns["agents"].append(item.agent_key)
                columns["executions"].append(item.execution_key)
                columns["queries"].append(item.query)
                columns["chunks"].append(c.chunk_id)
                columns["ranks"].append(c.rank)
                columns["scores"].append(c.score)
                columns["helpful"].append(c.helpful)
                columns["tokens"].append(c.token_count)
        rows = await self.uow.all(_INSERT, {"org": str(org_id), **columns})
        stored: dict[tuple[str, str], int] = {}
        for row in rows:
            key = (row.agent_key, row.execution_key)
            stored[key] = stored.get(key, 0) + 1
        counted: set[tuple[str, str]] = set()
        result = []
        for item in items:
            key = (item.agent_key, item.execution_key)
            result.append(0 if key in counted else stored.get(key, 0))
            counted.add(key)
        return result


class RetrievalLogSource:
    """Reads an agent's retrieval feedback for a worker, in the order it was recorded."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def load(self, org_id: UUID, agent_key: str, since: datetime | None) -> RetrievalLog:
        query = select(
            RETRIEVAL_FEEDBACK.c.execution_key,
            RETRIEVAL_FEEDBACK.c.query,
            RETRIEVAL_FEEDBACK.c.chunk_id,
            RETRIEVAL_FEEDBACK.c.rank,
            RETRIEVAL_FEEDBACK.c.helpful,
            RETRIEVAL_FEEDBACK.c.token_count,
        ).where(RETRIEVAL_FEEDBACK.c.agent_key == agent_key)
        if since is not None:
            query = query.where(RETRIEVAL_FEEDBACK.c.created_at >= since)
        query = query.order_by(
            RETRIEVAL_FEEDBACK.c.created_at,
            RETRIEVAL_FEEDBACK.c.execution_key,
            RETRIEVAL_FEEDBACK.c.rank,
        )
        async with unit_of_work(self.engine, org_id) as uow:
            rows = await uow.all(query)
        # Columns from 600,000 rows take a second or two of CPU: not on the event loop, where
        # the run's heartbeat must keep beating.
        return await asyncio.to_thread(RetrievalLog.from_rows, [tuple(r) for r in rows])


async def has_feedback(uow: UnitOfWork, agent_key: str) -> bool:
    found = await uow.first(
        select(RETRIEVAL_FEEDBACK.c.agent_key)
        .where(RETRIEVAL_FEEDBACK.c.agent_key == agent_key)
        .limit(1)
    )
    return found is not None
