"""Enums shared by several types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import strawberry

from learnloop.domain.learning_examples import ExampleType as DomainExampleType
from learnloop.domain.learning_examples import ReviewStatus as DomainReviewStatus
from learnloop.domain.principal import PrincipalKind
from learnloop.domain.roles import Role as DomainRole


def describe_values(wrapped: Any, descriptions: Mapping[str, str]) -> Any:
    """Give a strawberry enum made from a domain enum its per-value descriptions.

    The domain enums cannot carry strawberry.enum_value (the domain imports no strawberry),
    so the schema layer attaches the text here; a name that is not a value fails at import.
    """
    definition = wrapped.__strawberry_definition__
    names = {value.name for value in definition.values}
    unknown = set(descriptions) - names
    if unknown:
        raise ValueError(f"{definition.name} has no values {sorted(unknown)}")
    for value in definition.values:
        value.description = descriptions.get(value.name, value.description)
    return wrapped


Role = strawberry.enum(
    DomainRole, name="Role", description="VIEWER < MEMBER < EXPERT < MANAGER < ADMIN"
)
ViewerKind = describe_values(
    strawberry.enum(
        PrincipalKind, name="ViewerKind", description="The kind of credential a request carried."
    ),
    {
        "USER": "A person's JWT (learnloop token, or your identity provider).",
        "API_KEY": "An ll_ API key, usually an agent.",
        "FEEDBACK_TOKEN": "A widget's token for one execution (createFeedbackToken).",
        "ANONYMOUS": "No credentials.",
        "SYSTEM": "learnloop itself (workers, migrations); never a request.",
    },
)
ExampleType = describe_values(
    strawberry.enum(
        DomainExampleType, name="ExampleType", description="What a learning example teaches."
    ),
    {
        "POSITIVE": "A good answer worth repeating.",
        "NEGATIVE": "A bad answer to avoid.",
        "CORRECTION": "A bad answer with the right one (expectedOutput); made by CORRECTION feedback.",
        "DEMONSTRATION": "A model answer written by a person.",
        "EDGE_CASE": "An unusual input the agent must handle.",
        "FAILURE": "An input the agent failed on, with or without the right answer.",
        "PREFERENCE": "A chosen (expectedOutput) and a rejected (originalOutput) answer to one input.",
    },
)
ReviewStatus = describe_values(
    strawberry.enum(
        DomainReviewStatus, name="ReviewStatus", description="Where an example is in review."
    ),
    {
        "PENDING": "Waiting in the annotation queue (an expired lease returns here).",
        "IN_REVIEW": "Leased to an expert until leaseExpiresAt.",
        "APPROVED": "Decided good: may enter datasets.",
        "REJECTED": "Decided bad: never enters a dataset.",
    },
)
