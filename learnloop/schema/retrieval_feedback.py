"""Retrieval feedback types and their mutations: recordRetrievalFeedback(+Batch)."""

from __future__ import annotations

import strawberry

from learnloop.domain.retrieval_feedback import Recorded, RetrievalFeedback, RetrievedChunk
from learnloop.resolvers import retrieval_feedback as resolve
from learnloop.resolvers.context import Info
from learnloop.schema import fields
from learnloop.schema.errors import UserError


@strawberry.input(description="One chunk the agent retrieved for the query, as it was shown.")
class RetrievedChunkInput:
    chunk_id: str = strawberry.field(description="Your id of the chunk (stable across queries).")
    rank: int = strawberry.field(description="Where it was shown: 1 = first. Unique per report.")
    score: float | None = strawberry.field(
        default=None, description="The retriever's own score, kept for reference."
    )
    helpful: bool = strawberry.field(description="Whether the chunk helped (cited, clicked, kept).")
    token_count: int | None = strawberry.field(
        default=None,
        description="The chunk's length in tokens (for the chunk-size recommendation).",
    )

    def to_domain(self) -> RetrievedChunk:
        return RetrievedChunk(self.chunk_id, self.rank, self.score, self.helpful, self.token_count)


@strawberry.input(description="What one execution retrieved and which chunks helped.")
class RecordRetrievalFeedbackInput:
    agent_id: str = strawberry.field(description="The agent's key, e.g. agent-456.")
    execution_id: str = strawberry.field(
        description="The execution's key; a second report for it is acknowledged, not stored."
    )
    query: str = strawberry.field(description="The retrieval query (at most 10,000 characters).")
    chunks: list[RetrievedChunkInput] = strawberry.field(
        description="The retrieved chunks (1 to 100), each with its rank and whether it helped."
    )

    def to_domain(self) -> RetrievalFeedback:
        return RetrievalFeedback(
            self.agent_id, self.execution_id, self.query, tuple(c.to_domain() for c in self.chunks)
        )


@strawberry.type(description="The outcome of recordRetrievalFeedback.")
class RecordRetrievalFeedbackPayload:
    stored_chunks: int = strawberry.field(description="Chunk rows stored by this call.")
    duplicate: bool = strawberry.field(
        description="True when the execution had been reported before (nothing new was stored)."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="Several executions' retrieval feedback, stored in one statement.")
class RecordRetrievalFeedbackBatchInput:
    items: list[RecordRetrievalFeedbackInput] = strawberry.field(description="At most 500.")


@strawberry.type(description="The outcome of recordRetrievalFeedbackBatch.")
class RecordRetrievalFeedbackBatchPayload:
    stored_chunks: int = strawberry.field(description="Chunk rows stored by this call.")
    recorded: int = strawberry.field(description="Items accepted (stored now or before).")
    duplicates: int = strawberry.field(description="Accepted items whose execution was known.")
    user_errors: list[UserError] = strawberry.field(
        description='Field paths start with ["input", "items", "<index>", ...].'
    )


def _payload(done: Recorded | None, problems: list[UserError]) -> RecordRetrievalFeedbackPayload:
    return RecordRetrievalFeedbackPayload(
        stored_chunks=done.chunks if done else 0,
        duplicate=done.duplicate if done else False,
        user_errors=problems,
    )


@strawberry.type
class RetrievalFeedbackMutation:
    @fields.mutation(
        description="Record which retrieved chunks helped one execution (MEMBER); RAG_TUNING "
        "learns from it. Idempotent per (agent, execution)."
    )
    async def record_retrieval_feedback(
        self, info: Info, input: RecordRetrievalFeedbackInput
    ) -> RecordRetrievalFeedbackPayload:
        done, problems = await resolve.record(info.context, input.to_domain())
        return _payload(done, UserError.from_problems(problems))

    @fields.mutation(
        description="Up to 500 recordRetrievalFeedback items in one call (MEMBER); valid items "
        "are stored even if others are refused."
    )
    async def record_retrieval_feedback_batch(
        self, info: Info, input: RecordRetrievalFeedbackBatchInput
    ) -> RecordRetrievalFeedbackBatchPayload:
        results, problems = await resolve.record_batch(
            info.context, [item.to_domain() for item in input.items]
        )
        accepted = [r for r in results if r is not None]
        return RecordRetrievalFeedbackBatchPayload(
            stored_chunks=sum(r.chunks for r in accepted),
            recorded=len(accepted),
            duplicates=sum(r.duplicate for r in accepted),
            user_errors=UserError.from_problems(problems),
        )
