"""Each enum is spelled once, in the domain: the migrated CHECK constraints allow exactly its values."""

from __future__ import annotations

import re
from enum import StrEnum

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from learnloop.domain.annotations.queue import NEGATIVE_FEEDBACK_TYPES
from learnloop.domain.datasets import DatasetStatus
from learnloop.domain.engines.behavior_data import LEARNED_TYPES
from learnloop.domain.experiments.records import (
    ExperimentStatus,
    PromotionStatus,
    Variant,
    Winner,
)
from learnloop.domain.exports import DESIRABLE_ORIGINAL, UNDESIRABLE_ORIGINAL
from learnloop.domain.feedback.records import TYPE_GROUP, FeedbackType, IssueCategory, TypeGroup
from learnloop.domain.learning_examples import ExampleType, ReviewStatus
from learnloop.domain.roles import Role
from learnloop.domain.splits import Split
from learnloop.domain.training_runs.records import RunReviewStatus, RunStatus, TrainingType
from learnloop.domain.webhooks import DeliveryStatus
from learnloop.schema.enums import ExampleType as GraphQLExampleType
from learnloop.schema.enums import ReviewStatus as GraphQLReviewStatus
from learnloop.storage.database import DatabaseTarget

# (table, CHECK constraint name as declared in the model) -> the domain enum it must allow.
ENUM_CHECKS: dict[tuple[str, str], type[StrEnum]] = {
    ("learning_examples", "example_type"): ExampleType,
    ("learning_examples", "review_status"): ReviewStatus,
    ("agent_feedback", "feedback_type"): FeedbackType,
    ("agent_feedback", "type_group"): TypeGroup,
    ("agent_feedback", "issue_categories"): IssueCategory,
    ("training_datasets", "status"): DatasetStatus,
    ("dataset_examples", "split"): Split,
    ("training_runs", "training_type"): TrainingType,
    ("training_runs", "status"): RunStatus,
    ("training_runs", "review_status"): RunReviewStatus,
    ("learning_experiments", "status"): ExperimentStatus,
    ("learning_experiments", "winner"): Winner,
    ("learning_experiments", "promotion_status"): PromotionStatus,
    ("executions", "variant"): Variant,
    ("experiment_assignments", "variant"): Variant,
    ("experiment_outcomes", "variant"): Variant,
    ("memberships", "role"): Role,
    ("api_keys", "role"): Role,
    ("webhook_deliveries", "status"): DeliveryStatus,
}


async def _definitions(db: DatabaseTarget) -> dict[str, str]:
    engine = create_async_engine(db.owner_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE contype = 'c' AND connamespace = 'public'::regnamespace"
                )
            )
            return {r[0]: r[1] for r in rows}
    finally:
        await engine.dispose()


def _listed(definition: str) -> set[str]:
    """The string literals of a CHECK, e.g. status = ANY (ARRAY['A'::text, 'B'::text])."""
    return set(re.findall(r"'([^']*)'::text", definition))


@pytest.fixture(scope="module")
async def definitions(db: DatabaseTarget) -> dict[str, str]:
    return await _definitions(db)


@pytest.mark.parametrize(("table", "name"), sorted(ENUM_CHECKS))
async def test_the_database_check_allows_exactly_the_domain_enum(
    definitions: dict[str, str], table: str, name: str
) -> None:
    definition = definitions.get(f"ck_{table}_{name}")
    assert definition is not None, f"no CHECK constraint ck_{table}_{name}"
    assert _listed(definition) == {member.value for member in ENUM_CHECKS[table, name]}


async def test_the_database_pairs_each_feedback_type_with_the_domain_type_group(
    definitions: dict[str, str],
) -> None:
    definition = definitions["ck_agent_feedback_type_group_matches"]
    # ((type_group = 'THUMBS') AND (feedback_type = ANY (ARRAY['THUMBS_UP'::text, ...]))) OR ...
    pairs = {
        (feedback_type, group)
        for group, types in re.findall(r"type_group = '(\w+)'.*?feedback_type(.*?)\)\)", definition)
        for feedback_type in re.findall(r"'(\w+)'", types)
    }
    assert pairs == {(t.value, g.value) for t, g in TYPE_GROUP.items()}


def test_value_sets_spelled_in_rules_are_members_of_their_enums() -> None:
    # These sets name a few members; a typo would silently match nothing.
    assert set(NEGATIVE_FEEDBACK_TYPES) <= {t.value for t in FeedbackType}
    assert set(LEARNED_TYPES) <= {t.value for t in ExampleType}
    assert {t.value for t in ExampleType} >= UNDESIRABLE_ORIGINAL | DESIRABLE_ORIGINAL


def test_graphql_enums_are_the_domain_enums() -> None:
    # strawberry.enum wraps the domain class itself: no second list of values to drift.
    assert GraphQLExampleType is ExampleType
    assert GraphQLReviewStatus is ReviewStatus
