"""Execution type (one reported run of an agent) and the recordExecution input and payload."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from learnloop.domain.executions import ExecutionRecord
from learnloop.domain.executions import Recorded as DomainRecorded
from learnloop.resolvers.context import Info
from learnloop.resolvers.loaders.executions import AgentByIdLoader, ExecutionByIdLoader
from learnloop.resolvers.loaders.feedback import (
    FeedbackCountByExecutionLoader,
    FeedbackPageByExecutionLoader,
)
from learnloop.schema.errors import UserError, user_errors_field
from learnloop.schema.feedback import Feedback
from learnloop.schema.node import LoadableNode, load_one
from learnloop.schema.pagination import After, Connection, First, child_connection

if TYPE_CHECKING:
    from learnloop.schema.agent import Agent

RecordExecutionOutcome = strawberry.enum(
    DomainRecorded,
    name="RecordExecutionOutcome",
    description="CREATED; FILLED_STUB (feedback came first); EXISTING (a repeat: nothing changed).",
)


@strawberry.type(
    description="One run of an agent that it reported with recordExecution (or a stub made by early feedback, filled in when reported)."
)
class Execution(LoadableNode, relay.Node):
    """One run of an agent, named by the caller's key (e.g. exec-123) within its agent."""

    loader = ExecutionByIdLoader
    id: relay.NodeID[str]
    key: str = strawberry.field(
        description="The caller's own execution key (the executionId it reported)."
    )
    input: str | None = strawberry.field(description="What the agent was given; null on a stub.")
    output: str | None = strawberry.field(description="What the agent answered; null on a stub.")
    metadata: JSON = strawberry.field(
        description="Any JSON object the agent attached (model, latency, ...); {} when none."
    )
    variant: str | None = strawberry.field(
        description="The experiment arm (CONTROL or TREATMENT) the run was served; null outside experiments."
    )
    domain: str | None = strawberry.field(
        description="What the run was about (e.g. billing): reported, or the agent's default. "
        "Copied onto the learning examples its feedback creates."
    )
    task_type: str | None = strawberry.field(
        description="The kind of task (e.g. qa): reported, or the agent's default. "
        "Copied onto the learning examples its feedback creates."
    )
    is_stub: bool = strawberry.field(
        description="Created by feedback that arrived first; filled when the agent reports it."
    )
    created_at: datetime = strawberry.field(
        description="When it was first recorded (or its stub created)."
    )
    updated_at: datetime = strawberry.field(
        description="When it last changed (e.g. a stub filled in)."
    )
    record: strawberry.Private[ExecutionRecord]

    @classmethod
    def from_record(cls, r: ExecutionRecord) -> Self:
        return cls(
            id=str(r.id),
            key=r.key,
            input=r.input,
            output=r.output,
            metadata=JSON(r.metadata),
            variant=r.variant,
            domain=r.domain,
            task_type=r.task_type,
            is_stub=r.is_stub,
            created_at=r.created_at,
            updated_at=r.updated_at,
            record=r,
        )

    @strawberry.field(description="The agent that ran it.")
    async def agent(
        self, info: Info
    ) -> Annotated[Agent, strawberry.lazy("learnloop.schema.agent")] | None:
        from learnloop.schema.agent import Agent

        return await load_one(info, AgentByIdLoader, self.record.agent_id, Agent.from_record)

    @strawberry.field(description="Feedback on this execution, newest first.")
    async def feedback(
        self, info: Info, first: First = 20, after: After = None
    ) -> Connection[Feedback]:
        return await child_connection(
            info,
            FeedbackPageByExecutionLoader,
            FeedbackCountByExecutionLoader,
            self.record.id,
            first,
            after,
            Feedback.from_record,
        )


@strawberry.input(description="One agent run to report. Idempotent on (agentId, executionId).")
class RecordExecutionInput:
    agent_id: str = strawberry.field(description="The agent's key; created on first use.")
    execution_id: str = strawberry.field(description="Your id of this run, unique per agent.")
    input: str | None = strawberry.field(
        default=None, description="What the agent was given; up to the body limit."
    )
    output: str | None = strawberry.field(default=None, description="What the agent answered.")
    metadata: JSON | None = strawberry.field(
        default=None,
        description="A JSON object of your own (model, latency, ...); depth and size are limited.",
    )
    experiment_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="A RUNNING experiment this run belongs to: it is tagged with the unit's arm.",
    )
    unit_id: str | None = strawberry.field(
        default=None,
        description="The unit (user, session) the arm is chosen for; default: executionId.",
    )
    domain: str | None = strawberry.field(
        default=None,
        description="What the run is about, e.g. billing (default: the agent's defaultDomain). "
        "Examples made from its feedback carry it, so queue and dataset filters find them.",
    )
    task_type: str | None = strawberry.field(
        default=None,
        description="The kind of task, e.g. qa (default: the agent's defaultTaskType).",
    )


@strawberry.type(description="The recorded execution and what happened to it.")
class RecordExecutionPayload:
    execution: Execution | None = strawberry.field(
        description="The execution; null when the input was refused."
    )
    outcome: RecordExecutionOutcome | None = strawberry.field(
        description="CREATED (new), FILLED_STUB (feedback had arrived first) or EXISTING (already reported; nothing changed)."
    )  # type: ignore[valid-type]
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="Up to 500 executions to record in one request.")
class RecordExecutionBatchInput:
    items: list[RecordExecutionInput] = strawberry.field(description="At most 500.")


@strawberry.type(description="What recordExecutionBatch did, per item in input order.")
class RecordExecutionBatchPayload:
    executions: list[Execution | None] = strawberry.field(
        description="Per item, in input order; null where the item was refused (see userErrors)."
    )
    outcomes: list[RecordExecutionOutcome | None] = strawberry.field(  # type: ignore[valid-type]
        description="Per item, in input order: CREATED, FILLED_STUB or EXISTING (a repeat, "
        "also within the batch); null where refused."
    )
    recorded_count: int = strawberry.field(description="Items not refused.")
    user_errors: list[UserError] = strawberry.field(
        description='Field paths start with ["input", "items", "<index>", ...].'
    )
