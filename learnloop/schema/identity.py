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


@strawberry.type
class Organization(LoadableNode, relay.Node):  # type: ignore[misc]
    """A tenant: every row of learnloop belongs to exactly one organisation."""

    loader = OrganizationByIdLoader
    id: relay.NodeID[str]
    slug: str
    name: str
    created_at: datetime | None
    annotations_required: int

    @classmethod
    def from_record(cls, record: OrganizationRecord) -> Self:
        return cls(
            id=str(record.id),
            slug=record.slug,
            name=record.name,
            created_at=record.created_at,
            annotations_required=int(record.settings.get("annotationsRequired", 1)),
        )


@strawberry.type
class User(LoadableNode, relay.Node):  # type: ignore[misc]
    """A person; visible to an organisation while they are one of its members."""

    loader = UserByIdLoader
    id: relay.NodeID[str]
    email: str
    display_name: str | None

    @classmethod
    def from_record(cls, record: UserRecord) -> Self:
        return cls(id=str(record.id), email=record.email, display_name=record.display_name)


@strawberry.type
class Member:
    user: User
    role: Role  # type: ignore[valid-type]

    @classmethod
    def from_record(cls, record: MemberRecord) -> Self:
        return cls(user=User.from_record(record.user), role=record.role)


@strawberry.type
class Viewer:
    """Who the current credentials belong to."""

    principal: strawberry.Private[Principal]

    @strawberry.field
    def kind(self) -> ViewerKind:  # type: ignore[valid-type]
        return self.principal.kind

    @strawberry.field
    def role(self) -> Role | None:  # type: ignore[valid-type]
        return self.principal.role

    @strawberry.field
    async def organization(self, info: Info) -> Organization | None:
        if self.principal.org_id is None:
            return None
        return await load_one(
            info, OrganizationByIdLoader, self.principal.org_id, Organization.from_record
        )

    @strawberry.field
    async def user(self, info: Info) -> User | None:
        if self.principal.user_id is None:
            return None
        return await load_one(info, UserByIdLoader, self.principal.user_id, User.from_record)

    @strawberry.field(description="Global id of the API key, when the caller is one.")
    def api_key_id(self) -> relay.GlobalID | None:
        if self.principal.api_key_id is None:
            return None
        return relay.GlobalID("ApiKey", str(self.principal.api_key_id))
