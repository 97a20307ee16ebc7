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
from learnloop.resolvers.operation_tracing import OperationTracing
from learnloop.resolvers.query_limits import LimitedValidation, PageBudget, validation_rules
from learnloop.resolvers.rate_limits import RateLimiting
from learnloop.resolvers.scopes import ScopeGuard
from learnloop.resolvers.transaction import CommitUnitOfWork
from learnloop.schema.agent import Agent
from learnloop.schema.agents_root import AgentsMutation, AgentsQuery
from learnloop.schema.annotation_tasks_root import AnnotationsMutation, AnnotationsQuery
from learnloop.schema.api_key import ApiKey
from learnloop.schema.dataset import DatasetExample, TrainingDataset
from learnloop.schema.dataset_root import DatasetMutation, DatasetQuery
from learnloop.schema.deployment import Deployment
from learnloop.schema.errors import UserError
from learnloop.schema.execution import Execution
from learnloop.schema.experiments.operations import (
    ExperimentsMutation,
    ExperimentsQuery,
    ExperimentsSubscription,
)
from learnloop.schema.experiments.types import Experiment
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
from learnloop.schema.learning_policies import LearningPoliciesMutation, LearningPoliciesQuery
from learnloop.schema.node_root import NodeQuery
from learnloop.schema.retrieval_feedback import RetrievalFeedbackMutation
from learnloop.schema.training_root import TrainingMutation, TrainingQuery, TrainingSubscription
from learnloop.schema.training_run import TrainingRun
from learnloop.schema.webhooks import WebhooksMutation, WebhooksQuery

Query = merge_types(
    "Query",
    (
        NodeQuery,
        IdentityQuery,
        AgentsQuery,
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
        IdentityMutation,
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
            # Outermost: the operation's span holds every statement, the commit included.
            OperationTracing,
            # Next: it sees the result as the caller gets it (committed, errors masked).
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
