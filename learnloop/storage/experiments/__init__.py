"""Experiment storage: rows, exposures and outcomes (rows), and the per-arm moments analysis reads."""

from learnloop.storage.experiments.moments import data_by_ids
from learnloop.storage.experiments.rows import (
    ExperimentRepository,
    agent_snapshot,
    by_ids,
    get,
    open_canaries,
    page,
    total,
)

__all__ = [
    "ExperimentRepository",
    "agent_snapshot",
    "by_ids",
    "data_by_ids",
    "get",
    "open_canaries",
    "page",
    "total",
]
