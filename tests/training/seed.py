"""Seeding for training tests: frozen (or draft) datasets with examples, written as the owner."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import text
from strawberry import relay

from learnloop.storage import datasets
from learnloop.storage.unit_of_work import unit_of_work
from tests.conftest import Api

DEFAULT_EXAMPLES: list[dict[str, Any]] = [
    {"type": "CORRECTION", "input": "What is 2+2?", "expected": "4", "original": "5"},
    {"type": "DEMONSTRATION", "input": "Greet the user", "expected": "Hello! How can I help?"},
    {
        "type": "PREFERENCE",
        "input": "Summarise: cats sleep a lot",
        "expected": "Cats sleep much.",
        "original": "Dogs bark.",
    },
    {"type": "POSITIVE", "input": "Capital of France?", "expected": "Paris", "split": "VALIDATION"},
    {"type": "NEGATIVE", "input": "Tell me a secret", "expected": None, "original": "the password"},
]


def dataset_gid(dataset_id: uuid.UUID) -> str:
    return str(relay.GlobalID("TrainingDataset", str(dataset_id)))


async def seed_dataset(
    api: Api,
    org_id: uuid.UUID,
    *,
    status: str = "FROZEN",
    name: str = "support answers",
    examples: list[dict[str, Any]] | None = None,
    agent_ids: list[str] | None = None,
) -> uuid.UUID:
    """A dataset version with `examples` (default: a small mix of types and splits).

    Written as the owner, DRAFT first; FROZEN ones are then frozen the way freezeDataset does it
    (content snapshots, then the status flip), so the database's own rules hold.
    """
    rows = DEFAULT_EXAMPLES if examples is None else examples
    async with api.owner_engine.begin() as conn:
        dataset_id = await conn.scalar(
            text(
                "INSERT INTO training_datasets (org_id, lineage_id, name, agent_ids)"
                " VALUES (:o, gen_random_uuid(), :n, :a) RETURNING id"
            ),
            {"o": org_id, "n": name, "a": agent_ids or []},
        )
        for row in rows:
            example_id = await conn.scalar(
                text(
                    "INSERT INTO learning_examples (org_id, example_type, input_text, expected_output,"
                    " original_output, quality_score, metadata)"
                    " VALUES (:o, :ty, :i, :e, :orig, :q, CAST(:m AS jsonb)) RETURNING id"
                ),
                {
                    "o": org_id,
                    "ty": row["type"],
                    "i": row["input"],
                    "e": row.get("expected"),
                    "orig": row.get("original"),
                    "q": row.get("quality", 0.9),
                    "m": json.dumps(row.get("metadata", {})),
                },
            )
            await conn.execute(
                text(
                    "INSERT INTO dataset_examples (org_id, dataset_id, example_id, split)"
                    " VALUES (:o, :d, :x, :s)"
                ),
                {"o": org_id, "d": dataset_id, "x": example_id, "s": row.get("split", "TRAIN")},
            )
    if status == "FROZEN":
        async with unit_of_work(api.owner_engine, org_id) as uow:
            await datasets.freeze(uow, dataset_id)
    return uuid.UUID(str(dataset_id))


async def seed_finished_run(
    api: Api, org_id: uuid.UUID, *, agent_key: str, marker: str, deploy: bool = True
) -> dict[str, str]:
    """A COMPLETED, APPROVED run (and a deployment of it) written directly, for isolation probes."""
    dataset_id = await seed_dataset(api, org_id, name=f"dataset-{marker}", examples=[])
    async with api.owner_engine.begin() as conn:
        agent_id = await conn.scalar(
            text(
                "INSERT INTO agents (org_id, key) VALUES (:o, :k)"
                " ON CONFLICT (org_id, key) DO UPDATE SET key = EXCLUDED.key RETURNING id"
            ),
            {"o": org_id, "k": agent_key},
        )
        run_id = await conn.scalar(
            text(
                "INSERT INTO training_runs (org_id, dataset_id, agent_id, training_type, config,"
                " status, progress, result, review_status, review_notes, attempts, finished_at)"
                " VALUES (:o, :d, :a, 'FINE_TUNING', CAST(:c AS jsonb), 'COMPLETED', 1,"
                " CAST(:c AS jsonb), 'APPROVED', :m, 1, now()) RETURNING id"
            ),
            {
                "o": org_id,
                "d": dataset_id,
                "a": agent_id,
                "c": json.dumps({"marker": marker}),
                "m": marker,
            },
        )
        await conn.execute(
            text(
                "INSERT INTO training_run_events (org_id, run_id, kind, message)"
                " VALUES (:o, :r, 'log', :m)"
            ),
            {"o": org_id, "r": run_id, "m": marker},
        )
        ids = {"run": str(relay.GlobalID("TrainingRun", str(run_id)))}
        if deploy:
            deployment_id = await conn.scalar(
                text(
                    "INSERT INTO deployments (org_id, agent_id, training_run_id, config, version)"
                    " VALUES (:o, :a, :r, CAST(:c AS jsonb),"
                    " (SELECT coalesce(max(version), 0) + 1 FROM deployments WHERE agent_id = :a))"
                    " RETURNING id"
                ),
                {"o": org_id, "a": agent_id, "r": run_id, "c": json.dumps({"marker": marker})},
            )
            ids["deployment"] = str(relay.GlobalID("Deployment", str(deployment_id)))
    return ids
