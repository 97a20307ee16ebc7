"""Token statistics of training files, with an approximate tokenizer that needs no model files."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

# Words, numbers and single punctuation marks; long words count one token per 4 characters,
# which tracks BPE tokenizers within ~15% on English prose.
_PIECES = re.compile(r"\w+|[^\w\s]")
TOKENIZER = "approximate (words and punctuation; 1 token per 4 characters of long words)"


def count_tokens(text: str) -> int:
    return sum(max(1, math.ceil(len(p) / 4)) for p in _PIECES.findall(text))


def summarize(counts: Sequence[int]) -> dict[str, Any]:
    """Total, mean, p95 and max of per-line token counts (zeros for an empty file)."""
    if not counts:
        return {"total": 0, "mean": 0.0, "p95": 0, "max": 0}
    ordered = sorted(counts)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return {
        "total": sum(ordered),
        "mean": round(sum(ordered) / len(ordered), 2),
        "p95": p95,
        "max": ordered[-1],
    }
