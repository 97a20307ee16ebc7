"""The one table of which role each GraphQL operation needs (docs/permissions.md mirrors it)."""

from __future__ import annotations

from learnloop.domain.roles import Role

# Root fields not listed here are refused by a test: every operation must be decided on purpose.
# None means "no authentication needed".
OPERATION_ROLES: dict[str, Role | None] = {
    # queries
    "node": Role.VIEWER,
    "nodes": Role.VIEWER,
    "viewer": Role.VIEWER,
    "organization": Role.VIEWER,
    "members": Role.VIEWER,
    "apiKeys": Role.ADMIN,
    "auditEvents": Role.ADMIN,
    "dataset": Role.VIEWER,
    "datasets": Role.VIEWER,
    "agent": Role.VIEWER,
    "agents": Role.VIEWER,
    "execution": Role.VIEWER,
    "learningExamples": Role.VIEWER,
    "feedbackStats": Role.VIEWER,
    "commonIssues": Role.VIEWER,
    "feedbackTrend": Role.VIEWER,
    "learningStats": Role.VIEWER,
    "trainingRun": Role.VIEWER,
    "trainingRuns": Role.VIEWER,
    "deployments": Role.VIEWER,
    "annotationQueue": Role.VIEWER,
    "annotationStats": Role.VIEWER,
    "annotationSettings": Role.VIEWER,
    "experiment": Role.VIEWER,
    "experiments": Role.VIEWER,
    "learningPolicies": Role.VIEWER,
    # An agent's per-request call; records the unit's exposure, hence MEMBER like executions.
    "agentConfig": Role.MEMBER,
    # mutations
    "createApiKey": Role.ADMIN,
    "revokeApiKey": Role.ADMIN,
    "inviteMember": Role.ADMIN,
    "setMemberRole": Role.ADMIN,
    "createDataset": Role.MANAGER,
    "addExamplesToDataset": Role.MANAGER,
    "removeExamplesFromDataset": Role.MANAGER,
    "freezeDataset": Role.MANAGER,
    "createDatasetVersion": Role.MANAGER,
    "recordExecution": Role.MEMBER,
    "recordExecutionBatch": Role.MEMBER,
    "webhookEndpoints": Role.ADMIN,
    "webhookDeliveries": Role.ADMIN,
    "createWebhookEndpoint": Role.ADMIN,
    "deleteWebhookEndpoint": Role.ADMIN,
    "rotateWebhookSecret": Role.ADMIN,
    "redeliverWebhook": Role.ADMIN,
    "setAgentDefaults": Role.MEMBER,
    "submitFeedback": Role.MEMBER,  # or a feedback token for that one execution (below)
    "submitFeedbackBatch": Role.MEMBER,
    "recordRetrievalFeedback": Role.MEMBER,
    "recordRetrievalFeedbackBatch": Role.MEMBER,
    "createLearningExample": Role.MEMBER,
    "learnFromDemonstration": Role.MEMBER,
    "incorporateCorrection": Role.MEMBER,
    "createFeedbackToken": Role.MEMBER,
    "createTrainingRun": Role.MANAGER,
    "cancelTrainingRun": Role.MANAGER,
    "reviewTrainingRun": Role.MANAGER,
    "deployTrainingRun": Role.MANAGER,
    "createExperiment": Role.MANAGER,
    "updateExperiment": Role.MANAGER,
    "updateExperimentStatus": Role.MANAGER,
    "promoteExperimentWinner": Role.MANAGER,
    "rejectExperimentWinner": Role.MANAGER,
    "setLearningPolicy": Role.MANAGER,
    "assignVariant": Role.MEMBER,
    "recordExperimentOutcome": Role.MEMBER,
    # subscriptions
    "trainingRunUpdated": Role.VIEWER,
    "trainingRunsUpdated": Role.VIEWER,
    "experimentUpdated": Role.VIEWER,
    "claimAnnotationTask": Role.EXPERT,
    "releaseAnnotationTask": Role.EXPERT,
    "submitAnnotation": Role.EXPERT,
    "adjudicateExample": Role.MANAGER,
    "assignAnnotationTasks": Role.MANAGER,
    "markGoldExample": Role.MANAGER,
    "updateAnnotationSettings": Role.MANAGER,
}

# The only operations an end user's feedback token may call; the resolver checks its scope.
FEEDBACK_TOKEN_OPERATIONS: frozenset[str] = frozenset({"submitFeedback"})


def role_note(operation: str) -> str:
    """The sentence GraphiQL shows after an operation's description: who may call it."""
    role = required_role(operation)
    if role is None:
        return "Needs no authentication."
    note = f"Needs role {role.name} or higher."
    if operation in FEEDBACK_TOKEN_OPERATIONS:
        note = f"Needs role {role.name} or higher, or a feedback token for that execution."
    return note


def required_role(operation: str) -> Role | None:
    try:
        return OPERATION_ROLES[operation]
    except KeyError:
        raise LookupError(f"operation '{operation}' has no entry in OPERATION_ROLES") from None
