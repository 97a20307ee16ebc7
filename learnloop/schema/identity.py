"""Organization, User, Member and Viewer types; the viewer, organization and member root fields."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay

from learnloop.domain.identity import MemberRecord, OrganizationRecord, UserRecord
from learnloop.domain.principal import Principal
from learnloop.resolvers import identity as resolve
from learnloop.resolvers.context import Info
from learnloop.resolvers.loaders.identity import OrganizationByIdLoader, UserByIdLoader
from learnloop.schema import fields
from learnloop.schema.enums import Role, ViewerKind
from learnloop.schema.errors import UserError, user_errors_field
from learnloop.schema.nodes import LoadableNode, decode_global_id, load_one


@strawberry.type(
    description="A tenant: every row belongs to exactly one organisation, and no request sees another's data."
)
class Organization(LoadableNode, relay.Node):  # type: ignore[misc]
    """A tenant: every row of learnloop belongs to exactly one organisation."""

    loader = OrganizationByIdLoader
    id: relay.NodeID[str]
    slug: str = strawberry.field(
        description="Short unique name used on the command line (learnloop token --org SLUG)."
    )
    name: str = strawberry.field(description="Display name.")
    created_at: datetime | None = strawberry.field(
        description="When it was created; null when unknown."
    )
    annotations_required: int = strawberry.field(
        description="Agreeing annotations an example needs before it is decided (see annotationSettings)."
    )

    @classmethod
    def from_record(cls, record: OrganizationRecord) -> Self:
        return cls(
            id=str(record.id),
            slug=record.slug,
            name=record.name,
            created_at=record.created_at,
            annotations_required=int(record.settings.get("annotationsRequired", 1)),
        )


@strawberry.type(description="A person who can sign in to an organisation.")
class User(LoadableNode, relay.Node):  # type: ignore[misc]
    """A person; visible to an organisation while they are one of its members."""

    loader = UserByIdLoader
    id: relay.NodeID[str]
    email: str = strawberry.field(description="Their e-mail address (hidden from feedback tokens).")
    display_name: str | None = strawberry.field(
        description="Name shown in the UI; null when not set."
    )

    @classmethod
    def from_record(cls, record: UserRecord) -> Self:
        return cls(id=str(record.id), email=record.email, display_name=record.display_name)


@strawberry.type(description="A user and their role in this organisation.")
class Member:
    user: User = strawberry.field(description="The user.")
    role: Role = strawberry.field(description="Their role here.")  # type: ignore[valid-type]

    @classmethod
    def from_record(cls, record: MemberRecord) -> Self:
        return cls(user=User.from_record(record.user), role=record.role)


@strawberry.type(description="Who is calling: a user, an API key, a feedback token, or nobody.")
class Viewer:
    """Who the current credentials belong to."""

    principal: strawberry.Private[Principal]

    @strawberry.field(description="What kind of credential the request carried.")
    def kind(self) -> ViewerKind:  # type: ignore[valid-type]
        return self.principal.kind

    @strawberry.field(
        description="The caller's role; null for anonymous callers and feedback tokens."
    )
    def role(self) -> Role | None:  # type: ignore[valid-type]
        return self.principal.role

    @strawberry.field(description="The caller's organisation; null when anonymous.")
    async def organization(self, info: Info) -> Organization | None:
        if self.principal.org_id is None:
            return None
        return await load_one(
            info, OrganizationByIdLoader, self.principal.org_id, Organization.from_record
        )

    @strawberry.field(
        description="The signed-in user; null for API keys, tokens and anonymous callers."
    )
    async def user(self, info: Info) -> User | None:
        if self.principal.user_id is None:
            return None
        return await load_one(info, UserByIdLoader, self.principal.user_id, User.from_record)

    @strawberry.field(description="Global id of the API key, when the caller is one.")
    def api_key_id(self) -> relay.GlobalID | None:
        if self.principal.api_key_id is None:
            return None
        return relay.GlobalID("ApiKey", str(self.principal.api_key_id))


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


@strawberry.type
class IdentityMutation:
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
