"""The graph loads in a constant number of statements: dataloaders and batched nested pages."""

from __future__ import annotations

from typing import Any

from learnloop.domain.roles import Role
from tests.conftest import Api, OrgHandle
from tests.feedback.ops import SUBMIT_BATCH, owner_sql

AGENTS = 50
EXECUTIONS_PER_AGENT = 3

# Three levels of lists (agents -> executions -> feedback), each node reaching back up and
# sideways (agent, example, author), plus two more nested lists per agent.
NESTED = """
query($n: Int!) {
  agents(first: $n) {
    edges { node {
      key
      executions(first: 2) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node {
          key agent { key }
          feedback(first: 5) {
            totalCount
            edges { node {
              feedbackType author { email } execution { key }
              learningExample { exampleType sourceFeedback { id } agent { key } }
            } }
          }
        } }
      }
      feedback(first: 2) { totalCount edges { node { rating } } }
      learningExamples(first: 2) { edges { node { inputText execution { key } } } }
    } }
  }
}
"""

EXAMPLES = """
query($n: Int!) {
  learningExamples(first: $n) {
    edges { node {
      author { id }
      annotations(first: 3) { totalCount edges { node { approved annotator { id } } } }
      datasets(first: 3) { edges { node { split dataset { name } } } }
    } }
  }
}
"""


async def populate(org: OrgHandle) -> None:
    items: list[dict[str, Any]] = []
    for a in range(AGENTS):
        for e in range(EXECUTIONS_PER_AGENT):
            ref = {"agentId": f"agent-{a:02d}", "executionId": f"exec-{e}"}
            items.append({**ref, "feedbackType": "THUMBS_UP"})
            items.append({**ref, "feedbackType": "CORRECTION", "correctionText": f"fix {a}/{e}"})
    data = await org.gql(SUBMIT_BATCH, {"input": {"items": items}})
    assert data["submitFeedbackBatch"]["storedCount"] == len(items)


async def count_statements(api: Api, org: OrgHandle, query: str, n: int) -> tuple[int, Any]:
    api.statements.reset()
    data = await org.gql(query, {"n": n})
    return api.statements.count, data


async def test_nested_graph_costs_the_same_for_5_and_50_parents(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    await populate(org)
    small, _ = await count_statements(api, org, NESTED, 5)
    large, data = await count_statements(api, org, NESTED, 50)
    assert small == large
    # auth + org scope, then one statement per list level, relation and count.
    assert large <= 16
    agents = [e["node"] for e in data["agents"]["edges"]]
    assert len(agents) == 50
    for agent in agents:
        executions = agent["executions"]
        assert executions["totalCount"] == 3 and len(executions["edges"]) == 2
        assert executions["pageInfo"]["hasNextPage"] is True
        for edge in executions["edges"]:
            execution = edge["node"]
            assert execution["agent"]["key"] == agent["key"]
            assert execution["feedback"]["totalCount"] == 2
            kinds = sorted(f["node"]["feedbackType"] for f in execution["feedback"]["edges"])
            assert kinds == ["CORRECTION", "THUMBS_UP"]
            for f in execution["feedback"]["edges"]:
                node = f["node"]
                assert node["execution"]["key"] == execution["key"]
                example = node["learningExample"]
                if node["feedbackType"] == "CORRECTION":
                    assert example["agent"]["key"] == agent["key"]
                else:
                    assert example is None
        assert agent["feedback"]["totalCount"] == 6
        assert len(agent["learningExamples"]["edges"]) == 2


async def test_nested_pages_continue_from_their_cursor(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    await populate(org)
    query = """query($after: String) { agent(key: "agent-07") {
        executions(first: 2, after: $after) { pageInfo { hasNextPage endCursor }
          edges { node { key } } } } }"""
    first = (await org.gql(query))["agent"]["executions"]
    second = (await org.gql(query, {"after": first["pageInfo"]["endCursor"]}))["agent"][
        "executions"
    ]
    keys = [e["node"]["key"] for e in first["edges"] + second["edges"]]
    assert sorted(keys) == ["exec-0", "exec-1", "exec-2"]
    assert second["pageInfo"]["hasNextPage"] is False


async def test_example_relations_cost_the_same_for_5_and_50_examples(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    await populate(org)
    await owner_sql(
        org,
        "INSERT INTO expert_annotations (org_id, example_id, annotator_user_id, approved,"
        " technical_accuracy, professional_quality, completeness, clarity)"
        " SELECT org_id, id, :u, true, 1, 1, 1, 1 FROM learning_examples WHERE org_id = :o",
        {"o": org.org_id, "u": org.user_id},
    )
    await owner_sql(
        org,
        "WITH d AS (INSERT INTO training_datasets (org_id, lineage_id, name)"
        " VALUES (:o, gen_random_uuid(), 'ds') RETURNING id)"
        " INSERT INTO dataset_examples (org_id, dataset_id, example_id, split)"
        " SELECT :o, d.id, e.id, 'TRAIN' FROM d, learning_examples e WHERE e.org_id = :o",
        {"o": org.org_id},
    )
    small, _ = await count_statements(api, org, EXAMPLES, 5)
    large, data = await count_statements(api, org, EXAMPLES, 50)
    assert small == large
    edges = data["learningExamples"]["edges"]
    assert len(edges) == 50
    assert all(e["node"]["annotations"]["totalCount"] == 1 for e in edges)
    assert all(e["node"]["datasets"]["edges"][0]["node"]["dataset"]["name"] == "ds" for e in edges)
