"""The Schema object: root types merged from each concept's root module, plus extensions."""

from __future__ import annotations

from functools import lru_cache

import strawberry
from strawberry.extensions import MaxTokensLimiter, QueryDepthLimiter
from strawberry.tools import merge_types

from learnloop.config import get_settings
from learnloop.resolvers.errors import ErrorReporting
from learnloop.resolvers.transaction import CommitUnitOfWork
from learnloop.schema.agent import Agent
from learnloop.schema.agents_root import AgentsMutation, AgentsQuery
from learnloop.schema.annotation_tasks_root import AnnotationsMutation, AnnotationsQuery
from learnloop.schema.api_key import ApiKey
from learnloop.schema.dataset import DatasetExample, TrainingDataset
from learnloop.schema.dataset_root import DatasetMutation, DatasetQuery
from learnloop.schema.execution import Execution
from learnloop.schema.expert_annotation import ExpertAnnotation
from learnloop.schema.feedback import Feedback
from learnloop.schema.feedback_root import FeedbackMutation, FeedbackQuery
from learnloop.schema.identity import Organization, User
from learnloop.schema.identity_root import IdentityMutation, IdentityQuery
from learnloop.schema.learning_example import ExampleHistoryEntry, LearningExample
from learnloop.schema.learning_examples_root import (
    LearningExamplesMutation,
    LearningExamplesQuery,
)
from learnloop.schema.node_root import NodeQuery

Query = merge_types(
    "Query",
    (
        NodeQuery,
        IdentityQuery,
        AgentsQuery,
        FeedbackQuery,
        LearningExamplesQuery,
        AnnotationsQuery,
        DatasetQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        IdentityMutation,
        AgentsMutation,
        FeedbackMutation,
        LearningExamplesMutation,
        AnnotationsMutation,
        DatasetMutation,
    ),
)


@lru_cache(maxsize=1)
def get_schema() -> strawberry.Schema:
    """The one Schema of the process (strawberry's relay fields cannot be built twice)."""
    return _build(get_settings().max_query_depth)


def _build(max_depth: int) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[
            Organization,
            User,
            ApiKey,
            Agent,
            Execution,
            Feedback,
            LearningExample,
            ExpertAnnotation,
            ExampleHistoryEntry,
            TrainingDataset,
            DatasetExample,
        ],
        extensions=[
            CommitUnitOfWork,
            ErrorReporting,
            lambda: QueryDepthLimiter(max_depth=max_depth),
            lambda: MaxTokensLimiter(max_token_count=20_000),
        ],
    )
