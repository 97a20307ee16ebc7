"""GraphQL operations and small helpers shared by the training tests."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from strawberry import relay

from tests.conftest import Api, OrgHandle
from tests.training.seed import dataset_gid, seed_dataset

RUN_FIELDS = """
  id status progress attempts maxAttempts cancelRequested error result metrics config
  reviewStatus reviewNotes agentKey datasetId startedAt finishedAt providerJobId
"""
CREATE = f"""
mutation($d: ID!, $t: TrainingType!, $a: String!, $c: JSON, $m: Int) {{
  createTrainingRun(input: {{datasetId: $d, trainingType: $t, agentId: $a, config: $c, maxAttempts: $m}}) {{
    trainingRun {{ {RUN_FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
CANCEL = f"""
mutation($id: ID!) {{
  cancelTrainingRun(input: {{runId: $id}}) {{ trainingRun {{ {RUN_FIELDS} }} userErrors {{ field message code }} }}
}}"""
REVIEW = f"""
mutation($id: ID!, $d: ReviewDecision!, $n: String) {{
  reviewTrainingRun(input: {{runId: $id, decision: $d, notes: $n}}) {{
    trainingRun {{ {RUN_FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
DEPLOY = """
mutation($id: ID!) {
  deployTrainingRun(input: {runId: $id}) {
    deployment { id version active agentKey config trainingRun { id } deployedBy { email } }
    trainingRun { id reviewStatus }
    userErrors { field message code }
  }
}"""
GET = f"query($id: ID!) {{ trainingRun(id: $id) {{ {RUN_FIELDS} events(first: 100) {{ edges {{ node {{ kind message data }} }} }} artifacts {{ name mediaType sizeBytes lineCount sha256 downloadUrl }} }} }}"
UPDATED = "subscription($id: ID!) { trainingRunUpdated(runId: $id) { id status progress attempts cancelRequested error } }"
ORG_UPDATED = "subscription { trainingRunsUpdated { id status progress } }"


def run_uuid(global_id: str) -> uuid.UUID:
    return uuid.UUID(relay.GlobalID.from_id(global_id).node_id)


async def create_run(
    org: OrgHandle,
    *,
    dataset: uuid.UUID | None = None,
    training_type: str = "PROMPT_OPTIMIZATION",
    config: dict[str, Any] | None = None,
    agent: str = "support-bot",
    max_attempts: int | None = None,
) -> dict[str, Any]:
    """Create a run (on a fresh frozen dataset unless given); fails the test on user errors."""
    if dataset is None:
        dataset = await seed_dataset(org.api, org.org_id)
    data = await org.gql(
        CREATE,
        {"d": dataset_gid(dataset), "t": training_type, "a": agent, "c": config, "m": max_attempts},
    )
    payload = data["createTrainingRun"]
    assert payload["userErrors"] == [], payload["userErrors"]
    run: dict[str, Any] = payload["trainingRun"]
    return run


async def get_run(org: OrgHandle, run_id: str) -> dict[str, Any]:
    run: dict[str, Any] = (await org.gql(GET, {"id": run_id}))["trainingRun"]
    return run


async def wait_for(
    org: OrgHandle, run_id: str, statuses: set[str], within: float = 15
) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        run = await get_run(org, run_id)
        if run["status"] in statuses:
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run stayed {run['status']}, wanted {statuses}: {run}")
        await asyncio.sleep(0.05)


async def count_rows(api: Api, table: str, org_id: uuid.UUID, where: str = "true") -> int:
    async with api.owner_engine.connect() as conn:
        return int(
            await conn.scalar(
                text(f"SELECT count(*) FROM {table} WHERE org_id = :o AND {where}"), {"o": org_id}
            )
        )


async def audit_actions(api: Api, org_id: uuid.UUID) -> list[tuple[str, str]]:
    async with api.owner_engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT action, actor_key FROM audit_log WHERE org_id = :o ORDER BY created_at, id"
            ),
            {"o": org_id},
        )
        return [(r.action, r.actor_key) for r in rows]


async def eventually(check: Callable[[], Any], within: float = 10, every: float = 0.02) -> Any:
    """The first truthy value of `check()`, polled; fails the test after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {within}s: {check}")
        await asyncio.sleep(every)
