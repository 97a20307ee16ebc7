"""One probe per root query field, and the seeding that gives two orgs the same shape of data.

When a feature adds a root query (or subscription), it adds a probe here; a test fails otherwise.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import OrgHandle
from tests.training.seed import seed_finished_run

QUERY_PROBES: dict[str, str] = {
    "viewer": "{ viewer { role kind user { id email } organization { id slug name } apiKeyId } }",
    "organization": "{ organization { id slug name } }",
    "members": "{ members { role user { id email displayName } } }",
    "apiKeys": "{ apiKeys(first: 100, includeRevoked: true) { totalCount edges { node { id name prefix } } } }",
    "auditEvents": "{ auditEvents(first: 100) { edges { node { id action actorKey targetId data } } } }",
    "trainingRuns": "{ trainingRuns(first: 100) { totalCount edges { node { id config result "
    "reviewNotes agentKey datasetId events(first: 100) { edges { node { message data } } } } } } }",
    "deployments": '{ deployments(agentId: "shared-agent", first: 100) { totalCount edges { node '
    "{ id config agentKey trainingRun { id } } } } }",
    # node/nodes are probed with the other org's ids in test_isolation.py; trainingRun(id) and
    # the subscriptions with the other org's run id in tests/training/test_run_isolation.py.
    "node": "",
    "nodes": "",
    "trainingRun": "",
}

SUBSCRIPTION_PROBES: dict[str, str] = {
    "trainingRunUpdated": "tests/training/test_run_isolation.py",
    "trainingRunsUpdated": "tests/training/test_run_isolation.py",
}


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
    run = await seed_finished_run(org.api, org.org_id, agent_key="shared-agent", marker=marker)
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
            run["run"],
            run["deployment"],
        ],
    }
