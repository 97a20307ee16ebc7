"""The models' Core tables under their own names, for SQL expression code (no `_T` aliases)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from learnloop.storage.models import (
    Agent,
    AgentFeedback,
    ApiKey,
    AuditEvent,
    DatasetExample,
    Deployment,
    ExampleHistory,
    Execution,
    ExperimentAssignment,
    ExperimentOutcome,
    ExpertAnnotation,
    FeedbackIdempotencyKey,
    LearningExample,
    LearningExperiment,
    LearningPolicy,
    LlmCacheEntry,
    Membership,
    Organization,
    RetrievalFeedbackRow,
    TrainingDataset,
    TrainingRun,
    TrainingRunArtifact,
    TrainingRunEvent,
    WebhookDelivery,
    WebhookEndpoint,
)

AGENTS = cast(Table, Agent.__table__)
DEPLOYMENTS = cast(Table, Deployment.__table__)
API_KEYS = cast(Table, ApiKey.__table__)
AUDIT_LOG = cast(Table, AuditEvent.__table__)
ORGANIZATIONS = cast(Table, Organization.__table__)
MEMBERSHIPS = cast(Table, Membership.__table__)
EXECUTIONS = cast(Table, Execution.__table__)
FEEDBACK = cast(Table, AgentFeedback.__table__)
FEEDBACK_KEYS = cast(Table, FeedbackIdempotencyKey.__table__)
EXAMPLES = cast(Table, LearningExample.__table__)
EXAMPLE_HISTORY = cast(Table, ExampleHistory.__table__)
ANNOTATIONS = cast(Table, ExpertAnnotation.__table__)
DATASETS = cast(Table, TrainingDataset.__table__)
DATASET_EXAMPLES = cast(Table, DatasetExample.__table__)
RUNS = cast(Table, TrainingRun.__table__)
RUN_EVENTS = cast(Table, TrainingRunEvent.__table__)
RUN_ARTIFACTS = cast(Table, TrainingRunArtifact.__table__)
EXPERIMENTS = cast(Table, LearningExperiment.__table__)
ASSIGNMENTS = cast(Table, ExperimentAssignment.__table__)
OUTCOMES = cast(Table, ExperimentOutcome.__table__)
POLICIES = cast(Table, LearningPolicy.__table__)
LLM_CACHE = cast(Table, LlmCacheEntry.__table__)
RETRIEVAL_FEEDBACK = cast(Table, RetrievalFeedbackRow.__table__)
WEBHOOK_ENDPOINTS = cast(Table, WebhookEndpoint.__table__)
WEBHOOK_DELIVERIES = cast(Table, WebhookDelivery.__table__)
