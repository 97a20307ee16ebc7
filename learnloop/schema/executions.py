"""Execution type (one reported run of an agent); the execution and recordExecution(+Batch) roots."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from learnloop.domain.executions import ExecutionRecord, ExecutionReport
from learnloop.domain.executions import Recorded as DomainRecorded
from learnloop.resolvers import executions as resolve
from learnloop.resolvers.context import Info
from learnloop.resolvers.input_limits import UnknownId
from learnloop.resolvers.loaders.agents import AgentByIdLoader
from learnloop.resolvers.loaders.executions import ExecutionByIdLoader
from learnloop.resolvers.loaders.feedback import (
    FeedbackCountByExecutionLoader,
    FeedbackPageByExecutionLoader,
)
from learnloop.schema import fields
from learnloop.schema.errors import UserError, user_errors_field
from learnloop.schema.feedback.types import Feedback
from learnloop.schema.nodes import LoadableNode, decode_global_id, load_one
from learnloop.schema.pagination import After, Connection, First, child_connection

if TYPE_CHECKING:
    from learnloop.schema.agents import Agent

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
    ) -> Annotated[Agent, strawberry.lazy("learnloop.schema.agents")] | None:
        from learnloop.schema.agents import Agent

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


EXPERIMENT_TYPE = "Experiment"


def experiment_uuid(global_id: relay.GlobalID | None) -> UUID | None:
    """The experiment's UUID (its type is defined by the experiments feature)."""
    if global_id is None:
        return None
    return decode_global_id(global_id, EXPERIMENT_TYPE, "experimentId")


def _report(item: RecordExecutionInput) -> ExecutionReport:
    """A batch item; an unreadable experimentId refuses that item only."""
    try:
        experiment_id, unknown = experiment_uuid(item.experiment_id), False
    except UnknownId:
        experiment_id, unknown = None, True
    return ExecutionReport(
        agent_key=item.agent_id,
        execution_key=item.execution_id,
        input=item.input,
        output=item.output,
        metadata=item.metadata,
        experiment_id=experiment_id,
        domain=item.domain,
        task_type=item.task_type,
        unknown_experiment=unknown,
    )


@strawberry.type
class ExecutionsQuery:
    @fields.query(description="An execution by the caller's keys.")
    async def execution(
        self,
        info: Info,
        agent_id: Annotated[
            str, strawberry.argument(description="The agent's key, e.g. agent-456.")
        ],
        execution_id: Annotated[
            str,
            strawberry.argument(
                description="The execution's key as the agent reported it, e.g. exec-123."
            ),
        ],
    ) -> Execution | None:
        record = await resolve.execution(info.context, agent_id, execution_id)
        return Execution.from_record(record) if record else None


@strawberry.type
class ExecutionsMutation:
    @fields.mutation(
        description="Report a run; idempotent on (agentId, executionId). Fills a stub in place."
    )
    async def record_execution(
        self, info: Info, input: RecordExecutionInput
    ) -> RecordExecutionPayload:
        result, problems = await resolve.record_execution(
            info.context,
            agent_key=input.agent_id,
            execution_key=input.execution_id,
            input=input.input,
            output=input.output,
            metadata=input.metadata,
            experiment_id=experiment_uuid(input.experiment_id),
            unit_id=input.unit_id,
            domain=input.domain,
            task_type=input.task_type,
        )
        record, outcome = result if result else (None, None)
        return RecordExecutionPayload(
            execution=Execution.from_record(record) if record else None,
            outcome=outcome,
            user_errors=UserError.from_problems(problems),
        )

    @fields.mutation(
        description="Report up to 500 runs in one request (MEMBER); each item as recordExecution. "
        "Valid items are recorded even if others are refused."
    )
    async def record_execution_batch(
        self, info: Info, input: RecordExecutionBatchInput
    ) -> RecordExecutionBatchPayload:
        result, problems = await resolve.record_execution_batch(
            info.context, [_report(item) for item in input.items]
        )
        recorded = result.recorded if result else []
        return RecordExecutionBatchPayload(
            executions=[Execution.from_record(r[0]) if r else None for r in recorded],
            outcomes=[r[1] if r else None for r in recorded],
            recorded_count=sum(1 for r in recorded if r is not None),
            user_errors=UserError.from_problems([*problems, *(result.problems if result else [])]),
        )
