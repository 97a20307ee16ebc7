"""Datasets over GraphQL: create, add by id and filter, remove, freeze, fork, stats, roles."""

from __future__ import annotations

from learnloop.domain.roles import Role
from tests.conftest import Api
from tests.datasets_seed import example_gid, seed_examples

FIELDS = """
  id version status totalExamples avgQualityScore lineageId
  splitCounts { split count } exampleTypeCounts { exampleType count }
  splitRatios { train validation test }
"""
CREATE = f"""
mutation($input: CreateDatasetInput!) {{
  createDataset(input: $input) {{ dataset {{ {FIELDS} }} userErrors {{ field message code }} }}
}}"""
ADD = f"""
mutation($input: AddExamplesToDatasetInput!) {{
  addExamplesToDataset(input: $input) {{
    addedCount dataset {{ {FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
REMOVE = f"""
mutation($input: RemoveExamplesFromDatasetInput!) {{
  removeExamplesFromDataset(input: $input) {{
    removedCount dataset {{ {FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
FREEZE = f"""
mutation($id: ID!) {{
  freezeDataset(input: {{datasetId: $id}}) {{ dataset {{ {FIELDS} frozenAt }} userErrors {{ field message code }} }}
}}"""
FORK = f"""
mutation($id: ID!) {{
  createDatasetVersion(input: {{datasetId: $id}}) {{
    dataset {{ {FIELDS} versions {{ version status }} }} userErrors {{ field message code }}
  }}
}}"""
EXAMPLES = """
query($id: ID!, $after: String) {
  dataset(id: $id) {
    examples(first: 100, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { node { exampleId split weight exampleType inputText expectedOutput } }
    }
  }
}"""


async def create(h, **overrides) -> dict:
    data = await h.gql(CREATE, {"input": {"name": "support v1", **overrides}})
    payload = data["createDataset"]
    assert payload["userErrors"] == [], payload
    return payload["dataset"]


async def add(h, dataset_id: str, **fields) -> dict:
    data = await h.gql(ADD, {"input": {"datasetId": dataset_id, **fields}})
    return data["addExamplesToDataset"]


async def splits_of(h, dataset_id: str) -> dict[str, str]:
    found: dict[str, str] = {}
    after = None
    while True:
        data = await h.gql(EXAMPLES, {"id": dataset_id, "after": after})
        conn = data["dataset"]["examples"]
        found.update({e["node"]["exampleId"]: e["node"]["split"] for e in conn["edges"]})
        if not conn["pageInfo"]["hasNextPage"]:
            return found
        after = conn["pageInfo"]["endCursor"]


async def test_create_add_freeze_and_stats(api: Api) -> None:
    h = await api.org(Role.MANAGER)
    ids = await seed_examples(
        api,
        h.org_id,
        [{"quality_score": 0.5}, {"quality_score": 1.0, "example_type": "DEMONSTRATION"}],
    )
    dataset = await create(h)
    assert (dataset["version"], dataset["status"], dataset["totalExamples"]) == (1, "DRAFT", 0)
    assert dataset["splitRatios"] == {"train": 0.8, "validation": 0.1, "test": 0.1}

    added = await add(h, dataset["id"], exampleIds=[example_gid(i) for i in ids], weight=2.5)
    assert added["userErrors"] == [] and added["addedCount"] == 2
    stats = added["dataset"]
    assert stats["totalExamples"] == 2
    assert abs(stats["avgQualityScore"] - 0.75) < 1e-9
    assert sum(c["count"] for c in stats["splitCounts"]) == 2
    assert {c["exampleType"]: c["count"] for c in stats["exampleTypeCounts"]} == {
        "CORRECTION": 1,
        "DEMONSTRATION": 1,
    }
    again = await add(h, dataset["id"], exampleIds=[example_gid(ids[0])])
    assert again["addedCount"] == 0 and again["dataset"]["totalExamples"] == 2

    data = await h.gql(EXAMPLES, {"id": dataset["id"]})
    nodes = [e["node"] for e in data["dataset"]["examples"]["edges"]]
    assert {n["weight"] for n in nodes} == {2.5}
    assert data["dataset"]["examples"]["totalCount"] == 2

    frozen = (await h.gql(FREEZE, {"id": dataset["id"]}))["freezeDataset"]
    assert frozen["userErrors"] == []
    assert frozen["dataset"]["status"] == "FROZEN" and frozen["dataset"]["frozenAt"]
    audit = await h.api.gql(
        '{ auditEvents(first: 5, actionPrefix: "dataset.") { edges { node { action } } } }',
        token=(await h.user(Role.ADMIN)).token,
    )
    assert "dataset.freeze" in [e["node"]["action"] for e in audit["auditEvents"]["edges"]]


async def test_frozen_dataset_refuses_every_edit(api: Api) -> None:
    h = await api.org(Role.MANAGER)
    ids = await seed_examples(api, h.org_id, [{}, {}])
    dataset = await create(h)
    await add(h, dataset["id"], exampleIds=[example_gid(ids[0])])
    await h.gql(FREEZE, {"id": dataset["id"]})

    added = await add(h, dataset["id"], exampleIds=[example_gid(ids[1])])
    assert [e["code"] for e in added["userErrors"]] == ["FROZEN"]
    by_filter = await add(h, dataset["id"], filter={})
    assert [e["code"] for e in by_filter["userErrors"]] == ["FROZEN"]
    removed = await h.gql(
        REMOVE, {"input": {"datasetId": dataset["id"], "exampleIds": [example_gid(ids[0])]}}
    )
    assert [e["code"] for e in removed["removeExamplesFromDataset"]["userErrors"]] == ["FROZEN"]
    refreeze = await h.gql(FREEZE, {"id": dataset["id"]})
    assert [e["code"] for e in refreeze["freezeDataset"]["userErrors"]] == ["FROZEN"]
    assert (await splits_of(h, dataset["id"])).keys() == {example_gid(ids[0])}


async def test_versions_fork_and_keep_splits(api: Api) -> None:
    h = await api.org(Role.MANAGER)
    ids = await seed_examples(api, h.org_id, [{"input_text": f"q{i}"} for i in range(60)])
    v1 = await create(h, splitRatios={"train": 0.5, "validation": 0.25, "test": 0.25})
    assert (await add(h, v1["id"], exampleIds=[example_gid(i) for i in ids[:40]]))[
        "addedCount"
    ] == 40
    await h.gql(FREEZE, {"id": v1["id"]})
    v1_splits = await splits_of(h, v1["id"])
    assert len(set(v1_splits.values())) == 3  # 40 examples at 50/25/25 use every split

    fork = (await h.gql(FORK, {"id": v1["id"]}))["createDatasetVersion"]
    assert fork["userErrors"] == []
    v2 = fork["dataset"]
    assert (v2["version"], v2["status"], v2["lineageId"]) == (2, "DRAFT", v1["lineageId"])
    assert v2["totalExamples"] == 40
    assert [v["version"] for v in v2["versions"]] == [1, 2]
    # Half of v1's examples removed and added back, plus new ones: every one keeps its split.
    removed = [example_gid(i) for i in ids[:20]]
    await h.gql(REMOVE, {"input": {"datasetId": v2["id"], "exampleIds": removed}})
    assert (await add(h, v2["id"], filter={}))["addedCount"] == 40
    v2_splits = await splits_of(h, v2["id"])
    assert len(v2_splits) == 60
    assert all(v2_splits[k] == s for k, s in v1_splits.items())
    await h.gql(FREEZE, {"id": v2["id"]})
    # A branch forked from v1 gets the newcomers in the same splits as v2 did.
    v3 = (await h.gql(FORK, {"id": v1["id"]}))["createDatasetVersion"]["dataset"]
    assert v3["version"] == 3
    await add(h, v3["id"], exampleIds=[example_gid(i) for i in ids[40:]])
    assert await splits_of(h, v3["id"]) == v2_splits

    # A separate dataset (another lineage) splits the same examples differently.
    other = await create(h, splitRatios={"train": 0.5, "validation": 0.25, "test": 0.25})
    await add(h, other["id"], exampleIds=[example_gid(i) for i in ids[:40]])
    assert await splits_of(h, other["id"]) != v1_splits

    draft_fork = (await h.gql(FORK, {"id": v3["id"]}))["createDatasetVersion"]
    assert [e["code"] for e in draft_fork["userErrors"]] == ["INVALID_STATE"]


async def test_pending_policy(api: Api) -> None:
    h = await api.org(Role.MANAGER)
    approved, pending, rejected = await seed_examples(
        api,
        h.org_id,
        [
            {"review_status": "APPROVED"},
            {"review_status": "PENDING"},
            {"review_status": "REJECTED"},
        ],
    )
    strict = await create(h)
    refused = await add(h, strict["id"], exampleIds=[example_gid(pending), example_gid(rejected)])
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", "exampleIds", "0"], "NOT_ALLOWED"),
        (["input", "exampleIds", "1"], "NOT_ALLOWED"),
    ]
    assert (await add(h, strict["id"], filter={}))["addedCount"] == 1  # only the approved one
    wrong = await add(h, strict["id"], filter={"reviewStatuses": ["PENDING"]})
    assert [e["code"] for e in wrong["userErrors"]] == ["NOT_ALLOWED"]

    lenient = await create(h, allowPending=True)
    assert (await add(h, lenient["id"], filter={}))["addedCount"] == 2  # never the rejected one
    frozen = (await h.gql(FREEZE, {"id": lenient["id"]}))["freezeDataset"]
    assert frozen["userErrors"] == [] and frozen["dataset"]["totalExamples"] == 2

    # An example rejected after it was added blocks the freeze.
    late = await create(h)
    await add(h, late["id"], exampleIds=[example_gid(approved)])
    async with api.owner_engine.begin() as conn:
        from sqlalchemy import text

        await conn.execute(
            text("UPDATE learning_examples SET review_status = 'REJECTED' WHERE id = :i"),
            {"i": approved},
        )
    blocked = (await h.gql(FREEZE, {"id": late["id"]}))["freezeDataset"]
    assert [e["code"] for e in blocked["userErrors"]] == ["NOT_ALLOWED"]


async def test_filter_and_scope(api: Api) -> None:
    h = await api.org(Role.MANAGER)
    await seed_examples(
        api,
        h.org_id,
        [
            {"domain": "billing", "quality_score": 0.9},
            {"domain": "billing", "quality_score": 0.3},
            {"domain": "shipping", "quality_score": 0.95},
        ],
        agent_key="agent-456",
    )
    await seed_examples(api, h.org_id, [{"domain": "billing", "quality_score": 0.99}], "other")
    dataset = await create(h, agentIds=["agent-456"], domains=["billing"])
    added = await add(h, dataset["id"], filter={"minQualityScore": 0.5})
    assert added["addedCount"] == 1
    outside = await add(h, dataset["id"], filter={"domains": ["shipping"]})
    assert [e["field"] for e in outside["userErrors"]] == [["input", "filter", "domains"]]


async def test_validation_and_roles(api: Api) -> None:
    h = await api.org(Role.MANAGER)
    bad = await h.gql(
        CREATE,
        {"input": {"name": " ", "splitRatios": {"train": 0.5, "validation": 0.1, "test": 0.1}}},
    )
    fields = [e["field"] for e in bad["createDataset"]["userErrors"]]
    assert fields == [["input", "name"], ["input", "splitRatios"]]

    viewer = await h.user(Role.VIEWER)
    refused = await viewer.raw(CREATE, {"input": {"name": "x"}})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    dataset = await create(h)
    seen = await viewer.gql("{ datasets(first: 10) { totalCount edges { node { id name } } } }")
    assert [e["node"]["id"] for e in seen["datasets"]["edges"]] == [dataset["id"]]

    stranger = await api.org(Role.ADMIN)
    hidden = await stranger.gql(
        "query($id: ID!) { dataset(id: $id) { id } }", {"id": dataset["id"]}
    )
    assert hidden["dataset"] is None


async def test_nodes_and_stratified_splits(api: Api) -> None:
    h = await api.org(Role.MANAGER)
    kinds = ["PREFERENCE"] * 10 + ["EDGE_CASE"] * 20
    ids = await seed_examples(api, h.org_id, [{"example_type": k} for k in kinds])
    dataset = await create(h, stratifyByType=True)
    await add(h, dataset["id"], exampleIds=[example_gid(i) for i in ids])
    data = await h.gql(EXAMPLES, {"id": dataset["id"]})
    nodes = [e["node"] for e in data["dataset"]["examples"]["edges"]]
    for kind, n in (("PREFERENCE", 10), ("EDGE_CASE", 20)):
        splits = [x["split"] for x in nodes if x["exampleType"] == kind]
        assert sorted(splits.count(s) for s in ("TRAIN", "VALIDATION", "TEST")) == sorted(
            [n * 8 // 10, n // 10, n // 10]
        )
    found = await h.gql(
        "query($id: ID!) { node(id: $id) { __typename ... on TrainingDataset { name } } }",
        {"id": dataset["id"]},
    )
    assert found["node"] == {"__typename": "TrainingDataset", "name": "support v1"}
    member = await h.gql(
        "query($id: ID!) { dataset(id: $id) { examples(first: 1) { edges { node { id } } } } }",
        {"id": dataset["id"]},
    )
    member_id = member["dataset"]["examples"]["edges"][0]["node"]["id"]
    again = await h.gql(
        "query($id: ID!) { node(id: $id) { ... on DatasetExample { split exampleId } } }",
        {"id": member_id},
    )
    assert again["node"]["exampleId"] in {example_gid(i) for i in ids}
