"""Each event type reaches a subscribed receiver, signed; unsubscribed types are not sent."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from learnloop.domain import webhooks as webhook_rules
from learnloop.domain.roles import Role
from learnloop.resolvers import webhooks
from learnloop.storage.unit_of_work import unit_of_work
from tests.annotations.ops import SEED_ANNOTATION, claim, make_examples, submit
from tests.conftest import Api
from tests.datasets_seed import seed_examples
from tests.webhooks.ops import endpoint, receiving, sender, verified


async def test_example_decided_dataset_frozen_and_experiment_concluded(api: Api) -> None:
    async with receiving() as receiver:
        org = await api.org(Role.ADMIN)
        _, secret = await endpoint(
            org, receiver.url, ["example.decided", "dataset.frozen", "experiment.concluded"]
        )
        (example_id,) = await make_examples(org, 1)
        expert = await org.user(Role.EXPERT)
        assert (await claim(expert))["example"]["id"] == example_id
        assert (await submit(expert, example_id, **SEED_ANNOTATION))["outcome"] == "APPROVED"

        await seed_examples(api, org.org_id, [{}, {}])
        created = await org.gql(
            'mutation { createDataset(input: {name: "hooked", allowPending: true}) '
            "{ dataset { id } } }"
        )
        dataset_id = created["createDataset"]["dataset"]["id"]
        await org.gql(
            "mutation($id: ID!) { addExamplesToDataset(input: {datasetId: $id, filter: {}}) "
            "{ addedCount } }",
            {"id": dataset_id},
        )
        frozen = await org.gql(
            "mutation($id: ID!) { freezeDataset(input: {datasetId: $id}) "
            "{ userErrors { message } } }",
            {"id": dataset_id},
        )
        assert frozen["freezeDataset"]["userErrors"] == []
        # experiment.concluded is emitted by the experiments feature through this helper.
        concluded = webhook_rules.experiment_concluded(
            uuid.uuid4(), "agent-x", "TREATMENT_WINS", datetime.now(UTC)
        )
        async with unit_of_work(api.engine, org.org_id) as uow:
            await webhooks.emit(uow, [concluded])
        # Not subscribed: nothing is queued for it.
        await org.gql(
            'mutation { submitFeedback(input: {agentId: "a", executionId: "e", '
            "feedbackType: THUMBS_UP}) { userErrors { code } } }"
        )
        await sender(api).deliver_due()
        assert len(receiver.got) == 3
        docs = {}
        for headers, body in receiver.got:
            assert verified(secret, headers, body)
            doc = json.loads(body)
            docs[doc["type"]] = doc["data"]
        assert docs.keys() == {"example.decided", "dataset.frozen", "experiment.concluded"}
        assert docs["example.decided"]["reviewStatus"] == "APPROVED"
        assert docs["dataset.frozen"]["name"] == "hooked"
        assert docs["experiment.concluded"]["verdict"] == "TREATMENT_WINS"
