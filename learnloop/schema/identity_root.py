"""Root fields for the viewer, organisation, members, API keys and audit log."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from learnloop.resolvers import identity as resolve
from learnloop.resolvers.context import Info
from learnloop.schema import fields
from learnloop.schema.api_key import (
    ApiKey,
    CreateApiKeyInput,
    CreateApiKeyPayload,
    RevokeApiKeyInput,
    RevokeApiKeyPayload,
)
from learnloop.schema.audit import AuditEvent
from learnloop.schema.enums import Role
from learnloop.schema.errors import UserError, user_errors_field
from learnloop.schema.identity import Member, Organization, User, Viewer
from learnloop.schema.node import decode_global_id
from learnloop.schema.pagination import After, Connection, First, page_request


@strawberry.input(description="A person to add to this organisation.")
class InviteMemberInput:
    email: str = strawberry.field(description="Their e-mail address (their login name).")
    role: Role = strawberry.field(description="The role they get.")  # type: ignore[valid-type]
    display_name: str | None = strawberry.field(
        default=None, description="Name shown in the UI; optional."
    )


@strawberry.type(description="The new member.")
class InviteMemberPayload:
    member: Member | None = strawberry.field(description="The member; null when refused.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="A member's new role.")
class SetMemberRoleInput:
    user_id: relay.GlobalID = strawberry.field(description="The User's global id.")
    role: Role = strawberry.field(description="The new role.")  # type: ignore[valid-type]


@strawberry.type(description="The member with the new role.")
class SetMemberRolePayload:
    member: Member | None = strawberry.field(description="The member; null when refused.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type
class IdentityQuery:
    @fields.query(description="The caller: user or API key, organisation and role.")
    async def viewer(self, info: Info) -> Viewer:
        return Viewer(principal=await resolve.viewer(info.context))

    @fields.query()
    async def organization(self, info: Info) -> Organization | None:
        record = await resolve.organization(info.context)
        return Organization.from_record(record) if record else None

    @fields.query()
    async def members(self, info: Info) -> list[Member]:
        return [Member.from_record(m) for m in await resolve.members(info.context)]

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

    @fields.query()
    async def audit_events(
        self,
        info: Info,
        first: First = 50,
        after: After = None,
        action_prefix: Annotated[
            str | None,
            strawberry.argument(
                description="Only actions starting with this, e.g. training_run. or dataset.; null means all."
            ),
        ] = None,
    ) -> Connection[AuditEvent]:
        page = await resolve.audit_page(info.context, page_request(first, after), action_prefix)
        return Connection[AuditEvent].from_page(page, AuditEvent.from_record)


@strawberry.type
class IdentityMutation:
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

    @fields.mutation(description="Add a person to this organisation with a role.")
    async def invite_member(self, info: Info, input: InviteMemberInput) -> InviteMemberPayload:
        member, problems = await resolve.invite_member(
            info.context, input.email, input.display_name, input.role
        )
        return InviteMemberPayload(
            member=Member.from_record(member) if member else None,
            user_errors=UserError.from_problems(problems),
        )

    @fields.mutation()
    async def set_member_role(self, info: Info, input: SetMemberRoleInput) -> SetMemberRolePayload:
        user_id = decode_global_id(input.user_id, User, "userId")
        member, problems = await resolve.set_member_role(info.context, user_id, input.role)
        return SetMemberRolePayload(
            member=Member.from_record(member) if member else None,
            user_errors=UserError.from_problems(problems),
        )
