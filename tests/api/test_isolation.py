"""Two organisations with identical data shapes: nothing of B is ever visible to A."""

from __future__ import annotations

import json

from strawberry import relay

from learnloop.domain.roles import Role
from learnloop.schema.root import get_schema
from tests.api.isolation_probes import ID_PROBES, QUERY_PROBES, SUBSCRIPTION_PROBES, seed_org
from tests.conftest import Api


def root_fields(kind: str) -> set[str]:
    schema = get_schema()._schema
    root = {
        "query": schema.query_type,
        "mutation": schema.mutation_type,
        "subscription": schema.subscription_type,
    }[kind]
    return set(root.fields) if root else set()


def test_every_root_query_has_an_isolation_probe() -> None:
    missing = root_fields("query") - set(QUERY_PROBES)
    assert not missing, f"add isolation probes for: {sorted(missing)}"
    assert root_fields("subscription") <= set(SUBSCRIPTION_PROBES)


async def test_queries_as_a_return_nothing_of_b(api: Api) -> None:
    a = await api.org(Role.ADMIN, slug=None)
    b = await api.org(Role.ADMIN)
    await seed_org(a, "alpha-marker", feedback_count=1)
    leaked = await seed_org(b, "bravo-marker", feedback_count=3)
    for field, probe in QUERY_PROBES.items():
        if not probe:
            continue
        body = await a.raw(probe)
        assert not body.get("errors"), (field, body)
        text = json.dumps(body)
        for secret in leaked["strings"]:
            assert secret not in text, f"{field} leaked {secret}"
        for node_id in leaked["node_ids"]:
            assert node_id not in text, f"{field} leaked {node_id}"


async def test_node_with_other_orgs_id_is_null(api: Api) -> None:
    a = await api.org(Role.ADMIN)
    b = await api.org(Role.ADMIN)
    own = await seed_org(a, "own-marker")
    other = await seed_org(b, "other-marker")
    query = "query($id: ID!) { node(id: $id) { id } }"
    for node_id in other["node_ids"]:
        assert (await a.gql(query, {"id": node_id}))["node"] is None
    for node_id in own["node_ids"]:
        assert (await a.gql(query, {"id": node_id}))["node"] == {"id": node_id}
    org_b = str(relay.GlobalID("Organization", str(b.org_id)))
    assert (await a.gql(query, {"id": org_b}))["node"] is None
    many = await a.gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": other["node_ids"] + own["node_ids"]},
    )
    assert many["nodes"] == [None] * len(other["node_ids"]) + [{"id": i} for i in own["node_ids"]]


async def test_fields_taking_an_id_return_null_for_other_orgs_ids(api: Api) -> None:
    a = await api.org(Role.ADMIN)
    b = await api.org(Role.ADMIN)
    own = await seed_org(a, "own-id-marker")
    other = await seed_org(b, "other-id-marker")
    for field, (type_name, query) in ID_PROBES.items():
        assert (await a.gql(query, {"id": other["ids_by_type"][type_name]}))[field] is None, field
        assert (await a.gql(query, {"id": own["ids_by_type"][type_name]}))[field] is not None, field


async def test_statistics_count_only_the_callers_org(api: Api) -> None:
    a = await api.org(Role.ADMIN)
    b = await api.org(Role.ADMIN)
    await seed_org(a, "stats-a", feedback_count=1)
    await seed_org(b, "stats-b", feedback_count=3)
    stats = await a.gql(QUERY_PROBES["feedbackStats"])
    assert stats["feedbackStats"]["totalFeedback"] == 1
    issues = await a.gql(QUERY_PROBES["commonIssues"])
    assert issues["commonIssues"] == [{"category": "INCORRECT", "count": 1}]
    learning = await a.gql(QUERY_PROBES["learningStats"])
    assert learning["learningStats"]["totalExamples"] == 1
