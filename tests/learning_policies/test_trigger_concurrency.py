"""The policy trigger runs exactly once when many checks race, and waits for open runs."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from learnloop.domain.roles import Role
from learnloop.worker.learning_policies import check_due
from learnloop.worker.registry import build_registry
from tests.conftest import Api
from tests.conftest import test_settings as app_settings
from tests.feedback.ops import owner_sql
from tests.learning_policies.ops import LIST, pending_examples, set_policy
from tests.training.ops import audit_actions, count_rows

CHECKERS = 6


async def _approve_all(api: Api, org_id: uuid.UUID) -> None:
    async with api.owner_engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE learning_examples SET review_status = 'APPROVED', decided_at = now()"
                " WHERE org_id = :o AND review_status = 'PENDING'"
            ),
            {"o": org_id},
        )


async def test_racing_checks_queue_exactly_one_run_and_wait_while_it_is_open(
    fresh_api: Api,
) -> None:
    api = fresh_api
    manager = await api.org(Role.MANAGER)
    payload = await set_policy(manager, trainingType="FINE_TUNING", minNewApprovedExamples=5)
    assert payload["userErrors"] == []
    rows = [{"input": f"question {i}", "expected": f"answer {i}"} for i in range(6)]
    await pending_examples(manager, "support-bot", rows[:4])
    await _approve_all(api, manager.org_id)

    # Several "processes" (own engine, own connections) check at the same moment.
    engines = [create_async_engine(api.target.app_url) for _ in range(CHECKERS)]
    registry = build_registry(app_settings(), api.engine)
    try:

        async def race() -> int:
            results = await asyncio.gather(*(check_due(e, registry) for e in engines))
            return sum(len(r) for r in results)

        assert await race() == 0  # 4 approved < 5: not due
        await pending_examples(manager, "support-bot", rows[4:])
        await _approve_all(api, manager.org_id)
        assert await race() == 1
        assert await count_rows(api, "training_runs", manager.org_id) == 1
        assert await count_rows(api, "training_datasets", manager.org_id) == 1
        actions = [a for a, _ in await audit_actions(api, manager.org_id)]
        assert actions.count("learning_policy.trigger") == 1

        (policy,) = (await manager.gql(LIST))["learningPolicies"]
        assert policy["lastRun"]["status"] == "PENDING" and policy["lastTriggeredAt"]
        first_run = policy["lastRun"]["id"]

        # Five more approved while the run is still open: nothing new is queued.
        more = [{"input": f"later {i}", "expected": f"later answer {i}"} for i in range(5)]
        await pending_examples(manager, "support-bot", more)
        await _approve_all(api, manager.org_id)
        assert await race() == 0

        # Once a person has reviewed it, the next check forks version 2 with the new examples.
        await owner_sql(
            manager,
            "UPDATE training_runs SET status = 'COMPLETED', review_status = 'REJECTED',"
            " finished_at = now(), review_notes = 'no' WHERE org_id = :o",
            {"o": manager.org_id},
        )
        assert await race() == 1
        (policy,) = (await manager.gql(LIST))["learningPolicies"]
        assert policy["lastRun"]["id"] != first_run
        versions = await owner_sql(
            manager,
            "SELECT version, status, total_examples FROM training_datasets"
            " WHERE org_id = :o ORDER BY version",
            {"o": manager.org_id},
        )
        assert [tuple(v) for v in versions] == [(1, "FROZEN", 6), (2, "FROZEN", 11)]
    finally:
        for engine in engines:
            await engine.dispose()
