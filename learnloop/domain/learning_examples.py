"""Learning examples: types, review states, provenance, and the rules for making one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from learnloop.domain.annotations.queue import policy_from_settings, routing_priority
from learnloop.domain.errors import ErrorCode, Problem, UserInputError
from learnloop.domain.executions import ExecutionRef, ExecutionStore, example_context
from learnloop.domain.input_limits import check_json_object, check_key, check_label, check_text
from learnloop.domain.principal import Principal

if TYPE_CHECKING:
    from learnloop.domain.executions import ExecutionRecord

MAX_EXAMPLE_TEXT = 100_000


class ExampleType(StrEnum):
    POSITIVE = "POSITIVE"
    NEGATIVE = "NEGATIVE"
    CORRECTION = "CORRECTION"
    DEMONSTRATION = "DEMONSTRATION"
    EDGE_CASE = "EDGE_CASE"
    FAILURE = "FAILURE"
    PREFERENCE = "PREFERENCE"


class ReviewStatus(StrEnum):
    PENDING = "PENDING"
    IN_REVIEW = "IN_REVIEW"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


# What each type of example must carry besides its input ("expected" is the good answer,
# "original" the agent's answer being judged or replaced).
REQUIRED_OUTPUTS: dict[ExampleType, tuple[str, ...]] = {
    ExampleType.POSITIVE: ("expectedOutput",),
    ExampleType.NEGATIVE: ("originalOutput",),
    ExampleType.CORRECTION: ("expectedOutput",),
    ExampleType.DEMONSTRATION: ("expectedOutput",),
    ExampleType.EDGE_CASE: (),
    ExampleType.FAILURE: ("originalOutput",),
    ExampleType.PREFERENCE: ("expectedOutput", "originalOutput"),
}


@dataclass(frozen=True)
class LearningExampleRecord:
    id: UUID
    agent_id: UUID | None
    execution_id: UUID | None
    source_feedback_id: UUID | None
    author_user_id: UUID | None
    author_key: str | None
    example_type: ExampleType
    domain: str | None
    task_type: str | None
    input_text: str
    expected_output: str | None
    original_output: str | None
    metadata: dict[str, Any]
    quality_score: float | None
    review_status: ReviewStatus
    priority: int
    created_at: datetime
    updated_at: datetime
    # The annotation workflow's state (F4; see domain/annotations/queue.py).
    is_gold: bool = False
    gold_verdict: bool | None = None
    lease_holder_user_id: UUID | None = None
    lease_expires_at: datetime | None = None
    assigned_to_user_id: UUID | None = None
    annotations_count: int = 0
    decided_at: datetime | None = None
    needs_adjudication: bool = False

    @property
    def decided(self) -> bool:
        """Reviewed for good: APPROVED or REJECTED (a gold item's status is the manager's)."""
        return self.review_status in (ReviewStatus.APPROVED, ReviewStatus.REJECTED)


@dataclass(frozen=True)
class ExampleHistoryRecord:
    """A previous value of an example's field (an annotation's correction replaced it)."""

    id: UUID
    example_id: UUID
    field: str
    previous_value: str | None
    changed_by_user_id: UUID | None
    created_at: datetime


@dataclass(frozen=True)
class NewLearningExample:
    """An example about to be stored, with its provenance (who, from which execution)."""

    example_type: ExampleType
    input_text: str
    expected_output: str | None
    original_output: str | None
    author_key: str
    author_user_id: UUID | None
    agent_id: UUID | None = None
    execution_id: UUID | None = None
    domain: str | None = None
    task_type: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # Routing: what the example was born from (feedback type, issue categories), and the
    # queue priority prioritise() derives from it and the org's policy.
    signals: frozenset[str] = frozenset()
    priority: int = 0


@dataclass(frozen=True)
class ExampleDraft:
    """createLearningExample's input as the caller sent it."""

    example_type: ExampleType
    input_text: str
    agent_key: str | None = None
    execution_key: str | None = None
    expected_output: str | None = None
    original_output: str | None = None
    domain: str | None = None
    task_type: str | None = None
    metadata: object = None


@dataclass(frozen=True)
class ExampleFilter:
    agent_key: str | None = None
    example_types: tuple[ExampleType, ...] = ()
    review_statuses: tuple[ReviewStatus, ...] = ()
    domain: str | None = None
    task_type: str | None = None
    from_feedback: bool | None = None


class ExampleOrder(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"


def correction_example(
    correction_text: str,
    execution: ExecutionRecord,
    author_key: str,
    author_user_id: UUID | None,
    signals: Iterable[str] = (),
) -> NewLearningExample:
    """The one rule for corrections: a CORRECTION example, pending review, in the same transaction.

    input = the execution's input, original = its output, expected = the correction; domain
    and task type are the execution's. `signals` (the feedback's type and issue categories)
    feed its queue priority.
    """
    context = example_context(execution)
    return NewLearningExample(
        example_type=ExampleType.CORRECTION,
        input_text=context.input_text,
        expected_output=correction_text,
        original_output=context.original_output,
        author_key=author_key,
        author_user_id=author_user_id,
        agent_id=execution.agent_id,
        execution_id=execution.id,
        domain=context.domain,
        task_type=context.task_type,
        signals=frozenset(signals),
    )


@dataclass(frozen=True)
class RoutingFacts:
    """What routing needs to know: the org's settings and the feedback signals per execution."""

    settings: Mapping[str, Any]
    execution_signals: Mapping[UUID, frozenset[str]]


class RoutingSource(Protocol):
    async def routing_facts(self, execution_ids: Sequence[UUID]) -> RoutingFacts:
        """The org's settings, and the feedback types / issue categories already on each execution."""
        ...


async def prioritise(
    source: RoutingSource, examples: Sequence[NewLearningExample]
) -> list[NewLearningExample]:
    """The one routing rule: every new example's queue priority comes from the org's policy.

    priority = routing_priority(policy, its own signals | the signals of the feedback already
    recorded on its execution). Called by every path that creates examples (corrections in
    submitFeedback(Batch), createLearningExample). Priority is fixed at creation.
    """
    if not examples:
        return []
    execution_ids = sorted({e.execution_id for e in examples if e.execution_id is not None})
    facts = await source.routing_facts(execution_ids)
    policy = policy_from_settings(facts.settings)
    routed = []
    for example in examples:
        signals = set(example.signals)
        if example.execution_id is not None:
            signals |= facts.execution_signals.get(example.execution_id, frozenset())
        routed.append(replace(example, priority=routing_priority(policy, signals)))
    return routed


def validate_draft(draft: ExampleDraft) -> tuple[ExampleDraft, dict[str, Any]]:
    """Check a createLearningExample input; returns it cleaned with its metadata object."""
    problems: list[Problem] = []
    if not draft.input_text.strip():
        problems.append(Problem(("inputText",), "must not be empty", ErrorCode.REQUIRED))
    outputs = {"expectedOutput": draft.expected_output, "originalOutput": draft.original_output}
    for name, value in [("inputText", draft.input_text), *outputs.items()]:
        check_text(value, (name,), MAX_EXAMPLE_TEXT, problems)
    for name in REQUIRED_OUTPUTS[draft.example_type]:
        if not (outputs[name] or "").strip():
            problems.append(
                Problem(
                    (name,),
                    f"a {draft.example_type.value} example needs {name}",
                    ErrorCode.REQUIRED,
                )
            )
    agent_key = (
        check_key(draft.agent_key, ("agentId",), problems) if draft.agent_key is not None else None
    )
    execution_key = None
    if draft.execution_key is not None:
        execution_key = check_key(draft.execution_key, ("executionId",), problems)
        if agent_key is None:
            problems.append(
                Problem(
                    ("agentId",), "executionId needs the agentId it belongs to", ErrorCode.REQUIRED
                )
            )
    domain = check_label(draft.domain, ("domain",), problems)
    task_type = check_label(draft.task_type, ("taskType",), problems)
    metadata = check_json_object(draft.metadata, ("metadata",), problems)
    if problems:
        raise UserInputError(problems)
    cleaned = ExampleDraft(
        example_type=draft.example_type,
        input_text=draft.input_text,
        agent_key=agent_key,
        execution_key=execution_key,
        expected_output=draft.expected_output,
        original_output=draft.original_output,
        domain=domain,
        task_type=task_type,
    )
    return cleaned, metadata


@dataclass(frozen=True)
class DomainsInUse:
    """Which of some named domains any learning example has, and a sample of those that exist."""

    present: frozenset[str]
    sample: tuple[str, ...]


class DomainSource(Protocol):
    async def domains_in_use(self, named: Sequence[str]) -> DomainsInUse:
        """The named domains some example of the org has, and the org's domains (a few)."""
        ...


async def require_known_domains(
    source: DomainSource, named: Sequence[str], path: tuple[str, ...]
) -> None:
    """A filter that matched nothing because no example has its domain says so (UNKNOWN_DOMAIN).

    Called by the paths that filter on domains when they found nothing (claimAnnotationTask,
    addExamplesToDataset), so an empty result is never silent about a misspelt or unused domain.
    """
    if not named:
        return
    found = await source.domains_in_use(named)
    unknown = [d for d in named if d not in found.present]
    if not unknown:
        return
    in_use = (
        f"the domains in use are {', '.join(repr(d) for d in found.sample)}"
        if found.sample
        else "no example has a domain yet"
    )
    raise UserInputError.single(
        path,
        f"no learning example has the domain {', '.join(repr(d) for d in unknown)}; {in_use} "
        "(examples take the domain of their execution: recordExecution(input: {domain}) "
        "or setAgentDefaults)",
        ErrorCode.UNKNOWN_DOMAIN,
    )


class LearningExampleStore(RoutingSource, Protocol):
    async def create(self, example: NewLearningExample) -> LearningExampleRecord: ...

    async def agent_ids(self, keys: Sequence[str]) -> Mapping[str, UUID]:
        """Agents by key, created on first use."""
        ...


async def create_learning_example(
    store: LearningExampleStore,
    executions: ExecutionStore,
    principal: Principal,
    draft: ExampleDraft,
) -> LearningExampleRecord:
    """Store an example written by hand (a demonstration, an edge case...) with its provenance."""
    cleaned, metadata = validate_draft(draft)
    agent_id = execution_id = None
    domain, task_type = cleaned.domain, cleaned.task_type
    if cleaned.agent_key is not None and cleaned.execution_key is not None:
        ref = ExecutionRef(cleaned.agent_key, cleaned.execution_key)
        execution = (await executions.resolve([ref]))[ref]
        agent_id, execution_id = execution.agent_id, execution.id
        # Labels it does not give come from its execution, as for examples made by feedback.
        context = example_context(execution)
        domain, task_type = domain or context.domain, task_type or context.task_type
    elif cleaned.agent_key is not None:
        agent_id = (await store.agent_ids([cleaned.agent_key]))[cleaned.agent_key]
    new = NewLearningExample(
        example_type=cleaned.example_type,
        input_text=cleaned.input_text,
        expected_output=cleaned.expected_output,
        original_output=cleaned.original_output,
        author_key=principal.actor_key,
        author_user_id=principal.user_id,
        agent_id=agent_id,
        execution_id=execution_id,
        domain=domain,
        task_type=task_type,
        metadata=metadata,
    )
    (routed,) = await prioritise(store, [new])
    return await store.create(routed)
