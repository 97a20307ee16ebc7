"""ApiKey type and the apiKeys, createApiKey and revokeApiKey root fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry
from strawberry import relay

from learnloop.domain.api_keys import ApiKeyRecord
from learnloop.resolvers import api_keys as resolve
from learnloop.resolvers.context import Info
from learnloop.resolvers.loaders.api_keys import ApiKeyByIdLoader
from learnloop.schema import fields
from learnloop.schema.enums import Role
from learnloop.schema.errors import UserError, user_errors_field
from learnloop.schema.nodes import LoadableNode, decode_global_id
from learnloop.schema.pagination import After, Connection, First, page_request


@strawberry.type(
    description="A revocable credential for agents and scripts (sent as Authorization: Bearer ll_...). The secret is shown once, at creation; only its prefix is kept readable."
)
class ApiKey(LoadableNode, relay.Node):  # type: ignore[misc]
    """A credential for agents. Its secret is shown once, in createApiKey's payload, never again."""

    loader = ApiKeyByIdLoader
    id: relay.NodeID[str]
    name: str = strawberry.field(description="What the key is for (e.g. support-bot).")
    prefix: str = strawberry.field(
        description="First characters of the secret, to tell keys apart."
    )
    role: Role = strawberry.field(description="The role requests with this key get.")  # type: ignore[valid-type]
    created_at: datetime = strawberry.field(description="When it was created.")
    last_used_at: datetime | None = strawberry.field(
        description="When it last authenticated a request; null when never used."
    )
    revoked_at: datetime | None = strawberry.field(
        description="When it was revoked; null while active."
    )
    expires_at: datetime | None = strawberry.field(
        description="When it stops working; null when it never expires."
    )

    @strawberry.field(
        description="True once revoked (or expired); such a key authenticates nothing."
    )
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


@strawberry.input(description="A new API key for this organisation.")
class CreateApiKeyInput:
    name: str = strawberry.field(description="What the key is for; 1 to 200 characters.")
    role: Role = strawberry.field(description="The role its requests get.")  # type: ignore[valid-type]
    expires_in_days: int | None = strawberry.field(
        default=None, description="Days until it expires, 1..3650; null means it never expires."
    )


@strawberry.type(description="The new key and its one-time secret.")
class CreateApiKeyPayload:
    api_key: ApiKey | None = strawberry.field(description="The new key; null when refused.")
    secret: str | None = strawberry.field(
        description="The key itself. Shown only in this response."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="The key to revoke.")
class RevokeApiKeyInput:
    api_key_id: relay.GlobalID = strawberry.field(description="The ApiKey's global id.")


@strawberry.type(description="The revoked key.")
class RevokeApiKeyPayload:
    api_key: ApiKey | None = strawberry.field(
        description="The key, now revoked; null when not found."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type
class ApiKeysQuery:
    @fields.query()
    async def api_keys(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        include_revoked: Annotated[
            bool,
            strawberry.argument(description="Also list revoked and expired keys (default false)."),
        ] = False,
    ) -> Connection[ApiKey]:
        page = await resolve.api_key_page(info.context, page_request(first, after), include_revoked)
        return Connection[ApiKey].from_page(
            page, ApiKey.from_record, lambda: resolve.count_api_keys(info.context, include_revoked)
        )


@strawberry.type
class ApiKeysMutation:
    @fields.mutation(description="Create an API key for agents; its secret is returned only here.")
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyPayload:
        created, problems = await resolve.create_api_key(
            info.context, input.name, input.role, input.expires_in_days
        )
        record, secret = created if created else (None, None)
        return CreateApiKeyPayload(
            api_key=ApiKey.from_record(record) if record else None,
            secret=secret,
            user_errors=UserError.from_problems(problems),
        )

    @fields.mutation()
    async def revoke_api_key(self, info: Info, input: RevokeApiKeyInput) -> RevokeApiKeyPayload:
        key_id = decode_global_id(input.api_key_id, ApiKey, "apiKeyId")
        record, problems = await resolve.revoke_api_key(info.context, key_id)
        return RevokeApiKeyPayload(
            api_key=ApiKey.from_record(record) if record else None,
            user_errors=UserError.from_problems(problems),
        )
