"""Python client for learnloop: report executions and feedback without slowing the agent down.

Importable with only httpx installed: nothing here imports the rest of learnloop.
"""

from learnloop.client.aio import AsyncLearnloopClient
from learnloop.client.results import (
    AgentConfig,
    ClientStats,
    ExecutionResult,
    FeedbackResult,
    FeedbackToken,
    LearnloopError,
    UserError,
    UserErrors,
)
from learnloop.client.sync import LearnloopClient

__all__ = [
    "AgentConfig",
    "AsyncLearnloopClient",
    "ClientStats",
    "ExecutionResult",
    "FeedbackResult",
    "FeedbackToken",
    "LearnloopClient",
    "LearnloopError",
    "UserError",
    "UserErrors",
]
