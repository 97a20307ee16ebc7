"""Dataset curation services: create, add/remove examples, freeze, and fork a new version."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from learnloop.domain.audit import AuditEntry, AuditSink
from learnloop.domain.datasets import (
    MAX_EXAMPLE_IDS,
    DatasetRecord,
    ExampleFacts,
    ExampleFilter,
    NewDataset,
    NewDatasetExample,
    admissible_statuses,
    effective_filter,
    example_problem,
    require_draft,
    validate_new_dataset,
    validate_weight,
)
from learnloop.domain.errors import ErrorCode, Problem, UserInputError
from learnloop.domain.learning_examples import DomainSource, require_known_domains
from learnloop.domain.principal import Principal
from learnloop.domain.redaction import redact_snapshot
from learnloop.domain.splits import Candidate, Split, SplitAssigner

FILTER_BATCH = 5000


class DatasetStore(DomainSource, Protocol):
    async def create(
        self, org_id: UUID, new: NewDataset, created_by: UUID | None
    ) -> DatasetRecord: ...
    async def lock(self, dataset_id: UUID) -> DatasetRecord | None: ...
    async def get(self, dataset_id: UUID) -> DatasetRecord: ...
    async def example_facts(self, ids: Sequence[UUID]) -> Mapping[UUID, ExampleFacts]: ...
    async def matching(
        self, dataset_id: UUID, wanted: ExampleFilter, after: UUID | None, limit: int
    ) -> list[ExampleFacts]: ...
    async def remembered_splits(
        self, lineage_id: UUID, example_ids: Sequence[UUID]
    ) -> Mapping[UUID, Split]: ...
    async def split_counts(self, dataset_id: UUID) -> Mapping[str, Mapping[Split, int]]: ...
    async def insert_examples(
        self, dataset: DatasetRecord, rows: Sequence[NewDatasetExample]
    ) -> int: ...
    async def remove_examples(self, dataset_id: UUID, example_ids: Sequence[UUID]) -> int: ...
    async def inadmissible(
        self, dataset_id: UUID, admissible: Sequence[str], limit: int
    ) -> tuple[int, list[UUID]]: ...
    async def freeze(
        self,
        dataset_id: UUID,
        scrub: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None,
    ) -> DatasetRecord: ...
    async def fork(self, source: DatasetRecord, created_by: UUID | None) -> DatasetRecord: ...


@dataclass(frozen=True)
class Change:
    """A dataset after a change, and how many examples the change added or removed."""

    dataset: DatasetRecord
    count: int


async def create_dataset(
    store: DatasetStore, audit: AuditSink, principal: Principal, new: NewDataset
) -> DatasetRecord:
    assert principal.org_id is not None
    record = await store.create(principal.org_id, validate_new_dataset(new), principal.user_id)
    await audit(
        principal,
        AuditEntry("dataset.create", "TrainingDataset", record.id, {"name": record.name}),
    )
    return record


def _check_ids(example_ids: Sequence[UUID], path: str) -> list[UUID]:
    if not example_ids:
        raise UserInputError.single((path,), "give at least one example id", ErrorCode.REQUIRED)
    if len(example_ids) > MAX_EXAMPLE_IDS:
        raise UserInputError.single(
            (path,), f"at most {MAX_EXAMPLE_IDS} ids per call", ErrorCode.LIMIT_EXCEEDED
        )
    return list(dict.fromkeys(example_ids))


async def _facts_by_ids(
    store: DatasetStore, dataset: DatasetRecord, example_ids: Sequence[UUID]
) -> list[ExampleFacts]:
    """The requested examples, or every reason some of them cannot be added."""
    found = await store.example_facts(example_ids)
    problems: list[Problem] = []
    for index, example_id in enumerate(example_ids):
        facts = found.get(example_id)
        path = ("exampleIds", str(index))
        if facts is None:
            problems.append(Problem(path, "no such learning example", ErrorCode.NOT_FOUND))
        elif (reason := example_problem(dataset, facts)) is not None:
            problems.append(Problem(path, reason, ErrorCode.NOT_ALLOWED))
    if problems:
        raise UserInputError(problems)
    return [found[i] for i in example_ids]


async def _insert(
    store: DatasetStore,
    dataset: DatasetRecord,
    facts: Sequence[ExampleFacts],
    split: Split | None,
    weight: float,
    assigner: SplitAssigner | None,
) -> int:
    if split is not None:
        rows = [NewDatasetExample(f.id, split, weight) for f in facts]
    else:
        assert assigner is not None
        assigner.remembered.update(
            await store.remembered_splits(dataset.lineage_id, [f.id for f in facts])
        )
        placed = assigner.assign(Candidate(f.id, f.example_type) for f in facts)
        rows = [NewDatasetExample(c.example_id, s, weight) for c, s in placed]
    return await store.insert_examples(dataset, rows) if rows else 0


async def add_examples(
    store: DatasetStore,
    principal: Principal,
    *,
    dataset_id: UUID,
    example_ids: Sequence[UUID] | None,
    wanted: ExampleFilter | None,
    split: Split | None,
    weight: float | None,
) -> Change:
    """Add examples by id or by filter; ones already in the version are left as they are."""
    dataset = require_draft(await store.lock(dataset_id))
    row_weight = validate_weight(weight)
    if (example_ids is None) == (wanted is None):
        raise UserInputError.single(
            ("exampleIds",), "give either exampleIds or filter", ErrorCode.REQUIRED
        )
    assigner = None
    if split is None:
        counts = await store.split_counts(dataset.id) if dataset.stratify_by_type else {}
        assigner = SplitAssigner(
            dataset.lineage_id, dataset.ratios, stratify=dataset.stratify_by_type, counts=counts
        )
    added = 0
    if example_ids is not None:
        facts = await _facts_by_ids(store, dataset, _check_ids(example_ids, "exampleIds"))
        added = await _insert(store, dataset, facts, split, row_weight, assigner)
    else:
        assert wanted is not None
        narrowed = effective_filter(dataset, wanted)
        after: UUID | None = None
        while batch := await store.matching(dataset.id, narrowed, after, FILTER_BATCH):
            added += await _insert(store, dataset, batch, split, row_weight, assigner)
            after = batch[-1].id
        if added == 0:
            # The domains came from the filter, or else from the dataset's own scope.
            path = ("filter", "domains") if wanted.domains else ("datasetId",)
            await require_known_domains(store, narrowed.domains, path)
    return Change(await store.get(dataset.id), added)


async def remove_examples(
    store: DatasetStore, principal: Principal, *, dataset_id: UUID, example_ids: Sequence[UUID]
) -> Change:
    dataset = require_draft(await store.lock(dataset_id))
    removed = await store.remove_examples(dataset.id, _check_ids(example_ids, "exampleIds"))
    return Change(await store.get(dataset.id), removed)


async def freeze_dataset(
    store: DatasetStore,
    audit: AuditSink,
    principal: Principal,
    dataset_id: UUID,
    *,
    redact_pii: bool = False,
) -> DatasetRecord:
    """Make a version immutable; it must hold examples, all of them admissible.

    With `redact_pii`, the frozen content has PII and secrets replaced by placeholders
    (`domain/redaction.py`), so nothing a training run or an export reads carries them.
    """
    dataset = require_draft(await store.lock(dataset_id))
    if dataset.total_examples == 0:
        raise UserInputError.single(
            ("datasetId",), "an empty dataset cannot be frozen", ErrorCode.INVALID_STATE
        )
    admissible = admissible_statuses(dataset.allow_pending)
    count, sample = await store.inadmissible(dataset.id, admissible, 5)
    if count:
        raise UserInputError.single(
            ("datasetId",),
            f"{count} example(s) are not {' / '.join(admissible)} (e.g. "
            f"{', '.join(str(s) for s in sample)}); remove them or get them reviewed first",
            ErrorCode.NOT_ALLOWED,
        )
    frozen = await store.freeze(dataset.id, redact_snapshot if redact_pii else None)
    await audit(
        principal,
        AuditEntry(
            "dataset.freeze",
            "TrainingDataset",
            frozen.id,
            {
                "version": frozen.version,
                "totalExamples": frozen.total_examples,
                "piiRedacted": redact_pii,
            },
        ),
    )
    return frozen


async def create_dataset_version(
    store: DatasetStore, audit: AuditSink, principal: Principal, dataset_id: UUID
) -> DatasetRecord:
    """Fork a frozen version into the lineage's next version, a DRAFT copy of its examples."""
    source = await store.lock(dataset_id)
    if source is None:
        raise UserInputError.single(
            ("datasetId",), "no such dataset in this organisation", ErrorCode.NOT_FOUND
        )
    if not source.frozen:
        raise UserInputError.single(
            ("datasetId",),
            f"version {source.version} is still a draft: edit it, or freeze it before forking",
            ErrorCode.INVALID_STATE,
        )
    fork = await store.fork(source, principal.user_id)
    await audit(
        principal,
        AuditEntry(
            "dataset.version",
            "TrainingDataset",
            fork.id,
            {"from": str(source.id), "version": fork.version},
        ),
    )
    return fork
