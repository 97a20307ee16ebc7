"""Agent type: an LLM agent known by the caller's key, with its executions, feedback and examples."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from strawberry import relay

from learnloop.domain.executions import AgentRecord
from learnloop.resolvers.context import Info
from learnloop.resolvers.loaders.executions import (
    AgentByIdLoader,
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
from learnloop.schema.errors import UserError, user_errors_field
from learnloop.schema.execution import Execution
from learnloop.schema.feedback import Feedback
from learnloop.schema.learning_example import LearningExample
from learnloop.schema.node import LoadableNode
from learnloop.schema.pagination import After, Connection, First, child_connection

if TYPE_CHECKING:
    from learnloop.schema.deployment import Deployment


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
    ) -> Annotated[Deployment, strawberry.lazy("learnloop.schema.deployment")] | None:
        from learnloop.schema.deployment import Deployment

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
