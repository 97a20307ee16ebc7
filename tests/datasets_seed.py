"""Seeding learning examples straight into the database, faster than their API, for dataset tests."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from strawberry import relay

from tests.conftest import Api

_COLUMNS = (
    "example_type",
    "input_text",
    "expected_output",
    "original_output",
    "review_status",
    "quality_score",
    "domain",
    "task_type",
    "metadata",
)


def gid(type_name: str, node_id: uuid.UUID | str) -> str:
    return str(relay.GlobalID(type_name, str(node_id)))


def example_gid(example_id: uuid.UUID) -> str:
    return gid("LearningExample", example_id)


async def seed_examples(
    api: Api, org_id: uuid.UUID, rows: list[dict[str, Any]], agent_key: str | None = None
) -> list[uuid.UUID]:
    """Insert learning examples as the owner (no RLS); defaults: APPROVED CORRECTION, quality 0.8."""
    import json

    ids = []
    async with api.owner_engine.begin() as conn:
        agent_id = None
        if agent_key is not None:
            agent_id = await conn.scalar(
                text(
                    "INSERT INTO agents (org_id, key) VALUES (:o, :k) "
                    "ON CONFLICT (org_id, key) DO UPDATE SET key = EXCLUDED.key RETURNING id"
                ),
                {"o": org_id, "k": agent_key},
            )
        for row in rows:
            values = {
                "example_type": "CORRECTION",
                "input_text": "How do I reset my password?",
                "expected_output": "Open Settings > Security and choose Reset password.",
                "original_output": "I don't know.",
                "review_status": "APPROVED",
                "quality_score": 0.8,
                "domain": None,
                "task_type": None,
                "metadata": {},
                **row,
            }
            values["metadata"] = json.dumps(values["metadata"])
            new_id = await conn.scalar(
                text(
                    f"INSERT INTO learning_examples (org_id, agent_id, {', '.join(_COLUMNS)}) "
                    f"VALUES (:org_id, :agent_id, {', '.join(':' + c for c in _COLUMNS)}) "
                    "RETURNING id"
                ).bindparams(),
                {"org_id": org_id, "agent_id": agent_id, **values},
            )
            ids.append(new_id)
    return ids
