"""training_run.completed / training_run.failed are queued with the worker's transition."""

from __future__ import annotations

import json

from learnloop.domain.roles import Role
from tests.conftest import Api
from tests.training.conftest import running_worker
from tests.training.ops import create_run, wait_for
from tests.webhooks.ops import endpoint, receiving, sender, verified


async def test_finished_runs_are_delivered(training_api: Api) -> None:
    async with receiving() as receiver:
        org = await training_api.org(Role.ADMIN)
        _, secret = await endpoint(
            org, receiver.url, ["training_run.completed", "training_run.failed"]
        )
        ok = await create_run(org, config={"steps": 1, "stepSeconds": 0})
        crash = await create_run(org, config={"steps": 1, "stepSeconds": 0, "crash": True})
        async with running_worker(training_api):
            await wait_for(org, ok["id"], {"COMPLETED"})
            await wait_for(org, crash["id"], {"FAILED"})
        await sender(training_api).deliver_due()
        assert len(receiver.got) == 2
        got = {}
        for headers, body in receiver.got:
            assert verified(secret, headers, body)
            doc = json.loads(body)
            got[doc["type"]] = doc["data"]
        assert got.keys() == {"training_run.completed", "training_run.failed"}
        assert "ZeroDivisionError" in got["training_run.failed"]["error"]
