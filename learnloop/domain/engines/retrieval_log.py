"""Retrieval feedback as the RAG trainer sees it: column arrays, one row per chunk shown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from learnloop.domain.engines.click_model import FloatArray, Impressions, IntArray


@dataclass(frozen=True)
class RetrievalLog:
    """`execution` indexes `queries`; `chunk` indexes `chunk_ids`; `rank` is 1-based as logged."""

    queries: tuple[str, ...]
    chunk_ids: tuple[str, ...]
    execution: IntArray
    chunk: IntArray
    rank: IntArray
    helpful: FloatArray
    tokens: IntArray

    @property
    def size(self) -> int:
        return int(self.execution.shape[0])

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[str, str, str, int, bool, int | None]]) -> RetrievalLog:
        """Rows of (execution id, query, chunk id, rank, helpful, token count)."""
        executions: dict[str, int] = {}
        queries: list[str] = []
        chunks: dict[str, int] = {}
        # Python lists first, one array each at the end: a quarter less time than assigning
        # numpy items row by row.
        execution: list[int] = []
        chunk: list[int] = []
        rank: list[int] = []
        helpful: list[bool] = []
        tokens: list[int] = []
        for exec_id, query, chunk_id, r, h, t in rows:
            e = executions.get(exec_id)
            if e is None:
                e = executions[exec_id] = len(queries)
                queries.append(query)
            execution.append(e)
            chunk.append(chunks.setdefault(chunk_id, len(chunks)))
            rank.append(r)
            helpful.append(h)
            tokens.append(-1 if t is None else t)
        return cls(
            tuple(queries),
            tuple(chunks),
            np.array(execution, dtype=np.int64),
            np.array(chunk, dtype=np.int64),
            np.array(rank, dtype=np.int64),
            np.array(helpful, dtype=np.float64),
            np.array(tokens, dtype=np.int64),
        )

    def take(self, mask: np.ndarray) -> RetrievalLog:
        """The rows where `mask` holds (indexes into queries and chunk ids stay valid)."""
        return RetrievalLog(
            self.queries,
            self.chunk_ids,
            self.execution[mask],
            self.chunk[mask],
            self.rank[mask],
            self.helpful[mask],
            self.tokens[mask],
        )

    def impressions(self, n_ranks: int) -> Impressions:
        """Ranks past `n_ranks` share the last rank's propensity (few impressions live there)."""
        rank = np.minimum(self.rank, n_ranks) - 1
        return Impressions(self.chunk, rank, self.helpful, len(self.chunk_ids), n_ranks)


def split_by_execution(log: RetrievalLog, holdout: float, seed: int) -> tuple[np.ndarray, ...]:
    """Row masks (train, held out): whole executions go to one side, chosen by a seeded draw."""
    rng = np.random.default_rng(seed)
    held_execution = rng.random(len(log.queries)) < holdout
    held = held_execution[log.execution]
    return ~held, held
