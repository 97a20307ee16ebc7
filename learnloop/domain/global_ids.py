"""Relay global ids for files and configs the API does not serve itself (exports, deployments)."""

from __future__ import annotations

import base64
from uuid import UUID

# GraphQL type names whose ids appear in exports and deployment configs.
TRAINING_DATASET = "TrainingDataset"
LEARNING_EXAMPLE = "LearningExample"
EXECUTION = "Execution"
FEEDBACK = "Feedback"
TRAINING_RUN = "TrainingRun"


def global_id(type_name: str, node_id: UUID) -> str:
    """The id `node(id:)` accepts: base64 of "TypeName:uuid", as the GraphQL API encodes it."""
    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


def optional_global_id(type_name: str, node_id: UUID | None) -> str | None:
    return None if node_id is None else global_id(type_name, node_id)
