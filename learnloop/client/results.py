"""Typed results and errors the client returns (plain dataclasses parsed from GraphQL responses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class LearnloopError(Exception):
    """The service refused a request (GraphQL errors) or could not be reached after retries."""

    def __init__(self, message: str, codes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.codes = codes


@dataclass(frozen=True)
class UserError:
    """One problem with the input: where (`field` path) and why."""

    field: tuple[str, ...]
    message: str
    code: str

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> UserError:
        return cls(tuple(raw.get("field") or ()), str(raw["message"]), str(raw["code"]))


class UserErrors(LearnloopError):
    """A mutation answered with userErrors: nothing was written."""

    def __init__(self, errors: list[UserError]) -> None:
        super().__init__("; ".join(f"{'.'.join(e.field)}: {e.message}" for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class ExecutionResult:
    """A recorded execution: its global id and what recording did (CREATED, FILLED_STUB, EXISTING)."""

    id: str
    agent_id: str
    execution_id: str
    outcome: str


@dataclass(frozen=True)
class FeedbackResult:
    id: str
    feedback_type: str


@dataclass(frozen=True)
class FeedbackToken:
    """A short-lived bearer token a browser widget uses to give feedback on one execution."""

    token: str
    expires_at: str


@dataclass(frozen=True)
class AgentConfig:
    """The effective config for one request: the unit's experiment arm, else the deployment."""

    config: dict[str, Any]
    variant: str | None = None
    experiment_id: str | None = None
    deployment_version: int | None = None


@dataclass
class ClientStats:
    """Counters of the background sender (items are executions or feedback submissions)."""

    queued: int = 0
    sent: int = 0
    # Refused by the service (userErrors): retrying would not help.
    rejected: int = 0
    # Not accepted (queue full) or given up on (service unreachable past retry_for / close).
    dropped: int = 0
    last_errors: list[str] = field(default_factory=list)
