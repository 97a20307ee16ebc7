"""SQLAlchemy table models of the whole schema; importing this package fills `Base.metadata`."""

from learnloop.storage.models.agents import Agent, Deployment
from learnloop.storage.models.annotations import ExpertAnnotation
from learnloop.storage.models.api_keys import ApiKey
from learnloop.storage.models.audit import AuditEvent
from learnloop.storage.models.base import Base, IdMixin, OrgMixin, UpdatedAtMixin
from learnloop.storage.models.datasets import DatasetExample, TrainingDataset
from learnloop.storage.models.executions import Execution
from learnloop.storage.models.experiments import (
    ExperimentAssignment,
    ExperimentOutcome,
    LearningExperiment,
)
from learnloop.storage.models.feedback import AgentFeedback, FeedbackIdempotencyKey
from learnloop.storage.models.identity import Membership, Organization, User
from learnloop.storage.models.learning_examples import ExampleHistory, LearningExample
from learnloop.storage.models.learning_policies import LearningPolicy
from learnloop.storage.models.llm_cache import LlmCacheEntry
from learnloop.storage.models.rate_limits import RateLimitBucket
from learnloop.storage.models.retrieval_feedback import RetrievalFeedbackRow
from learnloop.storage.models.training_runs import (
    TrainingRun,
    TrainingRunArtifact,
    TrainingRunEvent,
)
from learnloop.storage.models.webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "Agent",
    "AgentFeedback",
    "ApiKey",
    "AuditEvent",
    "Base",
    "DatasetExample",
    "Deployment",
    "ExampleHistory",
    "Execution",
    "ExperimentAssignment",
    "ExperimentOutcome",
    "ExpertAnnotation",
    "FeedbackIdempotencyKey",
    "IdMixin",
    "LearningExample",
    "LearningExperiment",
    "LearningPolicy",
    "LlmCacheEntry",
    "Membership",
    "OrgMixin",
    "Organization",
    "RateLimitBucket",
    "RetrievalFeedbackRow",
    "TrainingDataset",
    "TrainingRun",
    "TrainingRunArtifact",
    "TrainingRunEvent",
    "UpdatedAtMixin",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
]
