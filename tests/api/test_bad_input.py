"""Bad input is never a 500: NUL characters, oversized or deep JSON, malformed and foreign ids."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from sqlalchemy import text

from learnloop.domain.roles import Role
from tests.conftest import Api, OrgHandle

RECORD = """
mutation($input: RecordExecutionInput!) {
  recordExecution(input: $input) { execution { key } userErrors { field message code } }
}
"""
BATCH = """
mutation($input: SubmitFeedbackBatchInput!) {
  submitFeedbackBatch(input: $input) { storedCount feedback { id } userErrors { field code } }
}
"""
EXAMPLE = """
mutation($input: CreateLearningExampleInput!) {
  createLearningExample(input: $input) { learningExample { id } userErrors { field code } }
}
"""


def gid(type_name: str, node_id: object) -> str:
    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth - 1):
        value = {"k": value}
    return {"k": value} if depth else value


async def count_executions(api: Api, org: OrgHandle) -> int:
    async with api.owner_engine.connect() as conn:
        return int(
            await conn.scalar(
                text("SELECT count(*) FROM executions WHERE org_id = :o"), {"o": org.org_id}
            )
        )


def record(**fields: Any) -> dict[str, Any]:
    return {"input": {"agentId": "a", "executionId": "e", "input": "q", "output": "a", **fields}}


async def test_nul_in_a_string_is_a_user_error_with_its_path_and_writes_nothing(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    for field in ("agentId", "executionId", "input", "output"):
        data = await org.gql(RECORD, record(**{field: "bad\x00value"}))
        payload = data["recordExecution"]
        assert payload["execution"] is None
        assert payload["userErrors"] == [
            {
                "field": ["input", field],
                "message": "must not contain NUL (\\u0000) characters",
                "code": "INVALID",
            }
        ]
    assert await count_executions(api, org) == 0


async def test_nul_inside_a_list_item_names_the_item(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    items = [
        {"agentId": "a", "executionId": "e1", "feedbackType": "THUMBS_UP"},
        {
            "agentId": "a",
            "executionId": "e2",
            "feedbackType": "STAR_RATING",
            "rating": 3,
            "feedbackText": "nul\x00here",
        },
    ]
    data = await org.gql(BATCH, {"input": {"items": items}})
    payload = data["submitFeedbackBatch"]
    assert payload["storedCount"] == 0 and payload["feedback"] == []
    assert payload["userErrors"] == [
        {"field": ["input", "items", "1", "feedbackText"], "code": "INVALID"}
    ]


async def test_nul_in_a_query_argument_is_bad_user_input(api: Api) -> None:
    org = await api.org(Role.VIEWER)
    body = await org.raw('{ agent(key: "a\\u0000b") { key } }')
    assert body["data"] == {"agent": None}
    error = body["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": ["key"]}


async def test_json_depth_and_size_limits(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    ok = await org.gql(RECORD, record(executionId="deep32", metadata=nested(32)))
    assert ok["recordExecution"]["userErrors"] == []
    deep = await org.gql(RECORD, record(executionId="deep33", metadata=nested(33)))
    assert deep["recordExecution"]["userErrors"][0]["field"] == ["input", "metadata"]
    assert deep["recordExecution"]["userErrors"][0]["code"] == "OUT_OF_RANGE"
    big = await org.gql(RECORD, record(executionId="big", metadata={"blob": "x" * 70_000}))
    assert big["recordExecution"]["userErrors"][0]["code"] == "TOO_LONG"
    nul_key = await org.gql(RECORD, record(executionId="nulkey", metadata={"a\x00": 1}))
    assert nul_key["recordExecution"]["userErrors"][0]["field"] == ["input", "metadata"]
    very_deep = await org.gql(
        EXAMPLE,
        {"input": {"exampleType": "DEMONSTRATION", "inputText": "x", "metadata": nested(900)}},
    )
    assert very_deep["createLearningExample"]["userErrors"] == [
        {"field": ["input", "metadata"], "code": "OUT_OF_RANGE"}
    ]
    assert await count_executions(api, org) == 1


async def test_malformed_and_foreign_ids_read_as_nothing(api: Api) -> None:
    org = await api.org(Role.ADMIN)
    other = await api.org(Role.ADMIN)
    created = await other.gql(
        'mutation { createDataset(input: {name: "theirs"}) { dataset { id } } }'
    )
    theirs = created["createDataset"]["dataset"]["id"]
    bad = [
        "garbage!!",
        "",
        "Og==",
        gid("Nope", uuid.uuid4()),
        gid("TrainingDataset", "x\x00"),
        gid("Agent", uuid.uuid4()),
        theirs,
    ]
    for value in bad:
        for query, field in (
            ("query($id: ID!) { node(id: $id) { id } }", "node"),
            ("query($id: ID!) { dataset(id: $id) { id } }", "dataset"),
            ("query($id: ID!) { trainingRun(id: $id) { id } }", "trainingRun"),
        ):
            body = await org.raw(query, {"id": value})
            assert body == {"data": {field: None}}, (value, body)
    body = await org.raw("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": bad})
    assert body == {"data": {"nodes": [None] * len(bad)}}
    # Literals too, not only variables.
    assert await org.raw('{ node(id: "garbage") { id } }') == {"data": {"node": None}}


async def test_malformed_and_foreign_ids_in_mutations_are_not_found(api: Api) -> None:
    org = await api.org(Role.ADMIN)
    mutations = {
        "freezeDataset": ("FreezeDatasetInput", "datasetId", "dataset { id }"),
        "revokeApiKey": ("RevokeApiKeyInput", "apiKeyId", "apiKey { id }"),
        "cancelTrainingRun": ("CancelTrainingRunInput", "runId", "trainingRun { id }"),
        "releaseAnnotationTask": ("ReleaseAnnotationTaskInput", "exampleId", "example { id }"),
    }
    for value in ("garbage", gid("Agent", uuid.uuid4()), gid("Nope", "1")):
        for name, (input_type, field, selection) in mutations.items():
            document = (
                f"mutation($input: {input_type}!) {{ {name}(input: $input) "
                f"{{ {selection} userErrors {{ field code }} }} }}"
            )
            data = await org.gql(document, {"input": {field: value}})
            assert data[name]["userErrors"] == [{"field": ["input", field], "code": "NOT_FOUND"}], (
                name,
                value,
                data,
            )


async def test_checks_run_after_authentication(api: Api) -> None:
    body = await api.raw(RECORD, record(agentId="x\x00"), token=None)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
