"""Who is calling: a user (JWT), an API key, an end user's feedback token, or nobody."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from learnloop.domain.errors import Forbidden, NotAuthenticated
from learnloop.domain.executions import ExecutionRef
from learnloop.domain.roles import Role


class PrincipalKind(StrEnum):
    USER = "USER"
    API_KEY = "API_KEY"
    FEEDBACK_TOKEN = "FEEDBACK_TOKEN"
    ANONYMOUS = "ANONYMOUS"
    SYSTEM = "SYSTEM"


@dataclass(frozen=True)
class ExecutionScope:
    """A narrow principal's reach: one execution, and only what its holder said about it.

    What such a scope may read is decided in `domain/scopes.py` (see the principal-scopes ADR); a principal without
    one reaches its whole organisation, whose edge row-level security draws.
    """

    ref: ExecutionRef
    end_user_id: str | None
    # Which credential this is (a feedback token's id): its idempotency keys are its own.
    credential_id: str

    @property
    def author_key(self) -> str:
        """Whose opinions the holder gives: the end user, or the execution's anonymous visitor."""
        return end_user_actor_key(self.end_user_id or self.ref.execution_key)


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    org_id: UUID | None = None
    role: Role | None = None
    user_id: UUID | None = None
    api_key_id: UUID | None = None
    # Why credentials were refused, for the UNAUTHENTICATED message (never the token itself).
    refusal: str | None = None
    # Narrow principals (feedback tokens) carry their scope; None means organisation-wide.
    scope: ExecutionScope | None = None

    @property
    def narrow(self) -> bool:
        """True when the principal may read less than its whole organisation."""
        return self.scope is not None

    @property
    def actor_key(self) -> str:
        """A stable name for audit rows and 'one person, one opinion'."""
        if self.kind is PrincipalKind.USER:
            return f"user:{self.user_id}"
        if self.kind is PrincipalKind.API_KEY:
            return f"apikey:{self.api_key_id}"
        if self.scope is not None:
            return self.scope.author_key
        if self.kind is PrincipalKind.SYSTEM:
            return "system"
        return "anonymous"

    def require(self, role: Role) -> None:
        """Raise unless this principal is authenticated with at least `role`."""
        if self.org_id is None or self.role is None:
            raise NotAuthenticated(
                self.refusal or "authentication required: send Authorization: Bearer <token>"
            )
        if self.narrow:
            raise Forbidden("a feedback token only allows submitFeedback on its own execution")
        if not self.role.includes(role):
            raise Forbidden(f"this operation needs role {role.value}; you have {self.role.value}")


def end_user_actor_key(end_user_id: str) -> str:
    """The actor key of an end user, however their feedback reaches us (widget token or relay)."""
    return f"enduser:{end_user_id}"


ANONYMOUS = Principal(kind=PrincipalKind.ANONYMOUS)


def system(org_id: UUID) -> Principal:
    """learnloop itself (e.g. a worker finishing a run), acting inside one organisation."""
    return Principal(kind=PrincipalKind.SYSTEM, org_id=org_id)


def refused(reason: str) -> Principal:
    return Principal(kind=PrincipalKind.ANONYMOUS, refusal=reason)
