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
ViewerKind = strawberry.enum(
    PrincipalKind, name="ViewerKind", description="The kind of credential a request carried."
)
ExampleType = strawberry.enum(
    DomainExampleType,
    name="ExampleType",
    description="What a learning example teaches: POSITIVE (a good answer), NEGATIVE (a bad one), CORRECTION (bad answer with the right one), DEMONSTRATION (a model answer), EDGE_CASE, FAILURE, PREFERENCE (a chosen/rejected pair).",
)
ReviewStatus = strawberry.enum(
    DomainReviewStatus,
    name="ReviewStatus",
    description="Where an example is in review: PENDING (waiting), IN_REVIEW (leased to an expert), APPROVED, REJECTED.",
)
