"""A synthetic retrieval log with known relevance and strong position bias (tests and bench)."""

from __future__ import annotations

import random
from dataclasses import dataclass

# Users look at rank 1 always, rank 5 one time in ten.
EXAMINATION = (1.0, 0.6, 0.35, 0.2, 0.1, 0.07, 0.05, 0.04)
RELEVANT = ("rel-1", "rel-2", "rel-3")
DECOYS = ("decoy-1", "decoy-2", "decoy-3")
FILLER = tuple(f"filler-{i}" for i in range(30))

Row = tuple[str, str, str, int, bool, int | None]


@dataclass(frozen=True)
class Synthetic:
    rows: list[Row]
    executions: int


def generate(
    executions: int, seed: int = 7, token_rates: dict[int, float] | None = None
) -> Synthetic:
    """Decoys (relevance 0.3) usually sit at ranks 1-2; relevant chunks (0.9) usually far down.

    `token_rates` maps a chunk length in tokens to a relevance multiplier, for chunk-size tests;
    without it every chunk has 200 tokens.
    """
    rng = random.Random(seed)
    relevance = {c: 0.9 for c in RELEVANT} | {c: 0.3 for c in DECOYS}
    relevance |= {c: 0.05 for c in FILLER}
    lengths = list(token_rates) if token_rates else [200]
    rows: list[Row] = []
    for e in range(executions):
        shown: list[str] = []
        if rng.random() < 0.9:  # the usual retriever: decoys first, relevant ones deep
            shown += rng.sample(DECOYS, 2) + rng.sample(FILLER, 2) + rng.sample(RELEVANT, 2)
        else:  # sometimes the order is shuffled, which is what makes the bias identifiable
            shown += rng.sample(DECOYS, 2) + rng.sample(FILLER, 2) + rng.sample(RELEVANT, 2)
            rng.shuffle(shown)
        query = f"how do I reset my password {rng.choice(['account', 'login', 'portal'])}"
        for rank, chunk in enumerate(shown, start=1):
            tokens = rng.choice(lengths)
            rate = relevance[chunk] * (token_rates[tokens] if token_rates else 1.0)
            helpful = rng.random() < EXAMINATION[rank - 1] * min(rate, 1.0)
            rows.append((f"exec-{e}", query, chunk, rank, helpful, tokens))
    return Synthetic(rows, executions)
