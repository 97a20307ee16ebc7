"""The time trigger: a policy with periodSeconds retrains on what is new, at most once per period."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from strawberry import relay

from learnloop.domain.roles import Role
from learnloop.worker.learning_policies import check_due
from learnloop.worker.registry import build_registry
from tests.conftest import Api, OrgHandle
from tests.conftest import test_settings as app_settings
from tests.learning_policies.ops import SET, pending_examples, set_policy
from tests.training.ops import GET, count_rows


async def _owner(api: Api, sql: str, org_id: uuid.UUID) -> None:
    async with api.owner_engine.begin() as conn:
        await conn.execute(text(sql), {"o": org_id})


async def _approve(org: OrgHandle, rows: list[dict[str, str]]) -> None:
    await pending_examples(org, "support-bot", rows)
    await _owner(
        org.api,
        "UPDATE learning_examples SET review_status = 'APPROVED', decided_at = now()"
        " WHERE org_id = :o AND review_status = 'PENDING'",
        org.org_id,
    )


async def test_a_period_trigger_fires_once_per_period_and_only_on_something_new(
    fresh_api: Api,
) -> None:
    api = fresh_api
    manager = await api.org(Role.MANAGER)
    refused = (
        await manager.gql(
            SET,
            {
                "input": {
                    "agentId": "support-bot",
                    "trainingType": "FINE_TUNING",
                    "minNewApprovedExamples": 1000,
                    "periodSeconds": 59,
                }
            },
        )
    )["setLearningPolicy"]
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", "periodSeconds"], "OUT_OF_RANGE")
    ]
    payload = await set_policy(
        manager, trainingType="FINE_TUNING", minNewApprovedExamples=1000, periodSeconds=3600
    )
    assert payload["userErrors"] == [] and payload["policy"]["periodSeconds"] == 3600
    registry = build_registry(app_settings(), api.engine)
    org = manager.org_id

    # A period has passed, but nothing new is approved: nothing to train on.
    await _owner(
        api,
        "UPDATE learning_policies SET created_at = now() - interval '2 hours' WHERE org_id = :o",
        org,
    )
    assert await check_due(api.engine, registry) == []
    # Two approved (far below 1000): the period makes them enough.
    await _approve(manager, [{"input": f"q{i}", "expected": f"a{i}"} for i in range(2)])
    (first,) = await check_due(api.engine, registry)
    assert first.new_examples == 2
    run_gid = str(relay.GlobalID("TrainingRun", str(first.run.id)))
    run = (await manager.gql(GET, {"id": run_gid}))["trainingRun"]
    messages = [e["node"]["message"] for e in run["events"]["edges"]]
    assert any("(period of 3600s elapsed)" in m for m in messages), messages

    # Reviewed (closed), one more approved: the period counts from the last trigger now.
    await _owner(
        api,
        "UPDATE training_runs SET status = 'COMPLETED', review_status = 'REJECTED',"
        " finished_at = now(), review_notes = 'no' WHERE org_id = :o",
        org,
    )
    await _approve(manager, [{"input": "q9", "expected": "a9"}])
    assert await check_due(api.engine, registry) == []
    await _owner(
        api,
        "UPDATE learning_policies SET last_triggered_at = now() - interval '61 minutes'"
        " WHERE org_id = :o",
        org,
    )
    (second,) = await check_due(api.engine, registry)
    assert second.new_examples == 1 and second.dataset.version == 2
    assert await check_due(api.engine, registry) == []  # its run is open
    assert await count_rows(api, "training_runs", org) == 2
