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
    "trainingRun": Role.VIEWER,
    "trainingRuns": Role.VIEWER,
    "deployments": Role.VIEWER,
    # mutations
    "createApiKey": Role.ADMIN,
    "revokeApiKey": Role.ADMIN,
    "inviteMember": Role.ADMIN,
    "setMemberRole": Role.ADMIN,
    "createTrainingRun": Role.MANAGER,
    "cancelTrainingRun": Role.MANAGER,
    "reviewTrainingRun": Role.MANAGER,
    "deployTrainingRun": Role.MANAGER,
    # subscriptions
    "trainingRunUpdated": Role.VIEWER,
    "trainingRunsUpdated": Role.VIEWER,
}


def required_role(operation: str) -> Role | None:
    try:
        return OPERATION_ROLES[operation]
    except KeyError:
        raise LookupError(f"operation '{operation}' has no entry in OPERATION_ROLES") from None
