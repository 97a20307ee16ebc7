"""Query-expansion terms learnt from (query, helpful chunk) pairs, kept only if held-out recall rises.

Two terms that lead to the same helpful chunks but never share a query are candidate synonyms
("refund" -> "reimbursement"). A term-to-chunk index built from training feedback stands in for
the retriever; a candidate is kept only when adding it to held-out queries that contain its source
term raises their recall@k of the chunks users found helpful.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

import numpy as np

from learnloop.domain.engines.retrieval_log import RetrievalLog

WORD = re.compile(r"[a-z0-9][a-z0-9'-]{2,}")
STOPWORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "that",
        "this",
        "from",
        "what",
        "how",
        "why",
        "are",
        "you",
        "your",
        "can",
        "does",
    ]
)
VOCABULARY = 200  # most helpful-associated terms considered
CANDIDATES = 20  # term pairs evaluated on held-out feedback
MIN_SIMILARITY = 0.3
MAX_EVALUATED = 2000  # held-out executions per candidate


def terms(query: str) -> frozenset[str]:
    return frozenset(w for w in WORD.findall(query.lower()) if w not in STOPWORDS)


class TermIndex:
    """term -> helpful-chunk counts from training rows; scores chunks for a set of terms.

    Queries repeat (the same words from many users), so terms are parsed once per query text and
    each distinct term set is ranked once: on 100,000 executions this was the analysis's hotspot.
    """

    def __init__(self, log: RetrievalLog) -> None:
        self._parsed: dict[str, frozenset[str]] = {}
        counts: dict[str, Counter[int]] = defaultdict(Counter)
        helpful = np.flatnonzero(log.helpful > 0)
        for e, c in zip(log.execution[helpful].tolist(), log.chunk[helpful].tolist(), strict=True):
            for term in self.terms(log.queries[e]):
                counts[term][c] += 1
        self.counts = counts
        # Each term's share of its helpful chunks, summed over a query's terms when ranking.
        self.share = {
            term: {chunk: n / sum(found.values()) for chunk, n in found.items()}
            for term, found in counts.items()
        }
        self.cooccur: set[tuple[str, str]] = set()
        for query in {log.queries[e] for e in np.unique(log.execution[helpful]).tolist()}:
            words = sorted(self.terms(query))
            self.cooccur.update((a, b) for a in words for b in words if a != b)
        self._top: dict[tuple[frozenset[str], int], frozenset[int]] = {}

    def terms(self, query: str) -> frozenset[str]:
        found = self._parsed.get(query)
        if found is None:
            found = self._parsed[query] = terms(query)
        return found

    def top(self, query_terms: frozenset[str], k: int) -> frozenset[int]:
        key = (query_terms, k)
        found = self._top.get(key)
        if found is None:
            score: dict[int, float] = defaultdict(float)
            for term in sorted(query_terms):  # a fixed order: float sums equal in every process
                for chunk, share in self.share.get(term, {}).items():
                    score[chunk] += share
            ranked = sorted(score.items(), key=lambda x: (-x[1], x[0]))[:k]
            found = self._top[key] = frozenset(c for c, _ in ranked)
        return found


def _candidates(index: TermIndex, n_chunks: int) -> list[tuple[str, str, float]]:
    vocab = sorted(index.counts, key=lambda t: (-sum(index.counts[t].values()), t))[:VOCABULARY]
    matrix = np.zeros((len(vocab), n_chunks))
    for i, term in enumerate(vocab):
        for chunk, n in index.counts[term].items():
            matrix[i, chunk] = n
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit = matrix / np.maximum(norms, 1e-12)
    similarity = unit @ unit.T
    pairs = [
        (vocab[i], vocab[j], float(similarity[i, j]))
        for i, j in zip(*np.nonzero(similarity >= MIN_SIMILARITY), strict=True)
        if i != j and (vocab[i], vocab[j]) not in index.cooccur
    ]
    pairs.sort(key=lambda p: (-p[2], p[0], p[1]))
    return pairs[:CANDIDATES]


def learn_expansions(train: RetrievalLog, held: RetrievalLog, k: int = 5) -> list[dict[str, Any]]:
    """Each kept expansion with its held-out recall@k before and after."""
    index = TermIndex(train)
    relevant: dict[int, set[int]] = defaultdict(set)
    helpful = np.flatnonzero(held.helpful > 0)
    for e, c in zip(held.execution[helpful].tolist(), held.chunk[helpful].tolist(), strict=True):
        relevant[e].add(c)
    held_terms = {e: index.terms(held.queries[e]) for e in sorted(relevant)}
    kept: list[dict[str, Any]] = []
    for source, target, similarity in _candidates(index, len(train.chunk_ids)):
        affected = [e for e, ts in held_terms.items() if source in ts and target not in ts]
        affected = affected[:MAX_EVALUATED]
        if not affected:
            continue
        before = after = 0.0
        for e in affected:
            want = relevant[e]
            before += len(index.top(held_terms[e], k) & want) / len(want)
            after += len(index.top(held_terms[e] | {target}, k) & want) / len(want)
        if after > before:
            kept.append(
                {
                    "term": source,
                    "expansion": target,
                    "similarity": round(similarity, 4),
                    "recallBefore": before / len(affected),
                    "recallAfter": after / len(affected),
                    "queries": len(affected),
                }
            )
    return kept
