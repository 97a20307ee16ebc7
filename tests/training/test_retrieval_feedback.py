"""recordRetrievalFeedback over HTTP, and RAG_TUNING from it through a real worker to a deployment."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from learnloop.domain.roles import Role
from tests.conftest import Api, OrgHandle
from tests.training.conftest import running_worker
from tests.training.ops import DEPLOY, REVIEW, count_rows, wait_for
from tests.training.retrieval_synth import DECOYS, RELEVANT, Row, generate

RECORD = """
mutation($i: RecordRetrievalFeedbackInput!) {
  recordRetrievalFeedback(input: $i) { storedChunks duplicate userErrors { field message code } }
}"""
# No datasetId: RAG_TUNING learns from the agent's retrieval feedback alone.
CREATE_RUN = """
mutation($t: TrainingType!, $a: String!) {
  createTrainingRun(input: {trainingType: $t, agentId: $a}) {
    trainingRun { id datasetId dataset { id } } userErrors { field message code }
  }
}"""
BATCH = """
mutation($i: RecordRetrievalFeedbackBatchInput!) {
  recordRetrievalFeedbackBatch(input: $i) {
    storedChunks recorded duplicates userErrors { field message code }
  }
}"""


def items(rows: list[Row], agent: str = "rag-bot") -> list[dict[str, Any]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row)
    return [
        {
            "agentId": agent,
            "executionId": execution,
            "query": chunks[0][1],
            "chunks": [
                {"chunkId": c, "rank": r, "helpful": h, "tokenCount": t, "score": 1.0 / r}
                for _, _, c, r, h, t in chunks
            ],
        }
        for execution, chunks in grouped.items()
    ]


async def send(org: OrgHandle, batch: list[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = (await org.gql(BATCH, {"i": {"items": batch}}))[
        "recordRetrievalFeedbackBatch"
    ]
    return result


async def test_record_is_idempotent_per_execution_and_validated(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    item = items(generate(1).rows)[0]
    first = (await org.gql(RECORD, {"i": item}))["recordRetrievalFeedback"]
    assert first == {"storedChunks": 6, "duplicate": False, "userErrors": []}
    again = (await org.gql(RECORD, {"i": {**item, "chunks": item["chunks"][:2]}}))[
        "recordRetrievalFeedback"
    ]
    assert again == {"storedChunks": 0, "duplicate": True, "userErrors": []}
    assert await count_rows(api, "retrieval_feedback", org.org_id) == 6

    bad = {
        **item,
        "executionId": "exec-bad",
        "query": " ",
        "chunks": [
            {"chunkId": "a", "rank": 0, "helpful": True},
            {"chunkId": "a", "rank": 2, "helpful": False, "tokenCount": -1},
        ],
    }
    refused = (await org.gql(RECORD, {"i": bad}))["recordRetrievalFeedback"]
    fields = {tuple(e["field"]) for e in refused["userErrors"]}
    assert fields == {
        ("input", "query"),
        ("input", "chunks", "0", "rank"),
        ("input", "chunks", "1", "chunkId"),
        ("input", "chunks", "1", "tokenCount"),
    }
    assert refused["storedChunks"] == 0
    assert await count_rows(api, "retrieval_feedback", org.org_id) == 6

    viewer = await org.user(Role.VIEWER)
    denied = await viewer.raw(RECORD, {"i": {**item, "executionId": "exec-v"}})
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_batch_stores_valid_items_and_names_refused_ones(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    batch = items(generate(5).rows)
    batch[2]["chunks"] = []
    batch.append(batch[0])  # the same execution twice in one batch: the first counts
    result = await send(org, batch)
    assert result["recorded"] == 5
    assert result["duplicates"] == 1
    assert result["storedChunks"] == 4 * 6
    assert [e["field"] for e in result["userErrors"]] == [["input", "items", "2", "chunks"]]
    other = await api.org(Role.MEMBER)  # another organisation sees nothing of it
    assert await count_rows(api, "retrieval_feedback", other.org_id) == 0


async def test_rag_tuning_learns_debiased_ranking_and_deploys_it(fresh_api: Api) -> None:
    org = await fresh_api.org(Role.MANAGER)
    refused = (await org.gql(CREATE_RUN, {"t": "RAG_TUNING", "a": "rag-bot"}))["createTrainingRun"]
    assert [e["field"] for e in refused["userErrors"]] == [["input", "agentId"]]
    assert "recordRetrievalFeedback" in refused["userErrors"][0]["message"]
    other = (await org.gql(CREATE_RUN, {"t": "PROMPT_OPTIMIZATION", "a": "rag-bot"}))[
        "createTrainingRun"
    ]
    assert ["input", "datasetId"] in [e["field"] for e in other["userErrors"]]

    feedback = items(generate(1500).rows)
    for start in range(0, len(feedback), 500):
        assert (await send(org, feedback[start : start + 500]))["userErrors"] == []
    created = (await org.gql(CREATE_RUN, {"t": "RAG_TUNING", "a": "rag-bot"}))["createTrainingRun"]
    assert created["userErrors"] == []
    run = created["trainingRun"]
    assert run["datasetId"] is None and run["dataset"] is None
    async with running_worker(fresh_api):
        done = await wait_for(org, run["id"], {"COMPLETED", "FAILED"}, within=60)
    assert done["status"] == "COMPLETED", done["error"]
    result = done["result"]
    top = {r["chunkId"] for r in result["chunkRelevance"][:3]}
    assert top == set(RELEVANT) and not top & set(DECOYS)
    assert result["ndcgAt5"]["after"] > result["ndcgAt5"]["before"]
    assert result["feedbackEvents"] == 1500 * 6
    steps = {"load", "split", "clickModel", "ndcg", "chunkSize", "expansions", "triplets"}
    assert set(done["metrics"]["stepSeconds"]) == steps

    # Same seed, same feedback: the same result and the same triplets, byte for byte.
    again = (await org.gql(CREATE_RUN, {"t": "RAG_TUNING", "a": "rag-bot"}))["createTrainingRun"]
    async with running_worker(fresh_api):
        second = await wait_for(org, again["trainingRun"]["id"], {"COMPLETED", "FAILED"}, 60)
    assert second["result"] == result
    assert [a["sha256"] for a in second["artifacts"]] == [a["sha256"] for a in done["artifacts"]]

    await org.gql(REVIEW, {"id": run["id"], "d": "APPROVE", "n": None})
    deployed = (await org.gql(DEPLOY, {"id": run["id"]}))["deployTrainingRun"]
    assert deployed["userErrors"] == []
    config = deployed["deployment"]["config"]
    assert set(RELEVANT) <= set(config["deployable"]["reranking"])
    assert config["deployable"]["settings"]["rerank"] is True
