"""Root fields for agents and executions: agent, agents, execution, recordExecution(+Batch)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import strawberry
from strawberry import relay

from learnloop.domain.executions import AgentDefaults, ExecutionReport
from learnloop.resolvers import executions as resolve
from learnloop.resolvers.context import Info
from learnloop.resolvers.input_limits import UnknownId
from learnloop.schema import fields
from learnloop.schema.agent import Agent, SetAgentDefaultsInput, SetAgentDefaultsPayload
from learnloop.schema.errors import UserError
from learnloop.schema.execution import (
    Execution,
    RecordExecutionBatchInput,
    RecordExecutionBatchPayload,
    RecordExecutionInput,
    RecordExecutionPayload,
)
from learnloop.schema.node import decode_global_id
from learnloop.schema.pagination import After, Connection, First, load_page, page_request

EXPERIMENT_TYPE = "Experiment"


def experiment_uuid(global_id: relay.GlobalID | None) -> UUID | None:
    """The experiment's UUID (its type is defined by the experiments feature)."""
    if global_id is None:
        return None
    return decode_global_id(global_id, EXPERIMENT_TYPE, "experimentId")


def _report(item: RecordExecutionInput) -> ExecutionReport:
    """A batch item; an unreadable experimentId refuses the whole batch (domain rule)."""
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
class AgentsQuery:
    @fields.query(description="An agent by its key (e.g. agent-456).")
    async def agent(
        self,
        info: Info,
        key: Annotated[str, strawberry.argument(description="The agent's key, e.g. agent-456.")],
    ) -> Agent | None:
        record = await resolve.agent(info.context, key)
        return Agent.from_record(record) if record else None

    @fields.query(description="Agents, newest first.")
    async def agents(self, info: Info, first: First = 20, after: After = None) -> Connection[Agent]:
        page = await load_page(resolve.agent_page(info.context, page_request(first, after)))
        return Connection[Agent].from_page(
            page, Agent.from_record, lambda: resolve.count_agents(info.context)
        )

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
class AgentsMutation:
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
        "Valid items are recorded even if others are refused; an experimentId that is not an "
        "Experiment id refuses the whole batch."
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

    @fields.mutation(
        description="Set the domain and task type an agent's executions get when they report "
        "none. Both are replaced; executions already recorded keep theirs."
    )
    async def set_agent_defaults(
        self, info: Info, input: SetAgentDefaultsInput
    ) -> SetAgentDefaultsPayload:
        record, problems = await resolve.set_agent_defaults(
            info.context, AgentDefaults(input.agent_id, input.domain, input.task_type)
        )
        return SetAgentDefaultsPayload(
            agent=Agent.from_record(record) if record else None,
            user_errors=UserError.from_problems(problems),
        )
