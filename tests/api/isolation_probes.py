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
    # node/nodes are probed with the other org's ids in test_isolation.py.
    "node": "",
    "nodes": "",
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
    return {
        "strings": [
            marker,
            org.slug,
            str(org.org_id),
            str(org.user_id),
            key["createApiKey"]["secret"],
        ],
        "node_ids": [
            key["createApiKey"]["apiKey"]["id"],
            invite["inviteMember"]["member"]["user"]["id"],
        ],
    }
