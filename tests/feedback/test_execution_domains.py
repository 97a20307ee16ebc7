"""Domains and task types: reported with an execution (or the agent's defaults), carried by the
examples its feedback creates, and filters that find nothing because no example has a domain."""

from __future__ import annotations

import asyncio
from typing import Any

from learnloop.domain.roles import Role
from tests.conftest import Api, OrgHandle
from tests.feedback.ops import CREATE_EXAMPLE, SEED, count_rows, record, submit_ok

LABELS = "domain taskType"
RECORD_LABELS = f"""
mutation($input: RecordExecutionInput!) {{
  recordExecution(input: $input) {{
    execution {{ key isStub {LABELS} }} outcome userErrors {{ field message code }}
  }}
}}"""
DEFAULTS = """
mutation($input: SetAgentDefaultsInput!) {
  setAgentDefaults(input: $input) {
    agent { key defaultDomain defaultTaskType } userErrors { field message code }
  }
}"""
EXAMPLES = f"""
query($filter: LearningExampleFilter) {{
  learningExamples(filter: $filter, first: 50) {{
    totalCount edges {{ node {{ id inputText {LABELS} execution {{ key }} }} }}
  }}
}}"""
BATCH = """
mutation($input: SubmitFeedbackBatchInput!) {
  submitFeedbackBatch(input: $input) {
    storedCount feedback { id learningExample { id } }
    learningExamples { id exampleType domain taskType expectedOutput }
    userErrors { field message code }
  }
}"""
CLAIM = """
mutation($input: ClaimAnnotationTaskInput!) {
  claimAnnotationTask(input: $input) {
    example { id domain } leaseExpiresAt userErrors { field message code }
  }
}"""
CREATE_DATASET = """
mutation($input: CreateDatasetInput!) {
  createDataset(input: $input) { dataset { id } userErrors { field message code } }
}"""
ADD = """
mutation($input: AddExamplesToDatasetInput!) {
  addExamplesToDataset(input: $input) {
    addedCount dataset { totalExamples } userErrors { field message code }
  }
}"""


async def correct(org: OrgHandle, agent: str, execution: str, text: str = "fixed") -> Any:
    payload = await submit_ok(
        org, **{**SEED, "agentId": agent, "executionId": execution, "correctionText": text}
    )
    return payload["learningExample"]


async def examples(org: OrgHandle, **filter: Any) -> list[dict[str, Any]]:
    data = await org.gql(EXAMPLES, {"filter": filter or None})
    return [e["node"] for e in data["learningExamples"]["edges"]]


async def set_defaults(org: OrgHandle, **fields: Any) -> dict[str, Any]:
    data = await org.gql(DEFAULTS, {"input": fields})
    payload: dict[str, Any] = data["setAgentDefaults"]
    return payload


async def test_reported_labels_reach_the_correction_example(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    data = await org.gql(
        RECORD_LABELS,
        {
            "input": {
                "agentId": "bot",
                "executionId": "run-1",
                "input": "refund?",
                "output": "$10",
                "domain": " billing ",
                "taskType": "qa",
            }
        },
    )
    payload = data["recordExecution"]
    assert payload["userErrors"] == []
    assert payload["execution"] == {
        "key": "run-1",
        "isStub": False,
        "domain": "billing",
        "taskType": "qa",
    }
    await correct(org, "bot", "run-1")
    found = await examples(org, domain="billing")
    assert [(e["domain"], e["taskType"], e["execution"]["key"]) for e in found] == [
        ("billing", "qa", "run-1")
    ]


async def test_labels_are_validated(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    data = await org.gql(
        RECORD_LABELS,
        {"input": {"agentId": "bot", "executionId": "r", "domain": "x" * 101, "taskType": " "}},
    )
    errors = data["recordExecution"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [(["input", "domain"], "TOO_LONG")]
    refused = await set_defaults(org, agentId="bot", taskType="t" * 101)
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", "taskType"], "TOO_LONG")
    ]
    assert refused["agent"] is None


async def test_agent_defaults_fill_what_an_execution_does_not_report(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    await record(org, "bot", "before")  # recorded before any default: keeps no labels
    payload = await set_defaults(org, agentId="bot", domain="support", taskType="qa")
    assert payload == {
        "agent": {"key": "bot", "defaultDomain": "support", "defaultTaskType": "qa"},
        "userErrors": [],
    }
    plain = await org.gql(RECORD_LABELS, {"input": {"agentId": "bot", "executionId": "plain"}})
    assert plain["recordExecution"]["execution"]["domain"] == "support"
    explicit = await org.gql(
        RECORD_LABELS, {"input": {"agentId": "bot", "executionId": "own", "domain": "billing"}}
    )
    assert explicit["recordExecution"]["execution"]["domain"] == "billing"
    assert explicit["recordExecution"]["execution"]["taskType"] == "qa"
    found = await org.gql(
        '{ execution(agentId: "bot", executionId: "before") { domain taskType } }'
    )
    assert found["execution"] == {"domain": None, "taskType": None}
    # Both are replaced: omitting one clears it.
    cleared = await set_defaults(org, agentId="bot", domain="sales")
    assert cleared["agent"]["defaultTaskType"] is None


async def test_defaults_need_member(api: Api) -> None:
    member = await api.org(Role.MEMBER)
    viewer = await member.user(Role.VIEWER)
    body = await viewer.raw(DEFAULTS, {"input": {"agentId": "bot", "domain": "x"}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_stub_examples_take_defaults_then_the_reported_labels(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    await set_defaults(org, agentId="bot", domain="support", taskType="qa")
    # Feedback first: the stub execution (and its correction) take the agent's defaults.
    example = await correct(org, "bot", "early")
    (stubbed,) = await examples(org)
    assert (stubbed["id"], stubbed["domain"], stubbed["taskType"]) == (
        example["id"],
        "support",
        "qa",
    )
    # The agent reports it with its own domain: the example gets it, with the input.
    await record(org, "bot", "early", input="q", output="a", domain="billing")
    (completed,) = await examples(org)
    assert (completed["inputText"], completed["domain"], completed["taskType"]) == (
        "q",
        "billing",
        "qa",
    )


async def test_hand_written_example_on_an_execution_inherits_its_labels(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    await record(org, "bot", "r1", input="q", output="a", domain="billing", taskType="qa")
    base = {"exampleType": "DEMONSTRATION", "inputText": "q", "expectedOutput": "good"}
    inherited = await org.gql(
        CREATE_EXAMPLE, {"input": {**base, "agentId": "bot", "executionId": "r1"}}
    )
    example = inherited["createLearningExample"]["learningExample"]
    assert (example["domain"], example["taskType"]) == ("billing", "qa")
    own = await org.gql(
        CREATE_EXAMPLE,
        {"input": {**base, "agentId": "bot", "executionId": "r1", "domain": "legal"}},
    )
    example = own["createLearningExample"]["learningExample"]
    assert (example["domain"], example["taskType"]) == ("legal", "qa")


async def test_batch_returns_the_examples_it_created_with_their_labels(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    await record(org, "bot", "r1", input="q1", output="a1", domain="billing", taskType="qa")
    await record(org, "bot", "r2", input="q2", output="a2", domain="legal")
    items = [
        {**SEED, "agentId": "bot", "executionId": "r1", "correctionText": "fix 1"},
        {"agentId": "bot", "executionId": "r1", "feedbackType": "THUMBS_DOWN"},
        {**SEED, "agentId": "bot", "executionId": "r2", "correctionText": "fix 2"},
    ]
    data = await org.gql(BATCH, {"input": {"items": items}})
    payload = data["submitFeedbackBatch"]
    assert payload["userErrors"] == [] and payload["storedCount"] == 3
    created = payload["learningExamples"]
    assert [(e["expectedOutput"], e["domain"], e["taskType"]) for e in created] == [
        ("fix 1", "billing", "qa"),
        ("fix 2", "legal", None),
    ]
    per_item = [f["learningExample"] for f in payload["feedback"]]
    assert [e["id"] if e else None for e in per_item] == [created[0]["id"], None, created[1]["id"]]


async def test_claim_in_an_unknown_domain_says_which_domains_exist(api: Api) -> None:
    org = await api.org(Role.EXPERT)
    await record(org, "bot", "r1", input="q", output="a", domain="support")
    await correct(org, "bot", "r1")
    data = await org.gql(CLAIM, {"input": {"domain": "billing"}})
    payload = data["claimAnnotationTask"]
    assert payload["example"] is None
    (error,) = payload["userErrors"]
    assert (error["field"], error["code"]) == (["input", "domain"], "UNKNOWN_DOMAIN")
    assert "'billing'" in error["message"] and "'support'" in error["message"]
    # The domain exists: the example is claimed; then nothing is left, which is not an error.
    claimed = (await org.gql(CLAIM, {"input": {"domain": "support"}}))["claimAnnotationTask"]
    assert claimed["userErrors"] == [] and claimed["example"]["domain"] == "support"
    empty = (await org.gql(CLAIM, {"input": {"domain": "support"}}))["claimAnnotationTask"]
    assert empty == {"example": None, "leaseExpiresAt": None, "userErrors": []}


async def test_claim_when_no_example_has_a_domain(api: Api) -> None:
    org = await api.org(Role.EXPERT)
    payload = (await org.gql(CLAIM, {"input": {"domain": "billing"}}))["claimAnnotationTask"]
    (error,) = payload["userErrors"]
    assert error["code"] == "UNKNOWN_DOMAIN"
    assert "no example has a domain yet" in error["message"]


async def test_dataset_filter_on_an_unknown_domain_says_so(api: Api) -> None:
    org = await api.org(Role.MANAGER)
    await record(org, "bot", "r1", input="q", output="a", domain="support")
    await correct(org, "bot", "r1")
    created = await org.gql(CREATE_DATASET, {"input": {"name": "d", "allowPending": True}})
    dataset_id = created["createDataset"]["dataset"]["id"]

    async def add(**fields: Any) -> dict[str, Any]:
        data = await org.gql(ADD, {"input": {"datasetId": dataset_id, **fields}})
        payload: dict[str, Any] = data["addExamplesToDataset"]
        return payload

    missing = await add(filter={"domains": ["billing"]})
    assert missing["addedCount"] is None or missing["addedCount"] == 0
    (error,) = missing["userErrors"]
    assert (error["field"], error["code"]) == (["input", "filter", "domains"], "UNKNOWN_DOMAIN")
    assert "'support'" in error["message"]
    found = await add(filter={"domains": ["support"]})
    assert (found["addedCount"], found["userErrors"]) == (1, [])
    # Nothing new to add in a known domain: 0, and no error.
    again = await add(filter={"domains": ["support"]})
    assert (again["addedCount"], again["userErrors"]) == (0, [])
    # The dataset's own scope names the unknown domain: the error points at the dataset.
    scoped = await org.gql(
        CREATE_DATASET, {"input": {"name": "s", "allowPending": True, "domains": ["billing"]}}
    )
    scoped_id = scoped["createDataset"]["dataset"]["id"]
    data = await org.gql(ADD, {"input": {"datasetId": scoped_id, "filter": {}}})
    (error,) = data["addExamplesToDataset"]["userErrors"]
    assert (error["field"], error["code"]) == (["input", "datasetId"], "UNKNOWN_DOMAIN")


async def test_concurrent_first_reports_of_a_new_agent_create_it_once(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    await set_defaults(org, agentId="old", domain="support")  # an agent made by the defaults

    async def report(i: int) -> dict[str, Any]:
        body = await org.raw(
            RECORD_LABELS, {"input": {"agentId": "new-bot", "executionId": f"r{i}"}}
        )
        assert not body.get("errors"), body
        payload: dict[str, Any] = body["data"]["recordExecution"]
        return payload

    payloads = await asyncio.gather(*(report(i) for i in range(20)))
    assert all(p["userErrors"] == [] and p["outcome"] == "CREATED" for p in payloads)
    assert await count_rows(org, "agents") == 2
    assert await count_rows(org, "executions") == 20
