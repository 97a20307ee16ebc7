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
}


def required_role(operation: str) -> Role | None:
    try:
        return OPERATION_ROLES[operation]
    except KeyError:
        raise LookupError(f"operation '{operation}' has no entry in OPERATION_ROLES") from None
