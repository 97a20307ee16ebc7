"""Organization, User, Member and Viewer types."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay

from learnloop.domain.identity import MemberRecord, OrganizationRecord, UserRecord
from learnloop.domain.principal import Principal
from learnloop.resolvers.context import Info
from learnloop.resolvers.loaders.identity import OrganizationByIdLoader, UserByIdLoader
from learnloop.schema.enums import Role, ViewerKind
from learnloop.schema.node import LoadableNode, load_one


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
