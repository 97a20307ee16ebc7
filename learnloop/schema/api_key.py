"""ApiKey type and the createApiKey / revokeApiKey inputs and payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay

from learnloop.domain.api_keys import ApiKeyRecord
from learnloop.resolvers.loaders.api_keys import ApiKeyByIdLoader
from learnloop.schema.enums import Role
from learnloop.schema.errors import UserError
from learnloop.schema.node import LoadableNode


@strawberry.type
class ApiKey(LoadableNode, relay.Node):  # type: ignore[misc]
    """A credential for agents. Its secret is shown once, in createApiKey's payload, never again."""

    loader = ApiKeyByIdLoader
    id: relay.NodeID[str]
    name: str
    prefix: str = strawberry.field(
        description="First characters of the secret, to tell keys apart."
    )
    role: Role  # type: ignore[valid-type]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None

    @strawberry.field
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @classmethod
    def from_record(cls, r: ApiKeyRecord) -> Self:
        return cls(
            id=str(r.id),
            name=r.name,
            prefix=r.prefix,
            role=r.role,
            created_at=r.created_at,
            last_used_at=r.last_used_at,
            revoked_at=r.revoked_at,
            expires_at=r.expires_at,
        )


@strawberry.input
class CreateApiKeyInput:
    name: str
    role: Role  # type: ignore[valid-type]
    expires_in_days: int | None = None


@strawberry.type
class CreateApiKeyPayload:
    api_key: ApiKey | None
    secret: str | None = strawberry.field(
        description="The key itself. Shown only in this response."
    )
    user_errors: list[UserError]


@strawberry.input
class RevokeApiKeyInput:
    api_key_id: relay.GlobalID


@strawberry.type
class RevokeApiKeyPayload:
    api_key: ApiKey | None
    user_errors: list[UserError]
