"""The Schema object: root types merged from each concept's root module, plus extensions."""

from __future__ import annotations

from functools import lru_cache

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
)
from strawberry.tools import merge_types
from strawberry.types.base import get_object_definition

from learnloop.config import get_settings
from learnloop.resolvers.errors import ErrorReporting, LearnloopSchema
from learnloop.resolvers.input_limits import guard_root_fields
from learnloop.resolvers.operation_metrics import OperationMetrics
from learnloop.resolvers.query_limits import LimitedValidation, PageBudget, validation_rules
from learnloop.resolvers.rate_limits import RateLimiting
from learnloop.resolvers.scopes import ScopeGuard
from learnloop.resolvers.transaction import CommitUnitOfWork
from learnloop.schema.agents import Agent, AgentsMutation, AgentsQuery
from learnloop.schema.annotations.expert_annotations import ExpertAnnotation
from learnloop.schema.annotations.operations import AnnotationsMutation, AnnotationsQuery
from learnloop.schema.api_keys import ApiKey, ApiKeysMutation, ApiKeysQuery
from learnloop.schema.audit import AuditQuery
from learnloop.schema.datasets.operations import DatasetMutation, DatasetQuery
from learnloop.schema.datasets.types import DatasetExample, TrainingDataset
from learnloop.schema.deployments import Deployment
from learnloop.schema.errors import UserError
from learnloop.schema.executions import Execution, ExecutionsMutation, ExecutionsQuery
from learnloop.schema.experiments.operations import (
    ExperimentsMutation,
    ExperimentsQuery,
    ExperimentsSubscription,
)
from learnloop.schema.experiments.types import Experiment
from learnloop.schema.feedback.operations import FeedbackMutation, FeedbackQuery
from learnloop.schema.feedback.types import Feedback
from learnloop.schema.identity import IdentityMutation, IdentityQuery, Organization, User
from learnloop.schema.learning_examples.operations import (
    LearningExamplesMutation,
    LearningExamplesQuery,
)
from learnloop.schema.learning_examples.types import ExampleHistoryEntry, LearningExample
from learnloop.schema.learning_policies import LearningPoliciesMutation, LearningPoliciesQuery
from learnloop.schema.nodes import NodeQuery
from learnloop.schema.retrieval_feedback import RetrievalFeedbackMutation
from learnloop.schema.training_runs.operations import (
    TrainingMutation,
    TrainingQuery,
    TrainingSubscription,
)
from learnloop.schema.training_runs.types import TrainingRun
from learnloop.schema.webhooks import WebhooksMutation, WebhooksQuery

Query = merge_types(
    "Query",
    (
        NodeQuery,
        IdentityQuery,
        ApiKeysQuery,
        AuditQuery,
        AgentsQuery,
        ExecutionsQuery,
        FeedbackQuery,
        LearningExamplesQuery,
        DatasetQuery,
        TrainingQuery,
        AnnotationsQuery,
        ExperimentsQuery,
        LearningPoliciesQuery,
        WebhooksQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        ApiKeysMutation,
        IdentityMutation,
        ExecutionsMutation,
        AgentsMutation,
        FeedbackMutation,
        LearningExamplesMutation,
        DatasetMutation,
        TrainingMutation,
        AnnotationsMutation,
        ExperimentsMutation,
        LearningPoliciesMutation,
        RetrievalFeedbackMutation,
        WebhooksMutation,
    ),
)
Subscription = merge_types("Subscription", (TrainingSubscription, ExperimentsSubscription))
# merge_types takes no description; GraphiQL shows these first, so say what each root is for.
get_object_definition(
    Query, strict=True
).description = "Everything you can read. Each field's description ends with the role it needs."
get_object_definition(Mutation, strict=True).description = (
    "Everything you can change. Each mutation takes one `input` and answers bad input with "
    "`userErrors` (nothing is written); auth problems are errors with extensions.code "
    "UNAUTHENTICATED or FORBIDDEN."
)
get_object_definition(Subscription, strict=True).description = (
    "Live updates over WebSocket (graphql-transport-ws, or legacy graphql-ws), authenticated "
    'by the connection_init payload {"authorization": "Bearer ..."}.'
)


@lru_cache(maxsize=1)
def get_schema() -> strawberry.Schema:
    """The one Schema of the process (strawberry's relay fields cannot be built twice)."""
    settings = get_settings()
    return _build(settings.max_query_depth, settings.max_aliases)


def _build(max_depth: int, max_aliases: int) -> strawberry.Schema:
    # One rule class each for the process: the validation cache keys on the rules, so a class
    # made per request (as QueryDepthLimiter does) would make every validation a miss.
    rules = validation_rules(max_depth)
    schema = LearnloopSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
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
            TrainingRun,
            Deployment,
            Experiment,
        ],
        extensions=[
            # First: it sees the result as the caller gets it (committed, errors masked).
            OperationMetrics,
            CommitUnitOfWork,
            ErrorReporting,
            ScopeGuard,
            # Clients send the same documents over and over: parse and validate each once.
            lambda: ParserCache(maxsize=512),
            lambda: LimitedValidation(maxsize=512, max_aliases=max_aliases),
            lambda: AddValidationRules(rules),
            lambda: MaxTokensLimiter(max_token_count=20_000),
            # Both run after validation and before any resolver (any SQL).
            PageBudget,
            RateLimiting,
        ],
    )
    guard_root_fields(
        schema._schema.query_type,
        schema._schema.mutation_type,
        UserError,
        schema._schema.subscription_type,
    )
    return schema
