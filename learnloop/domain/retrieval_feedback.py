"""Retrieval feedback: which chunks an agent retrieved for a query, and which of them helped.

One record per (agent, execution): the first report of an execution is kept and a repeat is
acknowledged as a duplicate, so clients can retry freely (idempotent per execution).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from learnloop.domain.errors import ErrorCode, Problem, UserInputError
from learnloop.domain.input_limits import check_key, check_text
from learnloop.domain.principal import Principal
from learnloop.domain.roles import Role

MAX_CHUNKS = 100
MAX_QUERY_LENGTH = 10_000
MAX_CHUNK_ID_LENGTH = 500
MAX_RANK = 1000
MAX_TOKENS = 1_000_000
MAX_BATCH_SIZE = 500


@dataclass(frozen=True)
class RetrievedChunk:
    chunk_id: str
    rank: int  # 1 = shown first
    score: float | None  # the retriever's own score, kept for reference
    helpful: bool
    token_count: int | None


@dataclass(frozen=True)
class RetrievalFeedback:
    agent_key: str
    execution_key: str
    query: str
    chunks: tuple[RetrievedChunk, ...]


@dataclass(frozen=True)
class Recorded:
    """What one report did: how many chunk rows it stored, or that the execution had one already."""

    chunks: int
    duplicate: bool


class RetrievalFeedbackStore(Protocol):
    async def insert(self, org_id: UUID, items: Sequence[RetrievalFeedback]) -> list[int]:
        """Store every item's chunks in one statement; rows stored per item (0: already known)."""
        ...


def _check_chunk(chunk: RetrievedChunk, path: tuple[str, ...], problems: list[Problem]) -> None:
    check_key(chunk.chunk_id, (*path, "chunkId"), problems)
    if len(chunk.chunk_id) > MAX_CHUNK_ID_LENGTH:
        problems.append(
            Problem(
                (*path, "chunkId"), f"at most {MAX_CHUNK_ID_LENGTH} characters", ErrorCode.TOO_LONG
            )
        )
    if not 1 <= chunk.rank <= MAX_RANK:
        problems.append(
            Problem(
                (*path, "rank"),
                f"between 1 and {MAX_RANK} (1 = shown first)",
                ErrorCode.OUT_OF_RANGE,
            )
        )
    if chunk.score is not None and not math.isfinite(chunk.score):
        problems.append(Problem((*path, "score"), "must be a finite number"))
    if chunk.token_count is not None and not 0 <= chunk.token_count <= MAX_TOKENS:
        problems.append(
            Problem((*path, "tokenCount"), f"between 0 and {MAX_TOKENS}", ErrorCode.OUT_OF_RANGE)
        )


def validate(
    item: RetrievalFeedback, prefix: tuple[str, ...] = ()
) -> tuple[RetrievalFeedback, list[Problem]]:
    """The report cleaned (keys stripped), with every problem found."""
    problems: list[Problem] = []
    agent = check_key(item.agent_key, (*prefix, "agentId"), problems)
    execution = check_key(item.execution_key, (*prefix, "executionId"), problems)
    check_text(item.query, (*prefix, "query"), MAX_QUERY_LENGTH, problems)
    if not item.query.strip():
        problems.append(Problem((*prefix, "query"), "must not be empty", ErrorCode.REQUIRED))
    if not item.chunks:
        problems.append(
            Problem((*prefix, "chunks"), "list the chunks that were retrieved", ErrorCode.REQUIRED)
        )
    if len(item.chunks) > MAX_CHUNKS:
        problems.append(
            Problem((*prefix, "chunks"), f"at most {MAX_CHUNKS} chunks", ErrorCode.LIMIT_EXCEEDED)
        )
    seen_ids: set[str] = set()
    seen_ranks: set[int] = set()
    cleaned: list[RetrievedChunk] = []
    for index, chunk in enumerate(item.chunks[:MAX_CHUNKS]):
        path = (*prefix, "chunks", str(index))
        _check_chunk(chunk, path, problems)
        chunk_id = chunk.chunk_id.strip()
        if chunk_id in seen_ids:
            problems.append(Problem((*path, "chunkId"), "listed twice", ErrorCode.DUPLICATE))
        if chunk.rank in seen_ranks:
            problems.append(
                Problem((*path, "rank"), "two chunks share this rank", ErrorCode.DUPLICATE)
            )
        seen_ids.add(chunk_id)
        seen_ranks.add(chunk.rank)
        cleaned.append(
            RetrievedChunk(chunk_id, chunk.rank, chunk.score, chunk.helpful, chunk.token_count)
        )
    return RetrievalFeedback(agent, execution, item.query, tuple(cleaned)), problems


async def record_retrieval_feedback(
    store: RetrievalFeedbackStore, principal: Principal, item: RetrievalFeedback
) -> Recorded:
    principal.require(Role.MEMBER)
    assert principal.org_id is not None
    cleaned, problems = validate(item)
    if problems:
        raise UserInputError(problems)
    (stored,) = await store.insert(principal.org_id, [cleaned])
    return Recorded(stored, stored == 0)


async def record_retrieval_feedback_batch(
    store: RetrievalFeedbackStore, principal: Principal, items: Sequence[RetrievalFeedback]
) -> tuple[list[Recorded | None], list[Problem]]:
    """Valid items are stored (one statement) even when others are refused; paths name the index."""
    principal.require(Role.MEMBER)
    assert principal.org_id is not None
    if len(items) > MAX_BATCH_SIZE:
        raise UserInputError.single(
            ("items",), f"at most {MAX_BATCH_SIZE} items per batch", ErrorCode.LIMIT_EXCEEDED
        )
    valid: list[tuple[int, RetrievalFeedback]] = []
    problems: list[Problem] = []
    for index, item in enumerate(items):
        cleaned, found = validate(item, ("items", str(index)))
        if found:
            problems.extend(found)
        else:
            valid.append((index, cleaned))
    results: list[Recorded | None] = [None] * len(items)
    if valid:
        stored = await store.insert(principal.org_id, [item for _, item in valid])
        for (index, _), count in zip(valid, stored, strict=True):
            results[index] = Recorded(count, count == 0)
    return results, problems
