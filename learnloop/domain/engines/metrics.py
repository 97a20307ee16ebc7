"""Answer-quality metrics: exact match, token F1 (SQuAD normalisation), ROUGE-L, chrF, embedding cosine.

Each metric scores a prediction against a reference in [0, 1]. `binary` metrics score 0 or 1,
which decides the paired test used on them (McNemar for 0/1, Wilcoxon for graded scores).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence
from enum import StrEnum
from functools import lru_cache

from sacrebleu.metrics.chrf import CHRF

from learnloop.domain.engines.llm import Embedder


class MetricName(StrEnum):
    EXACT_MATCH = "EXACT_MATCH"
    TOKEN_F1 = "TOKEN_F1"
    ROUGE_L = "ROUGE_L"
    CHRF = "CHRF"
    EMBEDDING_COSINE = "EMBEDDING_COSINE"

    @property
    def binary(self) -> bool:
        return self is MetricName.EXACT_MATCH


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD's normalisation: lower case, no punctuation, no articles, single spaces."""
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCTUATION)).split())


def exact_match(prediction: str, reference: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(reference))


def token_f1(prediction: str, reference: str) -> float:
    pred, ref = normalize_answer(prediction).split(), normalize_answer(reference).split()
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def _lcs(a: Sequence[str], b: Sequence[str]) -> int:
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, 1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F1 over lower-cased word tokens (longest common subsequence)."""
    pred, ref = prediction.lower().split(), reference.lower().split()
    if not pred or not ref:
        return float(pred == ref)
    lcs = _lcs(pred, ref)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(pred), lcs / len(ref)
    return 2 * precision * recall / (precision + recall)


@lru_cache(maxsize=1)
def _chrf() -> CHRF:
    return CHRF()


def chrf(prediction: str, reference: str) -> float:
    """sacrebleu's sentence chrF (character n-gram F-score, beta 2), scaled to 0..1."""
    return float(_chrf().sentence_score(prediction, [reference]).score) / 100.0


class Scorer:
    """Scores many (prediction, reference) pairs with one metric; cosine needs an embedder."""

    def __init__(self, metric: MetricName, embedder: Embedder | None = None) -> None:
        if metric is MetricName.EMBEDDING_COSINE and embedder is None:
            raise ValueError("EMBEDDING_COSINE needs an embedder")
        self.metric = metric
        self.embedder = embedder

    @property
    def binary(self) -> bool:
        return self.metric.binary

    def scores(self, predictions: Sequence[str], references: Sequence[str]) -> list[float]:
        if self.metric is MetricName.EMBEDDING_COSINE:
            assert self.embedder is not None
            vectors = self.embedder.embed([*predictions, *references])
            n = len(predictions)
            return [
                max(
                    0.0,
                    min(1.0, sum(a * b for a, b in zip(vectors[i], vectors[n + i], strict=True))),
                )
                for i in range(n)
            ]
        one = {
            MetricName.EXACT_MATCH: exact_match,
            MetricName.TOKEN_F1: token_f1,
            MetricName.ROUGE_L: rouge_l,
            MetricName.CHRF: chrf,
        }[self.metric]
        return [one(p, r) for p, r in zip(predictions, references, strict=True)]
