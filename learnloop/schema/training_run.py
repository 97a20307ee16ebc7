"""TrainingRun, its events and artifacts, and the training enums."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self
from urllib.parse import quote
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from learnloop.domain import training_runs as domain
from learnloop.domain.training_runs import ArtifactRecord, RunEventRecord, TrainingRunRecord
from learnloop.resolvers import training_runs as resolve
from learnloop.resolvers.context import Info
from learnloop.resolvers.loaders.datasets import DatasetByIdLoader
from learnloop.resolvers.loaders.executions import AgentByIdLoader
from learnloop.resolvers.loaders.identity import UserByIdLoader
from learnloop.resolvers.loaders.training_runs import ArtifactsByRunIdLoader, TrainingRunByIdLoader
from learnloop.schema.identity import User
from learnloop.schema.node import LoadableNode, load_one
from learnloop.schema.pagination import Connection, page_request

if TYPE_CHECKING:
    from learnloop.schema.agent import Agent
    from learnloop.schema.dataset import TrainingDataset

TrainingType = strawberry.enum(domain.TrainingType, name="TrainingType")
RunStatus = strawberry.enum(domain.RunStatus, name="RunStatus")
RunReviewStatus = strawberry.enum(domain.RunReviewStatus, name="RunReviewStatus")
ReviewDecision = strawberry.enum(domain.ReviewDecision, name="ReviewDecision")

DATASET_TYPE = "TrainingDataset"


@strawberry.type
class TrainingRunEvent(relay.Node):
    """One line of a run's log: a status change, progress with a message, or a note."""

    id: relay.NodeID[str]
    kind: str = strawberry.field(description="status, progress or log")
    message: str | None
    data: JSON
    created_at: datetime

    @classmethod
    def from_record(cls, r: RunEventRecord) -> Self:
        return cls(
            id=str(r.id), kind=r.kind, message=r.message, data=JSON(r.data), created_at=r.created_at
        )

    @classmethod
    def resolve_nodes(cls, *, info, node_ids, required=False):  # type: ignore[no-untyped-def,override]
        # Events are reached through `TrainingRun.events`, not fetched by id.
        return [None for _ in node_ids]


def artifact_url(info: Info, run_global_id: str, name: str) -> str:
    base = info.context.base_url
    if base.startswith("ws"):  # asked over a WebSocket: the download itself is HTTP(S)
        base = "http" + base.removeprefix("ws")
    return f"{base}/artifacts/training-runs/{quote(run_global_id, safe='')}/{quote(name, safe='')}"


@strawberry.type
class TrainingRunArtifact:
    """A file the run produced (e.g. fine-tuning JSONL); download it from `downloadUrl`."""

    name: str
    media_type: str
    size_bytes: int
    line_count: int
    sha256: str
    created_at: datetime
    run_global_id: strawberry.Private[str]

    @strawberry.field(description="GET with the same bearer token to download the file.")
    def download_url(self, info: Info) -> str:
        return artifact_url(info, self.run_global_id, self.name)

    @classmethod
    def from_record(cls, r: ArtifactRecord) -> Self:
        return cls(
            name=r.name,
            media_type=r.media_type,
            size_bytes=r.size_bytes,
            line_count=r.line_count,
            sha256=r.sha256,
            created_at=r.created_at,
            run_global_id=str(relay.GlobalID("TrainingRun", str(r.run_id))),
        )


@strawberry.type
class TrainingRun(LoadableNode, relay.Node):
    """A training job: queued, executed by a worker, reviewed by a person, then deployable."""

    loader = TrainingRunByIdLoader
    id: relay.NodeID[str]
    training_type: TrainingType
    status: RunStatus
    progress: float = strawberry.field(description="0..1")
    metrics: JSON
    error: str | None = strawberry.field(description="Why the run failed, and what to do about it.")
    config: JSON
    attempts: int
    max_attempts: int
    cancel_requested: bool
    review_status: RunReviewStatus
    review_notes: str | None
    reviewed_at: datetime | None
    agent_key: str | None = strawberry.field(description="The agent's own id (`agentId`).")
    provider_job_id: str | None = strawberry.field(
        description="The fine-tuning job a provider runs for this run (retries follow it)."
    )
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    record: strawberry.Private[TrainingRunRecord]

    @strawberry.field(
        description="What the run produced. `kind` says what can be deployed: FILES_ONLY "
        "(training files, no model: not deployable), JOB_SUBMITTED (a provider job was started, "
        "its model not awaited: not deployable) or FINE_TUNED_MODEL. `downloads` links each "
        "file named in `files` (GET with the same bearer token)."
    )
    def result(self, info: Info) -> JSON | None:
        result = self.record.result
        if result is None:
            return None
        files = result.get("files")
        if not isinstance(files, list):
            return JSON(result)
        run_gid = str(relay.GlobalID("TrainingRun", str(self.record.id)))
        downloads = [{"name": f, "url": artifact_url(info, run_gid, str(f))} for f in files]
        return JSON({**result, "downloads": downloads})

    @strawberry.field(
        description="Global id of the TrainingDataset version the run trains on (null for a "
        "RAG_TUNING run started without one)."
    )
    def dataset_id(self) -> relay.GlobalID | None:
        if self.record.dataset_id is None:
            return None
        return relay.GlobalID(DATASET_TYPE, str(self.record.dataset_id))

    @strawberry.field(description="The agent this run trains.")
    async def agent(
        self, info: Info
    ) -> Annotated[Agent, strawberry.lazy("learnloop.schema.agent")] | None:
        from learnloop.schema.agent import Agent

        return await load_one(info, AgentByIdLoader, self.record.agent_id, Agent.from_record)

    @strawberry.field(description="The frozen dataset version the run trains on.")
    async def dataset(
        self, info: Info
    ) -> Annotated[TrainingDataset, strawberry.lazy("learnloop.schema.dataset")] | None:
        from learnloop.schema.dataset import TrainingDataset

        return await load_one(
            info, DatasetByIdLoader, self.record.dataset_id, TrainingDataset.from_record
        )

    @strawberry.field
    async def created_by(self, info: Info) -> User | None:
        return await _user(info, self.record.created_by_user_id)

    @strawberry.field
    async def reviewed_by(self, info: Info) -> User | None:
        return await _user(info, self.record.reviewed_by_user_id)

    @strawberry.field(description="The run's log, oldest first.")
    async def events(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> Connection[TrainingRunEvent]:
        page = await resolve.event_page(info.context, self.record.id, page_request(first, after))
        return Connection[TrainingRunEvent].from_page(page, TrainingRunEvent.from_record)

    @strawberry.field
    async def artifacts(self, info: Info) -> list[TrainingRunArtifact]:
        found = await info.context.loaders.get(ArtifactsByRunIdLoader).load(self.record.id)
        return [TrainingRunArtifact.from_record(a) for a in found]

    @classmethod
    def from_record(cls, r: TrainingRunRecord) -> Self:
        return cls(
            id=str(r.id),
            training_type=r.training_type,
            status=r.status,
            progress=r.progress,
            metrics=JSON(r.metrics),
            error=r.error,
            config=JSON(r.config),
            attempts=r.attempts,
            max_attempts=r.max_attempts,
            cancel_requested=r.cancel_requested,
            review_status=r.review_status,
            review_notes=r.review_notes,
            reviewed_at=r.reviewed_at,
            agent_key=r.agent_key,
            provider_job_id=r.provider_job_id,
            created_at=r.created_at,
            updated_at=r.updated_at,
            started_at=r.started_at,
            finished_at=r.finished_at,
            record=r,
        )


async def _user(info: Info, user_id: UUID | None) -> User | None:
    return await load_one(info, UserByIdLoader, user_id, User.from_record)
