"""createLearningExample, the learningExamples list, provenance, annotations and datasets."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry import relay

from learnloop.domain.roles import Role
from tests.conftest import Api, OrgHandle
from tests.feedback.ops import CREATE_EXAMPLE, count_rows, owner_sql, record, submit_ok

LIST = """
query($filter: LearningExampleFilter, $order: LearningExampleOrder!, $after: String) {
  learningExamples(filter: $filter, orderBy: $order, first: 2, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { inputText exampleType reviewStatus } }
  }
}
"""


async def create(org: OrgHandle, **fields: Any) -> dict[str, Any]:
    data = await org.gql(CREATE_EXAMPLE, {"input": fields})
    payload: dict[str, Any] = data["createLearningExample"]
    return payload


def uuid_of(global_id: str) -> str:
    return relay.GlobalID.from_id(global_id).node_id


async def test_created_example_knows_its_provenance(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    await record(org, "agent-p", "run-p", input="q", output="a")
    payload = await create(
        org,
        exampleType="DEMONSTRATION",
        agentId="agent-p",
        executionId="run-p",
        inputText="How do I reset my password?",
        expectedOutput="Use the 'Forgot password' link.",
        domain="support",
        taskType="faq",
        metadata={"source": "handbook"},
    )
    assert payload["userErrors"] == []
    example = payload["learningExample"]
    assert example["exampleType"] == "DEMONSTRATION"
    assert example["reviewStatus"] == "PENDING"
    assert example["agent"] == {"key": "agent-p"}
    assert example["execution"] == {"key": "run-p"}
    assert example["sourceFeedback"] is None
    assert example["author"] == {"id": str(relay.GlobalID("User", str(org.user_id)))}
    assert example["authorKey"] == f"user:{org.user_id}"
    assert (example["domain"], example["taskType"]) == ("support", "faq")
    assert example["metadata"] == {"source": "handbook"}


@pytest.mark.parametrize(
    ("fields", "problems"),
    [
        ({"exampleType": "EDGE_CASE", "inputText": "  "}, [(("input", "inputText"), "REQUIRED")]),
        (
            {"exampleType": "DEMONSTRATION", "inputText": "q"},
            [(("input", "expectedOutput"), "REQUIRED")],
        ),
        (
            {"exampleType": "PREFERENCE", "inputText": "q"},
            [(("input", "expectedOutput"), "REQUIRED"), (("input", "originalOutput"), "REQUIRED")],
        ),
        (
            {"exampleType": "EDGE_CASE", "inputText": "q", "executionId": "run"},
            [(("input", "agentId"), "REQUIRED")],
        ),
        (
            {"exampleType": "EDGE_CASE", "inputText": "q", "domain": "d" * 101},
            [(("input", "domain"), "TOO_LONG")],
        ),
        (
            {"exampleType": "EDGE_CASE", "inputText": "q" * 100_001},
            [(("input", "inputText"), "TOO_LONG")],
        ),
    ],
)
async def test_create_validation(api: Api, fields: dict[str, Any], problems: list[Any]) -> None:
    org = await api.org(Role.MEMBER)
    payload = await create(org, **fields)
    assert payload["learningExample"] is None
    assert sorted((tuple(e["field"]), e["code"]) for e in payload["userErrors"]) == problems
    assert await count_rows(org, "learning_examples") == 0


async def test_viewer_cannot_create_examples(api: Api) -> None:
    org = await api.org(Role.VIEWER)
    body = await org.raw(CREATE_EXAMPLE, {"input": {"exampleType": "EDGE_CASE", "inputText": "q"}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_list_filters_orders_and_pages(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    for i in range(3):
        await create(org, exampleType="EDGE_CASE", agentId="agent-a", inputText=f"edge {i}")
    await create(
        org, exampleType="DEMONSTRATION", agentId="agent-b", inputText="demo", expectedOutput="x"
    )
    await submit_ok(
        org, agentId="agent-a", executionId="e", feedbackType="CORRECTION", correctionText="fix"
    )

    async def listed(filter: dict[str, Any] | None, order: str = "CREATED_AT_DESC") -> list[str]:
        texts, after = [], None
        while True:
            page = await org.gql(LIST, {"filter": filter, "order": order, "after": after})
            found = page["learningExamples"]
            texts += [e["node"]["inputText"] for e in found["edges"]]
            if not found["pageInfo"]["hasNextPage"]:
                return texts
            after = found["pageInfo"]["endCursor"]

    assert await listed({"agentId": "agent-a", "exampleTypes": ["EDGE_CASE"]}) == [
        "edge 2",
        "edge 1",
        "edge 0",
    ]
    assert await listed(
        {"agentId": "agent-a", "exampleTypes": ["EDGE_CASE"]}, "CREATED_AT_ASC"
    ) == [
        "edge 0",
        "edge 1",
        "edge 2",
    ]
    assert await listed({"fromFeedback": True}) == [""]
    assert await listed({"agentId": "agent-b"}) == ["demo"]
    assert await listed({"reviewStatuses": ["APPROVED"]}) == []
    assert len(await listed(None)) == 5
    total = await org.gql(LIST, {"filter": {"agentId": "agent-a"}, "order": "CREATED_AT_DESC"})
    assert total["learningExamples"]["totalCount"] == 4


async def test_annotations_and_datasets_of_an_example_load(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    payload = await submit_ok(
        org, agentId="agent-x", executionId="e", feedbackType="CORRECTION", correctionText="fix"
    )
    example_id = uuid_of(payload["learningExample"]["id"])
    await owner_sql(
        org,
        "INSERT INTO expert_annotations (org_id, example_id, annotator_user_id, approved,"
        " technical_accuracy, professional_quality, completeness, clarity, notes)"
        " VALUES (:o, :e, :u, true, 0.9, 0.8, 0.7, 0.6, 'good')",
        {"o": org.org_id, "e": example_id, "u": org.user_id},
    )
    await owner_sql(
        org,
        "WITH d AS (INSERT INTO training_datasets (org_id, lineage_id, name)"
        " VALUES (:o, gen_random_uuid(), 'support-v1') RETURNING id)"
        " INSERT INTO dataset_examples (org_id, dataset_id, example_id, split, weight)"
        " SELECT :o, d.id, :e, 'VALIDATION', 2.0 FROM d",
        {"o": org.org_id, "e": example_id},
    )
    data = await org.gql(
        """query($id: ID!) { node(id: $id) { ... on LearningExample {
             annotations(first: 5) { totalCount edges { node {
               approved technicalAccuracy notes annotator { id } example { id } } } }
             datasets(first: 5) { totalCount edges { node {
               split weight dataset { name version status totalExamples } } } }
        } } }""",
        {"id": payload["learningExample"]["id"]},
    )
    node = data["node"]
    annotation = node["annotations"]["edges"][0]["node"]
    assert node["annotations"]["totalCount"] == 1
    assert (annotation["approved"], annotation["technicalAccuracy"], annotation["notes"]) == (
        True,
        0.9,
        "good",
    )
    assert annotation["example"]["id"] == payload["learningExample"]["id"]
    assert node["datasets"] == {
        "totalCount": 1,
        "edges": [
            {
                "node": {
                    "split": "VALIDATION",
                    "weight": 2.0,
                    "dataset": {
                        "name": "support-v1",
                        "version": 1,
                        "status": "DRAFT",
                        "totalExamples": 1,  # maintained by the dataset_examples triggers
                    },
                }
            }
        ],
    }


async def test_every_graph_object_resolves_as_a_node(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    payload = await submit_ok(
        org, agentId="agent-n", executionId="e", feedbackType="CORRECTION", correctionText="fix"
    )
    data = await org.gql(
        """query($id: ID!) { node(id: $id) { ... on Feedback {
             id execution { id key agent { id key } } agent { key }
             learningExample { id sourceFeedback { id } } } } }""",
        {"id": payload["feedback"]["id"]},
    )
    feedback = data["node"]
    ids = [
        feedback["id"],
        feedback["execution"]["id"],
        feedback["execution"]["agent"]["id"],
        feedback["learningExample"]["id"],
    ]
    nodes = await org.gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", {"ids": ids}
    )
    assert [n["__typename"] for n in nodes["nodes"]] == [
        "Feedback",
        "Execution",
        "Agent",
        "LearningExample",
    ]
    assert feedback["learningExample"]["sourceFeedback"]["id"] == feedback["id"]
    assert feedback["agent"] == {"key": "agent-n"}
