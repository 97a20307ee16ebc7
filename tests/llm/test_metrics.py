"""Metrics, paired statistics and the offline embeddings."""

from __future__ import annotations

import pytest

from learnloop.domain.engines.metrics import (
    MetricName,
    Scorer,
    chrf,
    exact_match,
    rouge_l,
    token_f1,
)
from learnloop.domain.engines.paired_stats import compare
from learnloop.llm.embeddings import MiniLmEmbedder


def test_squad_normalisation_exact_match_and_f1() -> None:
    assert exact_match("The Eiffel Tower!", "eiffel tower") == 1.0
    assert exact_match("Paris", "London") == 0.0
    assert token_f1("the cat sat on the mat", "a cat sat") == pytest.approx(
        2 * (2 / 4) * (2 / 2) / (2 / 4 + 1)
    )
    assert token_f1("", "") == 1.0 and token_f1("x", "") == 0.0


def test_rouge_l_and_chrf() -> None:
    assert rouge_l("police killed the gunman", "police kill the gunman") == pytest.approx(0.75)
    assert rouge_l("a b c", "c b a") == pytest.approx(1 / 3)
    assert chrf("the same words", "the same words") == pytest.approx(1.0)
    assert 0 < chrf("the same word", "the same words") < 1
    assert chrf("zzz", "the same words") < 0.1


def test_paired_tests_choose_mcnemar_for_binary_and_wilcoxon_for_graded() -> None:
    binary = compare([0] * 12, [1] * 12, binary=True, seed=1)
    assert binary.test == "mcnemar_exact" and binary.p_value == pytest.approx(2 * 0.5**12)
    assert binary.mean == binary.ci_low == binary.ci_high == 1.0
    graded = compare([0.2, 0.4, 0.1, 0.3] * 5, [0.5, 0.6, 0.2, 0.4] * 5, binary=False, seed=1)
    assert graded.test == "wilcoxon" and graded.p_value < 0.01
    assert graded.ci_low <= graded.mean <= graded.ci_high
    assert compare([1, 0], [1, 0], binary=True, seed=1).p_value == 1.0


def test_embedding_cosine_ranks_paraphrases_above_unrelated_sentences() -> None:
    embedder = MiniLmEmbedder()
    scorer = Scorer(MetricName.EMBEDDING_COSINE, embedder)
    paraphrases = scorer.scores(
        ["How do I reset my password?", "The invoice total is 1500 dollars."],
        ["What are the steps to change my password?", "The bill comes to $1,500."],
    )
    unrelated = scorer.scores(
        ["How do I reset my password?", "The invoice total is 1500 dollars."],
        ["The weather in Lisbon is sunny today.", "My cat sleeps on the sofa."],
    )
    assert min(paraphrases) > 0.5
    assert max(unrelated) < 0.2
    assert min(paraphrases) - max(unrelated) > 0.3
    (vector,) = embedder.embed(["anything"])
    assert len(vector) == 384 and sum(x * x for x in vector) == pytest.approx(1.0, abs=1e-4)
