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
from learnloop.resolvers.loaders.agents import AgentByIdLoader
from learnloop.resolvers.loaders.datasets import DatasetByIdLoader
from learnloop.resolvers.loaders.identity import UserByIdLoader
from learnloop.resolvers.loaders.training_runs import ArtifactsByRunIdLoader, TrainingRunByIdLoader
from learnloop.schema.enums import describe_values
from learnloop.schema.identity import User
from learnloop.schema.nodes import LoadableNode, load_one
from learnloop.schema.pagination import After, Connection, First, page_request

if TYPE_CHECKING:
    from learnloop.schema.agents import Agent
    from learnloop.schema.datasets.types import TrainingDataset

TrainingType = describe_values(
    strawberry.enum(
        domain.TrainingType,
        name="TrainingType",
        description="What a training run optimises. Each needs an engine; a type without one is "
        "refused at createTrainingRun.",
    ),
    {
        "PROMPT_OPTIMIZATION": "Finds a better system prompt and demonstrations (needs an LLM).",
        "RAG_TUNING": "Learns chunk relevance and retrieval settings from retrieval feedback.",
        "BEHAVIOR_CLONING": "Turns demonstrations and corrections into rules and exemplars.",
        "FINE_TUNING": "Chat fine-tuning files (and a provider job when LEARNLOOP_LLM_* is set).",
        "DPO": "Preference pairs (chosen = expected, rejected = original) for DPO training.",
        "RLHF": "Reserved for reinforcement learning from human feedback.",
    },
)
RunStatus = strawberry.enum(
    domain.RunStatus,
    name="RunStatus",
    description="Lifecycle of a run: PENDING (queued) -> RUNNING -> COMPLETED, FAILED or CANCELLED.",
)
RunReviewStatus = strawberry.enum(
    domain.RunReviewStatus,
    name="RunReviewStatus",
    description="A person's verdict on a completed run; only APPROVED runs can be deployed.",
)
ReviewDecision = strawberry.enum(
    domain.ReviewDecision,
    name="ReviewDecision",
    description="The verdict reviewTrainingRun records.",
)

DATASET_TYPE = "TrainingDataset"


@strawberry.type(
    description="One line of a run's log: a status change, progress with a message, or a note."
)
class TrainingRunEvent(relay.Node):
    """One line of a run's log: a status change, progress with a message, or a note."""

    id: relay.NodeID[str]
    kind: str = strawberry.field(description="status, progress or log")
    message: str | None = strawberry.field(
        description="Human-readable text; null when the event carries only data."
    )
    data: JSON = strawberry.field(description="Details as JSON ({} when none).")
    created_at: datetime = strawberry.field(description="When it happened.")

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


@strawberry.type(description="A file a run produced, stored with the run.")
class TrainingRunArtifact:
    """A file the run produced (e.g. fine-tuning JSONL); download it from `downloadUrl`."""

    name: str = strawberry.field(description="File name, e.g. train.jsonl.")
    media_type: str = strawberry.field(description="Content type, e.g. application/jsonl.")
    size_bytes: int = strawberry.field(description="Size in bytes.")
    line_count: int = strawberry.field(description="Lines (records) in the file.")
    sha256: str = strawberry.field(description="Hex SHA-256 of the content, to check a download.")
    created_at: datetime = strawberry.field(description="When it was written.")
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


@strawberry.type(
    description="Queued training work on one frozen dataset version for one agent: a worker runs it, a person reviews it, then it can be deployed."
)
class TrainingRun(LoadableNode, relay.Node):
    """A training job: queued, executed by a worker, reviewed by a person, then deployable."""

    loader = TrainingRunByIdLoader
    id: relay.NodeID[str]
    training_type: TrainingType = strawberry.field(
        description="What kind of training (FINE_TUNING, DPO, PROMPT_OPTIMIZATION, ...)."
    )
    status: RunStatus = strawberry.field(
        description="PENDING (queued), RUNNING, COMPLETED, FAILED or CANCELLED."
    )
    progress: float = strawberry.field(description="0..1")
    metrics: JSON = strawberry.field(
        description="Numbers the engine reports while it runs (counts, scores, token statistics) as JSON; {} until it reports."
    )
    error: str | None = strawberry.field(description="Why the run failed, and what to do about it.")
    config: JSON = strawberry.field(
        description="The options it was created with (validated for its training type)."
    )
    attempts: int = strawberry.field(
        description="Times a worker has started it (a run whose worker died is retried)."
    )
    max_attempts: int = strawberry.field(description="Starts allowed before it is FAILED.")
    cancel_requested: bool = strawberry.field(
        description="True once cancelTrainingRun was asked; a running engine stops at its next check."
    )
    review_status: RunReviewStatus = strawberry.field(
        description="UNREVIEWED, APPROVED or REJECTED (reviewTrainingRun)."
    )
    review_notes: str | None = strawberry.field(description="The reviewer's notes; null when none.")
    reviewed_at: datetime | None = strawberry.field(
        description="When it was reviewed; null until then."
    )
    agent_key: str | None = strawberry.field(description="The agent's own id (`agentId`).")
    provider_job_id: str | None = strawberry.field(
        description="The fine-tuning job a provider runs for this run (retries follow it)."
    )
    created_at: datetime = strawberry.field(description="When it was queued.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    started_at: datetime | None = strawberry.field(
        description="When a worker first started it; null while queued."
    )
    finished_at: datetime | None = strawberry.field(
        description="When it reached a terminal status; null until then."
    )
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
    ) -> Annotated[Agent, strawberry.lazy("learnloop.schema.agents")] | None:
        from learnloop.schema.agents import Agent

        return await load_one(info, AgentByIdLoader, self.record.agent_id, Agent.from_record)

    @strawberry.field(description="The frozen dataset version the run trains on.")
    async def dataset(
        self, info: Info
    ) -> Annotated[TrainingDataset, strawberry.lazy("learnloop.schema.datasets.types")] | None:
        from learnloop.schema.datasets.types import TrainingDataset

        return await load_one(
            info, DatasetByIdLoader, self.record.dataset_id, TrainingDataset.from_record
        )

    @strawberry.field(description="The user who created it; null for API keys.")
    async def created_by(self, info: Info) -> User | None:
        return await _user(info, self.record.created_by_user_id)

    @strawberry.field(description="The user who reviewed it; null until reviewed.")
    async def reviewed_by(self, info: Info) -> User | None:
        return await _user(info, self.record.reviewed_by_user_id)

    @strawberry.field(description="The run's log, oldest first.")
    async def events(
        self, info: Info, first: First = 50, after: After = None
    ) -> Connection[TrainingRunEvent]:
        page = await resolve.event_page(info.context, self.record.id, page_request(first, after))
        return Connection[TrainingRunEvent].from_page(page, TrainingRunEvent.from_record)

    @strawberry.field(
        description="Files the run produced (training files, predictions), each downloadable."
    )
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
