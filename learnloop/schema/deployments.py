"""Deployment type: which config version an agent uses, and the approved run it came from."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from learnloop.domain.deployments import DeploymentRecord
from learnloop.resolvers.context import Info
from learnloop.resolvers.loaders.identity import UserByIdLoader
from learnloop.resolvers.loaders.training_runs import DeploymentByIdLoader, TrainingRunByIdLoader
from learnloop.schema.identity import User
from learnloop.schema.nodes import LoadableNode, load_one
from learnloop.schema.training_runs.types import TrainingRun


@strawberry.type(
    description="One version of an agent's configuration, made by deploying an approved training run. The agent's newest deployment is active: agentConfig and activeDeployment return it."
)
class Deployment(LoadableNode, relay.Node):
    """Version `version` of an agent's config, produced by an approved training run."""

    loader = DeploymentByIdLoader
    id: relay.NodeID[str]
    agent_key: str = strawberry.field(description="The agent's own id (`agentId`).")
    version: int = strawberry.field(description="1, 2, ... per agent.")
    config: JSON = strawberry.field(description="What the agent should now use.")
    active: bool = strawberry.field(description="Whether this is the agent's current deployment.")
    created_at: datetime = strawberry.field(description="When it was deployed.")
    record: strawberry.Private[DeploymentRecord]

    @strawberry.field(description="The run whose result it deploys.")
    async def training_run(self, info: Info) -> TrainingRun | None:
        loader = info.context.loaders.get(TrainingRunByIdLoader)
        run = await loader.load(self.record.training_run_id)
        return TrainingRun.from_record(run) if run else None

    @strawberry.field(description="The user who deployed it; null for API keys.")
    async def deployed_by(self, info: Info) -> User | None:
        if self.record.deployed_by_user_id is None:
            return None
        return await load_one(
            info, UserByIdLoader, self.record.deployed_by_user_id, User.from_record
        )

    @classmethod
    def from_record(cls, r: DeploymentRecord) -> Self:
        return cls(
            id=str(r.id),
            agent_key=r.agent_key,
            version=r.version,
            config=JSON(r.config),
            active=r.active,
            created_at=r.created_at,
            record=r,
        )
