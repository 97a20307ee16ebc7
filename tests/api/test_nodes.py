"""`node` and `nodes` resolve any type by global id, batched, and only inside the caller's org."""

from __future__ import annotations

from learnloop.domain.roles import Role
from tests.api.test_datasets import create
from tests.conftest import Api

NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"


async def test_node_and_nodes(api: Api) -> None:
    h = await api.org(Role.MANAGER)
    org = (await h.gql("{ organization { id } }"))["organization"]["id"]
    dataset = (await create(h))["id"]
    one = await h.gql("query($id: ID!) { node(id: $id) { __typename id } }", {"id": org})
    assert one["node"] == {"__typename": "Organization", "id": org}
    many = await h.gql(NODES, {"ids": [dataset, org]})
    assert [n["__typename"] for n in many["nodes"]] == ["TrainingDataset", "Organization"]
    stranger = await api.org(Role.ADMIN)
    assert (await stranger.gql(NODES, {"ids": [dataset, org]}))["nodes"] == [None, None]
    # "nope:1": a type this API does not have is simply not found.
    assert (await h.gql('{ node(id: "bm9wZTox") { id } }'))["node"] is None
