"""Enums shared by several types."""

from __future__ import annotations

import strawberry

from learnloop.domain.learning_examples import ExampleType as DomainExampleType
from learnloop.domain.learning_examples import ReviewStatus as DomainReviewStatus
from learnloop.domain.principal import PrincipalKind
from learnloop.domain.roles import Role as DomainRole

Role = strawberry.enum(
    DomainRole, name="Role", description="VIEWER < MEMBER < EXPERT < MANAGER < ADMIN"
)
ViewerKind = strawberry.enum(PrincipalKind, name="ViewerKind")
ExampleType = strawberry.enum(DomainExampleType, name="ExampleType")
ReviewStatus = strawberry.enum(DomainReviewStatus, name="ReviewStatus")
