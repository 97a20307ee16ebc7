"""Executions: recording one idempotently (alone or in batches), stubs filled in later."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from learnloop.domain.agents import AgentDefaults, AgentRecord
from learnloop.domain.errors import ErrorCode, Problem, UserInputError
from learnloop.domain.input_limits import check_json_object, check_key, check_label, check_text

if TYPE_CHECKING:
    from learnloop.domain.experiments.assignment import AssignmentStore

# An execution's input and output are kept whole, up to this many characters each.
MAX_EXECUTION_TEXT = 1_000_000


@dataclass(frozen=True)
class ExecutionRecord:
    id: UUID
    agent_id: UUID
    key: str
    input: str | None
    output: str | None
    metadata: dict[str, Any]
    experiment_id: UUID | None
    variant: str | None
    is_stub: bool
    created_at: datetime
    updated_at: datetime
    domain: str | None = None
    task_type: str | None = None


@dataclass(frozen=True)
class ExecutionRef:
    """An execution as callers name it: their agent key and their execution key."""

    agent_key: str
    execution_key: str


class Recorded(StrEnum):
    """What recordExecution did: wrote a new execution, filled a stub, or found it already there."""

    CREATED = "CREATED"
    FILLED_STUB = "FILLED_STUB"
    EXISTING = "EXISTING"


@dataclass(frozen=True)
class NewExecution:
    ref: ExecutionRef
    input: str | None
    output: str | None
    metadata: dict[str, Any] = field(default_factory=dict)
    experiment_id: UUID | None = None
    unit_id: str | None = None  # defaults to the execution key when an experiment is named
    variant: str | None = None  # the unit's arm, set by the experiment's assignment
    domain: str | None = None
    task_type: str | None = None


@dataclass(frozen=True)
class ExampleContext:
    """What a learning example made from an execution's feedback takes from the execution."""

    input_text: str
    original_output: str | None
    domain: str | None
    task_type: str | None


def example_context(execution: ExecutionRecord) -> ExampleContext:
    """The one rule for what an example inherits: input, output, domain and task type.

    A stub execution has no input or output yet (input is "" until the agent reports the
    execution, which then completes the examples made meanwhile).
    """
    return ExampleContext(
        input_text=execution.input or "",
        original_output=execution.output,
        domain=execution.domain,
        task_type=execution.task_type,
    )


def check_ref(
    agent_key: str | None,
    execution_key: str | None,
    problems: list[Problem],
    prefix: tuple[str, ...] = (),
) -> ExecutionRef:
    return ExecutionRef(
        agent_key=check_key(agent_key, (*prefix, "agentId"), problems),
        execution_key=check_key(execution_key, (*prefix, "executionId"), problems),
    )


def new_execution(
    *,
    agent_key: str,
    execution_key: str,
    input: str | None,
    output: str | None,
    metadata: object,
    experiment_id: UUID | None,
    unit_id: str | None = None,
    domain: str | None = None,
    task_type: str | None = None,
) -> NewExecution:
    problems: list[Problem] = []
    ref = check_ref(agent_key, execution_key, problems)
    check_text(input, ("input",), MAX_EXECUTION_TEXT, problems)
    check_text(output, ("output",), MAX_EXECUTION_TEXT, problems)
    meta = check_json_object(metadata, ("metadata",), problems)
    clean_domain = check_label(domain, ("domain",), problems)
    clean_task_type = check_label(task_type, ("taskType",), problems)
    if problems:
        raise UserInputError(problems)
    return NewExecution(
        ref=ref,
        input=input,
        output=output,
        metadata=meta,
        experiment_id=experiment_id,
        unit_id=unit_id,
        domain=clean_domain,
        task_type=clean_task_type,
    )


def with_agent_defaults(execution: NewExecution, agent: AgentRecord) -> NewExecution:
    """The one labelling rule: a label the agent reports wins, else the agent's default.

    Stub executions (feedback came first) report nothing, so they take the defaults too
    (storage.executions applies this rule when it inserts them).
    """
    return replace(
        execution,
        domain=execution.domain or agent.default_domain,
        task_type=execution.task_type or agent.default_task_type,
    )


class ExecutionStore(Protocol):
    async def resolve(self, refs: Sequence[ExecutionRef]) -> Mapping[ExecutionRef, ExecutionRecord]:
        """Find each execution, creating missing agents and stub executions (concurrency-safe)."""
        ...

    async def agent(self, key: str) -> AgentRecord:
        """The agent with this key, created on first use."""
        ...

    async def record(
        self, execution: NewExecution, agent_id: UUID
    ) -> tuple[ExecutionRecord, Recorded]:
        """Insert, or fill a stub in place; an execution already reported is left unchanged."""
        ...

    async def set_agent_defaults(self, defaults: AgentDefaults) -> AgentRecord:
        """Store the agent's default labels (creating the agent on first use)."""
        ...

    async def experiment_exists(self, experiment_id: UUID) -> bool: ...

    async def experiments_existing(self, experiment_ids: set[UUID]) -> set[UUID]:
        """Those of the ids that name an experiment of this organisation (one statement)."""
        ...

    async def agents(self, keys: Sequence[str]) -> Mapping[str, AgentRecord]:
        """The agents with these keys, whole, creating the missing ones."""
        ...

    async def record_many(
        self, executions: Sequence[NewExecution], agent_ids: Mapping[str, UUID]
    ) -> Mapping[ExecutionRef, tuple[ExecutionRecord, Recorded]]:
        """record() for distinct executions in a fixed number of statements."""
        ...

    async def complete_examples(self, execution_id: UUID, context: ExampleContext) -> int:
        """Give examples made while the execution was a stub the context they lacked."""
        ...


async def record_execution(
    store: ExecutionStore, execution: NewExecution, arms: AssignmentStore | None = None
) -> tuple[ExecutionRecord, Recorded]:
    """Idempotent on (agent key, execution key): a repeat returns the first execution unchanged.

    Feedback may arrive before its execution; it then created a stub, which this fills in
    place (same id, same feedback), and corrections made on the stub get their context.
    """
    if execution.experiment_id is not None and arms is not None:
        # Imported here: experiments' rules import principals, which import executions.
        from learnloop.domain.experiments.assignment import tag_with_arm

        # Tagged with its unit's arm, feedback on this execution counts as an outcome.
        execution = await tag_with_arm(arms, execution)
    elif execution.experiment_id is not None and not await store.experiment_exists(
        execution.experiment_id
    ):
        raise UserInputError.single(
            ("experimentId",), "no such experiment in this organisation", ErrorCode.NOT_FOUND
        )
    agent = await store.agent(execution.ref.agent_key)
    record, outcome = await store.record(with_agent_defaults(execution, agent), agent.id)
    if outcome is Recorded.FILLED_STUB:
        await store.complete_examples(record.id, example_context(record))
    return record, outcome


MAX_EXECUTION_BATCH = 500


@dataclass(frozen=True)
class ExecutionReport:
    """One recordExecutionBatch item as the caller sent it (checked by record_execution_batch)."""

    agent_key: str
    execution_key: str
    input: str | None = None
    output: str | None = None
    metadata: object = None
    experiment_id: UUID | None = None
    domain: str | None = None
    task_type: str | None = None
    # The experimentId sent was no id of an experiment (malformed or another type).
    unknown_experiment: bool = False


@dataclass
class ExecutionBatchResult:
    """Per item (input order) what was recorded, or None when the item was refused."""

    recorded: list[tuple[ExecutionRecord, Recorded] | None]
    problems: list[Problem]


def _checked(report: ExecutionReport, prefix: tuple[str, ...]) -> NewExecution | list[Problem]:
    try:
        return new_execution(
            agent_key=report.agent_key,
            execution_key=report.execution_key,
            input=report.input,
            output=report.output,
            metadata=report.metadata,
            experiment_id=report.experiment_id,
            domain=report.domain,
            task_type=report.task_type,
        )
    except UserInputError as exc:
        return [replace(p, field=(*prefix, *p.field)) for p in exc.problems]


def _no_experiment(prefix: tuple[str, ...]) -> Problem:
    return Problem(
        (*prefix, "experimentId"), "no such experiment in this organisation", ErrorCode.NOT_FOUND
    )


async def record_execution_batch(
    store: ExecutionStore, reports: Sequence[ExecutionReport]
) -> ExecutionBatchResult:
    """recordExecution for many items in a fixed number of statements.

    Valid items are recorded even when others are refused (problems name the item's index).
    The same (agent, execution) twice in one batch: the first report counts, the repeat is
    EXISTING, exactly as if it had been sent again afterwards.
    """
    if len(reports) > MAX_EXECUTION_BATCH:
        raise UserInputError.single(
            ("items",), f"at most {MAX_EXECUTION_BATCH} items per batch", ErrorCode.LIMIT_EXCEEDED
        )
    problems: list[Problem] = []
    checked: dict[int, NewExecution] = {}
    for index, report in enumerate(reports):
        prefix = ("items", str(index))
        item = _checked(report, prefix)
        if isinstance(item, list):
            problems.extend(item)
        elif report.unknown_experiment:
            problems.append(_no_experiment(prefix))
        else:
            checked[index] = item
    experiments = {e.experiment_id for e in checked.values() if e.experiment_id is not None}
    known = await store.experiments_existing(experiments) if experiments else set()
    valid: dict[ExecutionRef, NewExecution] = {}
    index_of: dict[int, ExecutionRef] = {}
    for index, item in checked.items():
        if item.experiment_id is not None and item.experiment_id not in known:
            problems.append(_no_experiment(("items", str(index))))
            continue
        valid.setdefault(item.ref, item)
        index_of[index] = item.ref
    agents = await store.agents(sorted({ref.agent_key for ref in valid})) if valid else {}
    stored = await store.record_many(
        [with_agent_defaults(e, agents[e.ref.agent_key]) for e in valid.values()],
        {key: agent.id for key, agent in agents.items()},
    )
    for record, outcome in stored.values():
        if outcome is Recorded.FILLED_STUB:
            await store.complete_examples(record.id, example_context(record))
    recorded: list[tuple[ExecutionRecord, Recorded] | None] = [None] * len(reports)
    first_seen: set[ExecutionRef] = set()
    for index, ref in sorted(index_of.items()):
        record, outcome = stored[ref]
        recorded[index] = (record, outcome if ref not in first_seen else Recorded.EXISTING)
        first_seen.add(ref)
    return ExecutionBatchResult(recorded=recorded, problems=problems)
