"""One probe per root query field, and the seeding that gives two orgs the same shape of data.

When a feature adds a root query (or subscription), it adds a probe here; a test fails otherwise.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import OrgHandle

QUERY_PROBES: dict[str, str] = {
    "viewer": "{ viewer { role kind user { id email } organization { id slug name } apiKeyId } }",
    "organization": "{ organization { id slug name } }",
    "members": "{ members { role user { id email displayName } } }",
    "apiKeys": "{ apiKeys(first: 100, includeRevoked: true) { totalCount edges { node { id name prefix } } } }",
    "auditEvents": "{ auditEvents(first: 100) { edges { node { id action actorKey targetId data } } } }",
    "datasets": "{ datasets(first: 100) { totalCount edges { node { id name version status } } } }",
    # Fields that take an id are probed with the other org's ids (ID_PROBES, test_isolation.py).
    "node": "",
    "nodes": "",
    "dataset": "",
}

# field -> (GraphQL type of the id it takes, query with an `$id` variable)
ID_PROBES: dict[str, tuple[str, str]] = {
    "dataset": ("TrainingDataset", "query($id: ID!) { dataset(id: $id) { id name } }"),
}

SUBSCRIPTION_PROBES: dict[str, str] = {}


async def seed_org(org: OrgHandle, marker: str) -> dict[str, Any]:
    """Give an org one of everything; returns ids and strings that must never leak to another org."""
    key = await org.gql(
        "mutation($n: String!) { createApiKey(input: {name: $n, role: MEMBER}) { apiKey { id } secret } }",
        {"n": f"key-{marker}"},
    )
    invite = await org.gql(
        "mutation($e: String!) { inviteMember(input: {email: $e, role: VIEWER}) { member { user { id } } } }",
        {"e": f"invitee-{marker}@example.com"},
    )
    dataset = await org.gql(
        "mutation($n: String!) { createDataset(input: {name: $n}) { dataset { id } userErrors { message } } }",
        {"n": f"dataset-{marker}"},
    )
    ids = {
        "ApiKey": key["createApiKey"]["apiKey"]["id"],
        "User": invite["inviteMember"]["member"]["user"]["id"],
        "TrainingDataset": dataset["createDataset"]["dataset"]["id"],
    }
    secrets = [marker, org.slug, str(org.org_id), str(org.user_id), key["createApiKey"]["secret"]]
    return {"strings": secrets, "node_ids": list(ids.values()), "ids_by_type": ids}
