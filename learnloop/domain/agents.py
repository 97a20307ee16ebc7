"""Agents: known by the caller's key, with default labels for the executions that report none."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from learnloop.domain.errors import Problem, UserInputError
from learnloop.domain.input_limits import check_key, check_label


@dataclass(frozen=True)
class AgentRecord:
    id: UUID
    key: str
    name: str | None
    description: str | None
    created_at: datetime
    updated_at: datetime
    default_domain: str | None = None
    default_task_type: str | None = None


@dataclass(frozen=True)
class AgentDefaults:
    """setAgentDefaults' input: labels for the agent's executions that name none (None clears)."""

    agent_key: str
    domain: str | None
    task_type: str | None


class AgentDefaultsStore(Protocol):
    async def set_agent_defaults(self, defaults: AgentDefaults) -> AgentRecord:
        """Store the agent's default labels (creating the agent on first use)."""
        ...


def validate_agent_defaults(defaults: AgentDefaults) -> AgentDefaults:
    problems: list[Problem] = []
    key = check_key(defaults.agent_key, ("agentId",), problems)
    domain = check_label(defaults.domain, ("domain",), problems)
    task_type = check_label(defaults.task_type, ("taskType",), problems)
    if problems:
        raise UserInputError(problems)
    return AgentDefaults(agent_key=key, domain=domain, task_type=task_type)


async def set_agent_defaults(store: AgentDefaultsStore, defaults: AgentDefaults) -> AgentRecord:
    """Default labels for the agent's future executions (those already recorded keep theirs)."""
    return await store.set_agent_defaults(validate_agent_defaults(defaults))
