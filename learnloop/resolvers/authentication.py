"""Turn an Authorization header into a Principal, inside the request's unit of work."""

from __future__ import annotations

from learnloop.domain.errors import NotAuthenticated
from learnloop.domain.executions import ExecutionRef
from learnloop.domain.principal import (
    ANONYMOUS,
    ExecutionScope,
    Principal,
    PrincipalKind,
    refused,
)
from learnloop.domain.roles import Role
from learnloop.domain.tokens import (
    API_KEY_PREFIX,
    FeedbackClaims,
    TokenSettings,
    hash_api_key,
    verify_token,
)
from learnloop.storage import identity
from learnloop.storage.unit_of_work import UnitOfWork


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return ""
    return token.strip()


async def authenticate(
    uow: UnitOfWork, tokens: TokenSettings, authorization: str | None
) -> Principal:
    """Resolve credentials; never raises for bad ones (the refusal surfaces at the permission check)."""
    token = bearer_token(authorization)
    if token is None:
        return ANONYMOUS
    if token == "":
        return refused("malformed Authorization header: expected 'Bearer <token>'")
    if token.startswith(API_KEY_PREFIX):
        found = await identity.authenticate_api_key(uow, hash_api_key(token))
        if found is None:
            return refused("unknown, expired or revoked API key")
        key_id, org_id, role = found
        await uow.set_org(org_id)
        return Principal(kind=PrincipalKind.API_KEY, org_id=org_id, role=role, api_key_id=key_id)
    try:
        claims = verify_token(tokens, token)
    except NotAuthenticated as exc:
        return refused(str(exc))
    await uow.set_org(claims.org_id)
    if isinstance(claims, FeedbackClaims):
        return Principal(
            kind=PrincipalKind.FEEDBACK_TOKEN,
            org_id=claims.org_id,
            role=Role.VIEWER,
            scope=ExecutionScope(
                ref=ExecutionRef(claims.agent_key, claims.execution_key),
                end_user_id=claims.end_user_id,
                credential_id=claims.token_id,
            ),
        )
    member_role = await identity.membership_role(uow, claims.user_id)
    if member_role is None:
        await uow.set_org(None)
        return refused("this user is not a member of the token's organisation")
    # The token's role is a ceiling; a demotion since it was issued takes effect at once.
    return Principal(
        kind=PrincipalKind.USER,
        org_id=claims.org_id,
        role=Role.lowest(claims.role, member_role),
        user_id=claims.user_id,
    )
