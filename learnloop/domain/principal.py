"""Who is calling: a user (JWT), an API key, an end user's feedback token, or nobody."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from learnloop.domain.errors import Forbidden, NotAuthenticated
from learnloop.domain.roles import Role


class PrincipalKind(StrEnum):
    USER = "USER"
    API_KEY = "API_KEY"
    FEEDBACK_TOKEN = "FEEDBACK_TOKEN"
    ANONYMOUS = "ANONYMOUS"
    SYSTEM = "SYSTEM"


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    org_id: UUID | None = None
    role: Role | None = None
    user_id: UUID | None = None
    api_key_id: UUID | None = None
    # Why credentials were refused, for the UNAUTHENTICATED message (never the token itself).
    refusal: str | None = None
    # Feedback tokens: the one (agent key, execution key) they may give feedback on.
    scope_agent_key: str | None = None
    scope_execution_key: str | None = None
    end_user_id: str | None = None

    @property
    def actor_key(self) -> str:
        """A stable name for audit rows and 'one person, one opinion'."""
        if self.kind is PrincipalKind.USER:
            return f"user:{self.user_id}"
        if self.kind is PrincipalKind.API_KEY:
            return f"apikey:{self.api_key_id}"
        if self.kind is PrincipalKind.FEEDBACK_TOKEN:
            return end_user_actor_key(self.end_user_id or self.scope_execution_key or "")
        if self.kind is PrincipalKind.SYSTEM:
            return "system"
        return "anonymous"

    def require(self, role: Role) -> None:
        """Raise unless this principal is authenticated with at least `role`."""
        if self.org_id is None or self.role is None:
            raise NotAuthenticated(
                self.refusal or "authentication required: send Authorization: Bearer <token>"
            )
        if self.kind is PrincipalKind.FEEDBACK_TOKEN:
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
