"""Agent type (known by the caller's key, with its executions, feedback and examples); agent roots."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from strawberry import relay

from learnloop.domain.agents import AgentDefaults, AgentRecord
from learnloop.resolvers import agents as resolve
from learnloop.resolvers.context import Info
from learnloop.resolvers.loaders.agents import AgentByIdLoader
from learnloop.resolvers.loaders.executions import (
    ExecutionCountByAgentLoader,
    ExecutionPageByAgentLoader,
)
from learnloop.resolvers.loaders.feedback import (
    FeedbackCountByAgentLoader,
    FeedbackPageByAgentLoader,
)
from learnloop.resolvers.loaders.learning_examples import (
    LearningExampleCountByAgentLoader,
    LearningExamplePageByAgentLoader,
)
from learnloop.resolvers.loaders.training_runs import ActiveDeploymentByAgentIdLoader
from learnloop.schema import fields
from learnloop.schema.errors import UserError, user_errors_field
from learnloop.schema.executions import Execution
from learnloop.schema.feedback.types import Feedback
from learnloop.schema.learning_examples.types import LearningExample
from learnloop.schema.nodes import LoadableNode
from learnloop.schema.pagination import (
    After,
    Connection,
    First,
    child_connection,
    load_page,
    page_request,
)

if TYPE_CHECKING:
    from learnloop.schema.deployments import Deployment


@strawberry.type(
    description="An LLM agent, known by the key the caller gives it (e.g. agent-456). Created the first time an execution, feedback or example names that key."
)
class Agent(LoadableNode, relay.Node):
    """Created the first time an execution, feedback or example names its key."""

    loader = AgentByIdLoader
    id: relay.NodeID[str]
    key: str = strawberry.field(
        description="The caller's own key for the agent; what every agentId argument takes."
    )
    name: str | None = strawberry.field(description="Display name; null until set.")
    description: str | None = strawberry.field(
        description="Free text about the agent; null until set."
    )
    default_domain: str | None = strawberry.field(
        description="The domain of its executions that report none (setAgentDefaults)."
    )
    default_task_type: str | None = strawberry.field(
        description="The task type of its executions that report none (setAgentDefaults)."
    )
    created_at: datetime = strawberry.field(description="When the agent was first named.")
    record: strawberry.Private[AgentRecord]

    @classmethod
    def from_record(cls, r: AgentRecord) -> Self:
        return cls(
            id=str(r.id),
            key=r.key,
            name=r.name,
            description=r.description,
            default_domain=r.default_domain,
            default_task_type=r.default_task_type,
            created_at=r.created_at,
            record=r,
        )

    @strawberry.field(description="The config version this agent uses now (deployTrainingRun).")
    async def active_deployment(
        self, info: Info
    ) -> Annotated[Deployment, strawberry.lazy("learnloop.schema.deployments")] | None:
        from learnloop.schema.deployments import Deployment

        loader = info.context.loaders.get(ActiveDeploymentByAgentIdLoader)
        found = await loader.load(self.record.id)
        return Deployment.from_record(found) if found else None

    @strawberry.field(description="Newest first.")
    async def executions(
        self, info: Info, first: First = 20, after: After = None
    ) -> Connection[Execution]:
        return await child_connection(
            info,
            ExecutionPageByAgentLoader,
            ExecutionCountByAgentLoader,
            self.record.id,
            first,
            after,
            Execution.from_record,
        )

    @strawberry.field(description="Feedback on any of its executions, newest first.")
    async def feedback(
        self, info: Info, first: First = 20, after: After = None
    ) -> Connection[Feedback]:
        return await child_connection(
            info,
            FeedbackPageByAgentLoader,
            FeedbackCountByAgentLoader,
            self.record.id,
            first,
            after,
            Feedback.from_record,
        )

    @strawberry.field(description="Newest first.")
    async def learning_examples(
        self, info: Info, first: First = 20, after: After = None
    ) -> Connection[LearningExample]:
        return await child_connection(
            info,
            LearningExamplePageByAgentLoader,
            LearningExampleCountByAgentLoader,
            self.record.id,
            first,
            after,
            LearningExample.from_record,
        )


@strawberry.input(description="Default labels for an agent's executions that report none.")
class SetAgentDefaultsInput:
    agent_id: str = strawberry.field(description="The agent's key; created on first use.")
    domain: str | None = strawberry.field(
        default=None, description="e.g. billing; null (or omitted) clears it."
    )
    task_type: str | None = strawberry.field(
        default=None, description="e.g. qa; null (or omitted) clears it."
    )


@strawberry.type(description="The agent with its new defaults.")
class SetAgentDefaultsPayload:
    agent: Agent | None = strawberry.field(
        description="The agent with its new defaults; null when refused."
    )
    user_errors: list[UserError] = user_errors_field()


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


@strawberry.type
class AgentsMutation:
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
