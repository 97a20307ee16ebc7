"""Demo reviews: correction examples, annotations by several experts and gold items for the seeder.

Every outcome comes from the domain's own rules (correction_example, prioritise, decide,
combined_quality), so the demo organisation looks like one the API built: examples carry their
execution's domain and task type, two experts must agree before an example is decided, some
disagree and wait for adjudication, and a few gold items measure the experts.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from learnloop.domain.annotations.rules import Decision, combined_quality, decide
from learnloop.domain.executions import ExecutionRecord
from learnloop.domain.learning_examples import (
    NewLearningExample,
    RoutingFacts,
    correction_example,
    prioritise,
)
from learnloop.storage import learning_examples

# The demo org's policy: two agreeing experts decide an example (so agreement can be measured).
SETTINGS = {"annotationsRequired": 2}
GOLD_ITEMS = 12
SCORE_NOISE = 0.05  # one expert's deviation from the example's true scores
VERDICT_ACCURACY = 0.9  # how often an expert gives the right verdict

# The row an example becomes (storage.learning_examples.columns_of), plus its review state.
EXAMPLE_COLUMNS = [
    "id",
    "org_id",
    "source_feedback_id",
    *learning_examples.EXAMPLE_COLUMNS,
    "quality_score",
    "review_status",
    "annotations_count",
    "decided_at",
    "needs_adjudication",
    "is_gold",
    "gold_verdict",
    "created_at",
    "updated_at",
]
ANNOTATION_COLUMNS = [
    "id",
    "org_id",
    "example_id",
    "annotator_user_id",
    "approved",
    "technical_accuracy",
    "professional_quality",
    "completeness",
    "clarity",
    "notes",
    "created_at",
]


@dataclass(frozen=True)
class Correction:
    """A CORRECTION feedback row the seeder wrote, and the execution it is about."""

    feedback_id: uuid.UUID
    execution: ExecutionRecord
    text: str
    author_key: str
    signals: frozenset[str]
    created_at: dt.datetime


@dataclass(frozen=True)
class Reviews:
    examples: list[tuple[object, ...]]  # rows in EXAMPLE_COLUMNS order
    annotations: list[tuple[object, ...]]  # rows in ANNOTATION_COLUMNS order
    approved_ids: list[uuid.UUID]
    gold: int


class _KnownSignals:
    """The routing facts prioritise() asks for, from the feedback the seeder generated."""

    def __init__(self, signals: Mapping[uuid.UUID, frozenset[str]]) -> None:
        self.signals = signals

    async def routing_facts(self, execution_ids: Sequence[uuid.UUID]) -> RoutingFacts:
        found = {e: self.signals[e] for e in execution_ids if e in self.signals}
        return RoutingFacts(settings=SETTINGS, execution_signals=found)


def _scores(rng: random.Random, truth: Sequence[float]) -> tuple[float, ...]:
    return tuple(round(min(1.0, max(0.0, t + rng.gauss(0, SCORE_NOISE))), 2) for t in truth)


@dataclass(frozen=True)
class _Annotation:
    expert: uuid.UUID
    approved: bool
    scores: tuple[float, ...]

    def row(self, org_id: uuid.UUID, example_id: uuid.UUID, at: dt.datetime) -> tuple[object, ...]:
        return (uuid.uuid4(), org_id, example_id, self.expert, self.approved, *self.scores,
                "Reviewed in the demo seed", at)  # fmt: skip


def _annotate(
    rng: random.Random, expert: uuid.UUID, verdict: bool, truth: Sequence[float]
) -> _Annotation:
    approved = verdict if rng.random() < VERDICT_ACCURACY else not verdict
    return _Annotation(expert, approved, _scores(rng, truth))


async def reviews(
    rng: random.Random,
    org_id: uuid.UUID,
    corrections: Sequence[Correction],
    experts: Sequence[uuid.UUID],
    execution_signals: Mapping[uuid.UUID, frozenset[str]],
) -> Reviews:
    """Examples made from the corrections, annotated the way the annotation workflow would."""
    made = [
        correction_example(c.text, c.execution, c.author_key, None, c.signals) for c in corrections
    ]
    routed: list[NewLearningExample] = await prioritise(_KnownSignals(execution_signals), made)
    required = int(SETTINGS["annotationsRequired"])
    gold_left = GOLD_ITEMS
    examples: list[tuple[object, ...]] = []
    annotations: list[tuple[object, ...]] = []
    approved_ids: list[uuid.UUID] = []
    for index, (c, ex) in enumerate(zip(corrections, routed, strict=True)):
        eid = uuid.uuid4()
        verdict = rng.random() < 0.8  # is the correction right? what a careful expert says
        quality = rng.uniform(0.5, 1.0)
        truth = [min(1.0, max(0.0, quality + rng.gauss(0, 0.08))) for _ in range(4)]
        reviewed_at = c.created_at + dt.timedelta(hours=rng.randint(1, 72))
        gold = gold_left > 0 and index % 7 == 3
        # Gold items: every expert sees each once; their status stays the manager's (PENDING).
        count = len(experts) if gold else rng.choices([0, 1, required], [30, 10, 60])[0]
        given = [
            _annotate(rng, expert, verdict, truth)
            for expert in rng.sample(list(experts), min(count, len(experts)))
        ]
        status, decided_at, adjudicate = "PENDING", None, False
        if not gold and given:
            decision = decide([a.approved for a in given], required)
            if decision in (Decision.APPROVED, Decision.REJECTED):
                status, decided_at = decision.value, reviewed_at
            elif decision is Decision.DISAGREEMENT:
                status, adjudicate = "IN_REVIEW", True
        quality_score = None if gold else combined_quality([a.scores for a in given])
        gold_left -= int(gold)
        if status == "APPROVED":
            approved_ids.append(eid)
        annotations.extend(a.row(org_id, eid, reviewed_at) for a in given)
        # COPY sends jsonb as text.
        columns = {**learning_examples.columns_of(ex), "metadata": json.dumps(ex.metadata)}
        examples.append(
            (eid, org_id, c.feedback_id, *columns.values(), quality_score, status, len(given),
             decided_at, adjudicate, gold, verdict if gold else None, c.created_at, c.created_at)
        )  # fmt: skip
    return Reviews(examples, annotations, approved_ids, GOLD_ITEMS - gold_left)
