"""Creating, cancelling, reviewing and deploying runs over GraphQL; refusals change nothing."""

from __future__ import annotations

from learnloop.domain.roles import Role
from tests.conftest import Api
from tests.training.conftest import running_worker
from tests.training.ops import (
    CANCEL,
    CREATE,
    DEPLOY,
    REVIEW,
    audit_actions,
    count_rows,
    create_run,
    get_run,
    wait_for,
)
from tests.training.seed import dataset_gid, seed_dataset


def errors(payload: dict) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


async def test_create_on_draft_dataset_is_refused_and_writes_nothing(training_api: Api) -> None:
    org = await training_api.org(Role.MANAGER)
    draft = await seed_dataset(training_api, org.org_id, status="DRAFT", name="not yet")
    data = await org.gql(
        CREATE, {"d": dataset_gid(draft), "t": "PROMPT_OPTIMIZATION", "a": "bot", "c": {}}
    )
    payload = data["createTrainingRun"]
    assert payload["trainingRun"] is None
    assert errors(payload) == [(["input", "datasetId"], "INVALID_STATE")]
    assert "freeze it first" in payload["userErrors"][0]["message"]
    assert await count_rows(training_api, "training_runs", org.org_id) == 0
    assert await count_rows(training_api, "agents", org.org_id) == 0
    assert await audit_actions(training_api, org.org_id) == []


async def test_every_input_problem_is_reported_at_once(training_api: Api) -> None:
    org = await training_api.org(Role.MANAGER)
    dataset = await seed_dataset(training_api, org.org_id)
    data = await org.gql(
        CREATE,
        {
            "d": dataset_gid(dataset),
            "t": "PROMPT_OPTIMIZATION",
            "a": " ",
            "c": {"steps": "many", "colour": "blue"},
            "m": 0,
        },
    )
    assert sorted(errors(data["createTrainingRun"])) == sorted(
        [
            (["input", "agentId"], "REQUIRED"),
            (["input", "maxAttempts"], "OUT_OF_RANGE"),
            (["input", "config", "steps"], "INVALID"),
            (["input", "config", "colour"], "INVALID"),
        ]
    )


async def test_type_without_engine_is_refused_at_creation(training_api: Api) -> None:
    org = await training_api.org(Role.MANAGER)
    dataset = await seed_dataset(training_api, org.org_id)
    data = await org.gql(CREATE, {"d": dataset_gid(dataset), "t": "RLHF", "a": "bot"})
    payload = data["createTrainingRun"]
    assert errors(payload) == [(["input", "trainingType"], "INVALID")]
    assert "no engine for RLHF" in payload["userErrors"][0]["message"]
    assert await count_rows(training_api, "training_runs", org.org_id) == 0


async def test_unknown_dataset_and_wrong_id_type(training_api: Api) -> None:
    org = await training_api.org(Role.MANAGER)
    other = await training_api.org(Role.MANAGER)
    theirs = await seed_dataset(training_api, other.org_id)
    data = await org.gql(CREATE, {"d": dataset_gid(theirs), "t": "PROMPT_OPTIMIZATION", "a": "b"})
    assert errors(data["createTrainingRun"]) == [(["input", "datasetId"], "NOT_FOUND")]
    data = await org.gql(CREATE, {"d": "VXNlcjox", "t": "PROMPT_OPTIMIZATION", "a": "b"})
    assert errors(data["createTrainingRun"]) == [(["input", "datasetId"], "NOT_FOUND")]


async def test_viewer_cannot_create_runs(training_api: Api) -> None:
    org = await training_api.org(Role.VIEWER)
    dataset = await seed_dataset(training_api, org.org_id)
    body = await org.raw(CREATE, {"d": dataset_gid(dataset), "t": "PROMPT_OPTIMIZATION", "a": "b"})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await count_rows(training_api, "training_runs", org.org_id) == 0


async def test_cancel_pending_run_and_cancel_twice(training_api: Api) -> None:
    org = await training_api.org(Role.MANAGER)
    run = await create_run(org)
    first = (await org.gql(CANCEL, {"id": run["id"]}))["cancelTrainingRun"]
    assert first["trainingRun"]["status"] == "CANCELLED" and first["userErrors"] == []
    again = (await org.gql(CANCEL, {"id": run["id"]}))["cancelTrainingRun"]
    assert errors(again) == [(["input", "runId"], "INVALID_STATE")]
    assert ("training_run.cancel", f"user:{org.user_id}") in await audit_actions(
        training_api, org.org_id
    )


async def test_review_and_deploy_rules(training_api: Api) -> None:
    org = await training_api.org(Role.MANAGER)
    ok = await create_run(org, config={"steps": 2, "stepSeconds": 0})
    failing = await create_run(org, config={"steps": 1, "stepSeconds": 0, "failWith": "bad data"})
    async with running_worker(training_api):
        await wait_for(org, ok["id"], {"COMPLETED"})
        failed = await wait_for(org, failing["id"], {"FAILED"})
    assert failed["error"] == "bad data"

    # deploy before approve: refused, nothing recorded
    early = (await org.gql(DEPLOY, {"id": ok["id"]}))["deployTrainingRun"]
    assert errors(early) == [(["input", "runId"], "INVALID_STATE")]
    assert "approve it first" in early["userErrors"][0]["message"]
    assert await count_rows(training_api, "deployments", org.org_id) == 0

    # approving a FAILED run: refused, still unreviewed
    bad = (await org.gql(REVIEW, {"id": failing["id"], "d": "APPROVE"}))["reviewTrainingRun"]
    assert errors(bad) == [(["input", "runId"], "INVALID_STATE")]
    assert (await get_run(org, failing["id"]))["reviewStatus"] == "UNREVIEWED"

    # a rejection must say why
    silent = (await org.gql(REVIEW, {"id": ok["id"], "d": "REJECT"}))["reviewTrainingRun"]
    assert errors(silent) == [(["input", "notes"], "REQUIRED")]

    approved = await org.gql(REVIEW, {"id": ok["id"], "d": "APPROVE", "n": "looks right"})
    assert approved["reviewTrainingRun"]["trainingRun"]["reviewStatus"] == "APPROVED"
    twice = await org.gql(REVIEW, {"id": ok["id"], "d": "REJECT", "n": "changed my mind"})
    assert errors(twice["reviewTrainingRun"]) == [(["input", "runId"], "INVALID_STATE")]

    first = (await org.gql(DEPLOY, {"id": ok["id"]}))["deployTrainingRun"]
    second = (await org.gql(DEPLOY, {"id": ok["id"]}))["deployTrainingRun"]
    assert first["userErrors"] == [] and first["deployment"]["version"] == 1
    assert first["deployment"]["config"]["deployable"] == {"prompt": "v2"}
    assert first["deployment"]["deployedBy"]["email"].endswith(".test")
    # Deploying the same run again is refused, not a silent second version.
    assert second["deployment"] is None
    assert errors(second) == [(["input", "runId"], "ALREADY_DEPLOYED")]
    assert (
        "already deployed to agent 'support-bot' as version 1" in second["userErrors"][0]["message"]
    )
    listed = await org.gql(
        '{ deployments(agentId: "support-bot", first: 10) { totalCount edges { node { version active } } } }'
    )
    assert listed["deployments"]["totalCount"] == 1
    assert [e["node"] for e in listed["deployments"]["edges"]] == [{"version": 1, "active": True}]
    agent = await org.gql(
        """query($id: ID!) {
          agent(key: "support-bot") { activeDeployment { version active trainingRun { id } } }
          trainingRun(id: $id) { agent { key } dataset { status version } }
        }""",
        {"id": ok["id"]},
    )
    assert agent["agent"]["activeDeployment"] == {
        "version": 1,
        "active": True,
        "trainingRun": {"id": ok["id"]},
    }
    assert agent["trainingRun"] == {
        "agent": {"key": "support-bot"},
        "dataset": {"status": "FROZEN", "version": 1},
    }
    actions = await audit_actions(training_api, org.org_id)
    user = f"user:{org.user_id}"
    assert ("training_run.create", user) in actions
    assert ("training_run.start", "system") in actions
    assert ("training_run.complete", "system") in actions
    assert ("training_run.fail", "system") in actions
    assert ("training_run.review", user) in actions
    assert actions.count(("deployment.create", user)) == 1


async def test_runs_list_filters_and_pages(training_api: Api) -> None:
    org = await training_api.org(Role.MANAGER)
    dataset = await seed_dataset(training_api, org.org_id)
    made = [await create_run(org, dataset=dataset, agent=f"agent-{i % 2}") for i in range(5)]
    await org.gql(CANCEL, {"id": made[0]["id"]})
    query = """query($f: TrainingRunFilter, $after: String) {
      trainingRuns(filter: $f, first: 2, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { id status agentKey } } } }"""
    seen, after = [], None
    while True:
        page = (await org.gql(query, {"after": after}))["trainingRuns"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [r["id"] for r in reversed(made)]
    pending = await org.gql(query, {"f": {"status": "PENDING", "agentId": "agent-0"}})
    assert pending["trainingRuns"]["totalCount"] == 2  # agent-0 has runs 0, 2, 4; run 0 cancelled
    by_dataset = await org.gql(query, {"f": {"datasetId": dataset_gid(dataset)}})
    assert by_dataset["trainingRuns"]["totalCount"] == 5


async def test_agent_outside_the_datasets_agents_is_refused(training_api: Api) -> None:
    org = await training_api.org(Role.MANAGER)
    scoped = await seed_dataset(training_api, org.org_id, agent_ids=["support-bot", "billing-bot"])
    data = await org.gql(
        CREATE, {"d": dataset_gid(scoped), "t": "PROMPT_OPTIMIZATION", "a": "suport-bot", "c": {}}
    )
    payload = data["createTrainingRun"]
    assert payload["trainingRun"] is None
    assert errors(payload) == [(["input", "agentId"], "INVALID")]
    assert (
        "covers agents support-bot, billing-bot, not 'suport-bot'"
        in payload["userErrors"][0]["message"]
    )
    assert await count_rows(training_api, "agents", org.org_id) == 0  # no agent made on the fly
    ok = await create_run(org, dataset=scoped, agent="billing-bot")
    assert ok["agentKey"] == "billing-bot"
