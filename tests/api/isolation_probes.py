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
    "datasets": "{ datasets(first: 100) { totalCount edges { node { id name version status } } } }",
    # Both orgs use the same agent and execution keys: a key must resolve inside the caller's org.
    "agent": '{ agent(key: "agent-shared") { id key executions(first: 50) { totalCount edges { node { id input feedback(first: 50) { edges { node { id feedbackText correctionText } } } } } } } }',
    "agents": "{ agents(first: 100) { totalCount edges { node { id key } } } }",
    "execution": '{ execution(agentId: "agent-shared", executionId: "exec-shared") { id input output feedback(first: 50) { totalCount edges { node { id feedbackText } } } } }',
    "learningExamples": "{ learningExamples(first: 100) { totalCount edges { node { id inputText expectedOutput originalOutput } } } }",
    "feedbackStats": '{ feedbackStats(agentId: "agent-shared") { totalFeedback avgRating thumbsUpCount thumbsDownCount } }',
    "commonIssues": '{ commonIssues(agentId: "agent-shared", limit: 10) { category count } }',
    "feedbackTrend": '{ feedbackTrend(agentId: "agent-shared", bucket: DAY) { bucketStart stats { totalFeedback } } }',
    "learningStats": "{ learningStats { pendingAnnotations totalExamples } }",
    "annotationQueue": "{ annotationQueue(first: 100) { totalCount edges { node { id inputText expectedOutput originalOutput reviewStatus execution { key input } sourceFeedback { id feedbackText } annotations(first: 10) { edges { node { id notes } } } history(first: 10) { edges { node { previousValue } } } } } } }",
    "annotationStats": "{ annotationStats { pending queueDepth { domain pending } annotatedToday annotators { annotator { id email } annotations } agreement { clarity } } }",
    "annotationSettings": "{ annotationSettings { annotationsRequired queueOrder leaseSeconds routingPriorities { signal priority } } }",
    # Fields that take an id are probed with the other org's ids (ID_PROBES, test_isolation.py).
    "node": "",
    "nodes": "",
    "dataset": "",
    "trainingRun": "",
    "trainingRuns": "{ trainingRuns(first: 100) { totalCount edges { node { id config result "
    "reviewNotes agentKey datasetId events(first: 100) { edges { node { message data } } } } } } }",
    "webhookEndpoints": "{ webhookEndpoints { id url events description } }",
    "webhookDeliveries": "{ webhookDeliveries(first: 100) { id endpointId eventType messageId } }",
    "deployments": '{ deployments(agentId: "agent-shared", first: 100) { totalCount edges { node '
    "{ id config agentKey trainingRun { id } } } } }",
    "experiment": "",
    "experiments": "{ experiments(first: 100) { totalCount edges { node { id name hashSeed "
    "controlConfig treatmentConfig results { arms { units n mean } secondary { metric } } } } } }",
    "learningPolicies": "{ learningPolicies { id agentId config waitingExamples "
    "lastRun { id config verdict } canary { id controlConfig } "
    "pendingPromotion { id promotion { status notes } } } }",
    "agentConfig": '{ agentConfig(agentId: "agent-shared", unitId: "unit-shared") '
    "{ variant experimentId deploymentVersion config } }",
}

# field -> (GraphQL type of the id it takes, query with an `$id` variable)
ID_PROBES: dict[str, tuple[str, str]] = {
    "dataset": ("TrainingDataset", "query($id: ID!) { dataset(id: $id) { id name } }"),
    "trainingRun": ("TrainingRun", "query($id: ID!) { trainingRun(id: $id) { id config } }"),
    "experiment": (
        "Experiment",
        "query($id: ID!) { experiment(id: $id) { id name controlConfig results { winner } } }",
    ),
}

SUBSCRIPTION_PROBES: dict[str, str] = {
    "trainingRunUpdated": "tests/training/test_run_isolation.py",
    "trainingRunsUpdated": "tests/training/test_run_isolation.py",
    "experimentUpdated": "tests/experiments/test_updates.py",
}


async def seed_org(org: OrgHandle, marker: str, feedback_count: int = 1) -> dict[str, Any]:
    """Give an org one of everything; returns ids and strings that must never leak to another org."""
    key = await org.gql(
        "mutation($n: String!) { createApiKey(input: {name: $n, role: MEMBER}) { apiKey { id } secret } }",
        {"n": f"key-{marker}"},
    )
    invite = await org.gql(
        "mutation($e: String!) { inviteMember(input: {email: $e, role: VIEWER}) { member { user { id } } } }",
        {"e": f"invitee-{marker}@example.com"},
    )
    hook = await org.gql(
        "mutation($u: String!) { createWebhookEndpoint(input: {url: $u, events: "
        '["feedback.created"], description: $u}) { endpoint { id } userErrors { message } } }',
        {"u": f"https://example.com/{marker}"},
    )
    run = await seed_finished_run(org.api, org.org_id, agent_key="agent-shared", marker=marker)
    for n in range(feedback_count):
        await org.gql(
            """mutation($in: String!, $fb: String!, $ex: String!) {
              recordExecution(input: {agentId: "agent-shared", executionId: $ex, input: $in, output: $in}) { userErrors { message } }
              submitFeedback(input: {agentId: "agent-shared", executionId: $ex, feedbackType: CORRECTION, rating: 2,
                feedbackText: $fb, correctionText: $fb, issueCategories: [INCORRECT]}) { userErrors { message } }
            }""",
            {
                "in": f"input-{marker}",
                "fb": f"fix-{marker}",
                "ex": "exec-shared" if n == 0 else f"exec-{n}",
            },
        )
    dataset = await org.gql(
        "mutation($n: String!) { createDataset(input: {name: $n}) { dataset { id } userErrors { message } } }",
        {"n": f"dataset-{marker}"},
    )
    experiment = await org.gql(
        """mutation($n: String!, $c: JSON!) {
          createExperiment(input: {name: $n, agentId: "agent-shared", controlConfig: $c, treatmentConfig: $c}) {
            experiment { id } userErrors { message } } }""",
        {"n": f"experiment-{marker}", "c": {"prompt": f"prompt-{marker}"}},
    )
    experiment_id = experiment["createExperiment"]["experiment"]["id"]
    await org.gql(
        """mutation($id: ID!) {
          updateExperimentStatus(input: {experimentId: $id, status: RUNNING}) { userErrors { message } }
          assignVariant(input: {experimentId: $id, unitId: "unit-shared"}) { variant }
        }""",
        {"id": experiment_id},
    )
    policy = await org.gql(
        """mutation { setLearningPolicy(input: {agentId: "agent-shared",
          trainingType: FINE_TUNING, minNewApprovedExamples: 1000}) {
            userErrors { message } } }"""
    )
    assert policy["setLearningPolicy"]["userErrors"] == []
    ids = {
        "Experiment": experiment_id,
        "ApiKey": key["createApiKey"]["apiKey"]["id"],
        "User": invite["inviteMember"]["member"]["user"]["id"],
        "TrainingDataset": dataset["createDataset"]["dataset"]["id"],
        "TrainingRun": run["run"],
        "Deployment": run["deployment"],
    }
    secrets = [
        hook["createWebhookEndpoint"]["endpoint"]["id"],
        marker,
        org.slug,
        str(org.org_id),
        str(org.user_id),
        key["createApiKey"]["secret"],
    ]
    return {"strings": secrets, "node_ids": list(ids.values()), "ids_by_type": ids}
