"""Training dataset rows: create, lock, list, freeze and fork versions (DatasetStore for the domain)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import func, insert, literal, select, text, update

from learnloop.domain.datasets import (
    DatasetRecord,
    DatasetStats,
    DatasetStatus,
    ExampleFacts,
    ExampleFilter,
    NewDataset,
    NewDatasetExample,
)
from learnloop.domain.learning_examples import DomainsInUse
from learnloop.domain.pagination import Page, PageRequest
from learnloop.domain.splits import Split, SplitRatios
from learnloop.storage import dataset_examples as examples
from learnloop.storage import statistics
from learnloop.storage.learning_examples import domains_in_use
from learnloop.storage.models import DatasetExample, TrainingDataset
from learnloop.storage.pagination import count, keyset_page
from learnloop.storage.unit_of_work import UnitOfWork

_T = TrainingDataset.__table__
_E = DatasetExample.__table__


def _record(r: Any) -> DatasetRecord:
    return DatasetRecord(
        id=r.id,
        org_id=r.org_id,
        lineage_id=r.lineage_id,
        version=r.version,
        parent_id=r.parent_id,
        name=r.name,
        description=r.description,
        status=DatasetStatus(r.status),
        agent_ids=tuple(r.agent_ids or ()),
        domains=tuple(r.domains or ()),
        task_types=tuple(r.task_types or ()),
        ratios=SplitRatios(r.split_train, r.split_validation, r.split_test),
        allow_pending=r.allow_pending,
        stratify_by_type=r.stratify_by_type,
        total_examples=r.total_examples,
        avg_quality_score=r.avg_quality_score,
        stats=DatasetStats.from_json(r.stats),
        frozen_at=r.frozen_at,
        created_by_user_id=r.created_by_user_id,
        created_at=r.created_at,
        updated_at=r.updated_at,
        pii_redacted=r.pii_redacted,
    )


async def create(
    uow: UnitOfWork, org_id: UUID, new: NewDataset, created_by: UUID | None
) -> DatasetRecord:
    row = (
        await uow.execute(
            insert(TrainingDataset)
            .values(
                org_id=org_id,
                lineage_id=uuid4(),
                name=new.name,
                description=new.description,
                agent_ids=list(new.agent_ids),
                domains=list(new.domains),
                task_types=list(new.task_types),
                split_train=new.ratios.train,
                split_validation=new.ratios.validation,
                split_test=new.ratios.test,
                allow_pending=new.allow_pending,
                stratify_by_type=new.stratify_by_type,
                created_by_user_id=created_by,
            )
            .returning(_T)
        )
    ).one()
    return _record(row)


async def get(uow: UnitOfWork, dataset_id: UUID) -> DatasetRecord | None:
    row = await uow.first(select(_T).where(_T.c.id == dataset_id))
    return _record(row) if row else None


async def lock(uow: UnitOfWork, dataset_id: UUID) -> DatasetRecord | None:
    """The dataset, row-locked until the transaction ends (serialises edits with a freeze)."""
    row = await uow.first(select(_T).where(_T.c.id == dataset_id).with_for_update())
    return _record(row) if row else None


async def by_ids(uow: UnitOfWork, ids: Sequence[UUID]) -> dict[UUID, DatasetRecord]:
    rows = await uow.all(select(_T).where(_T.c.id.in_(ids)))
    return {r.id: _record(r) for r in rows}


async def versions_by_lineages(
    uow: UnitOfWork, lineage_ids: Sequence[UUID]
) -> dict[UUID, list[DatasetRecord]]:
    rows = await uow.all(select(_T).where(_T.c.lineage_id.in_(lineage_ids)).order_by(_T.c.version))
    found: dict[UUID, list[DatasetRecord]] = {}
    for r in rows:
        found.setdefault(r.lineage_id, []).append(_record(r))
    return found


def _listing(status: DatasetStatus | None) -> Any:
    stmt = select(_T)
    return stmt if status is None else stmt.where(_T.c.status == status.value)


async def page(uow: UnitOfWork, request: PageRequest, status: DatasetStatus | None) -> Page:
    return await keyset_page(
        uow, _listing(status), [_T.c.created_at, _T.c.id], request, convert=_record
    )


async def total(uow: UnitOfWork, status: DatasetStatus | None) -> int:
    return await count(uow, _listing(status))


# The columns of the content view that a snapshot keeps (everything but the row's own ones).
_ROW_COLUMNS = (
    "ARRAY['id','org_id','dataset_id','example_id','split','weight','created_at','from_snapshot']"
)
_SNAPSHOT = text(
    f"""
    UPDATE dataset_examples de
       SET snapshot = to_jsonb(c) - {_ROW_COLUMNS}
      FROM dataset_example_contents c
     WHERE c.id = de.id AND de.dataset_id = :dataset_id
    """
)


Scrub = Callable[[Mapping[str, Any]], dict[str, Any]]
SCRUB_BATCH = 1000
# One statement per batch: the statement-level triggers then refresh the stats once per batch.
_REWRITE = text(
    """
    UPDATE dataset_examples de SET snapshot = v.snapshot
      FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS v(example_id uuid, snapshot jsonb)
     WHERE de.dataset_id = :dataset_id AND de.example_id = v.example_id
    """
)


# A superset of what the redaction rules can match (an "@", a run of 7+ digits, a key prefix or a
# credential word), tested by PostgreSQL so Python reads only the snapshots that may change.
_HINTS = r"@|[0-9][0-9 ()/-]{5,}[0-9]|ll_|sk-|_live_|_test_|eyJ|AKIA|ASIA|gh[pousr]_|github_pat_|glpat-|xox|AIza"
_MAY_HOLD_PII = text(
    "concat_ws(' ', dataset_examples.snapshot->>'input_text', "
    "dataset_examples.snapshot->>'expected_output', dataset_examples.snapshot->>'original_output', "
    "dataset_examples.snapshot->>'metadata') ~* :hints"
).bindparams(hints=_HINTS + r"|bearer|key|secret|token|passw")


async def _scrub_snapshots(uow: UnitOfWork, dataset_id: UUID, scrub: Scrub) -> int:
    """Rewrite the snapshots `scrub` changes; returns how many.

    Keyset batches on the (dataset_id, example_id) unique index, so each batch reads only its
    own rows however large the version.
    """
    changed, after = 0, None
    while True:
        stmt = select(_E.c.example_id, _E.c.snapshot).where(
            _E.c.dataset_id == dataset_id, _MAY_HOLD_PII
        )
        if after is not None:
            stmt = stmt.where(_E.c.example_id > after)
        rows = await uow.all(stmt.order_by(_E.c.example_id).limit(SCRUB_BATCH))
        if not rows:
            return changed
        after = rows[-1].example_id
        rewritten = [
            {"example_id": str(r.example_id), "snapshot": new}
            for r in rows
            if (new := scrub(r.snapshot)) != r.snapshot
        ]
        if rewritten:
            await uow.execute(_REWRITE, {"rows": json.dumps(rewritten), "dataset_id": dataset_id})
            changed += len(rewritten)


async def freeze(uow: UnitOfWork, dataset_id: UUID, scrub: Scrub | None = None) -> DatasetRecord:
    """Snapshot every example's content (passed through `scrub`, e.g. PII redaction), then the
    one UPDATE that makes the version FROZEN."""
    snapshots = await uow.execute(_SNAPSHOT, {"dataset_id": dataset_id})
    await statistics.after_bulk_write(uow, "dataset_examples", int(snapshots.rowcount))  # type: ignore[attr-defined]
    if scrub is not None:
        await _scrub_snapshots(uow, dataset_id, scrub)
    row = (
        await uow.execute(
            update(TrainingDataset)
            .where(_T.c.id == dataset_id)
            .values(
                status=DatasetStatus.FROZEN.value,
                frozen_at=func.now(),
                updated_at=func.now(),
                pii_redacted=scrub is not None,
            )
            .returning(_T)
        )
    ).one()
    return _record(row)


_COPIED = (
    "name",
    "description",
    "agent_ids",
    "domains",
    "task_types",
    "split_train",
    "split_validation",
    "split_test",
    "allow_pending",
    "stratify_by_type",
)


async def fork(uow: UnitOfWork, source: DatasetRecord, created_by: UUID | None) -> DatasetRecord:
    """Version n+1 of the lineage (n = its latest), a DRAFT copy of `source` and its examples."""
    locked = select(_T.c.version).where(_T.c.lineage_id == source.lineage_id).with_for_update()
    latest = max(r.version for r in await uow.all(locked))
    copy = select(
        _T.c.org_id,
        _T.c.lineage_id,
        literal(latest + 1).label("version"),
        _T.c.id.label("parent_id"),
        *[_T.c[name] for name in _COPIED],
        literal(created_by, _T.c.created_by_user_id.type).label("created_by_user_id"),
    ).where(_T.c.id == source.id)
    columns = ["org_id", "lineage_id", "version", "parent_id", *_COPIED, "created_by_user_id"]
    new_id = await uow.scalar(insert(TrainingDataset).from_select(columns, copy).returning(_T.c.id))
    copied = await uow.execute(
        insert(DatasetExample).from_select(
            ["org_id", "dataset_id", "example_id", "split", "weight"],
            select(
                _E.c.org_id,
                literal(new_id, _E.c.dataset_id.type),
                _E.c.example_id,
                _E.c.split,
                _E.c.weight,
            ).where(_E.c.dataset_id == source.id),
        )
    )
    await statistics.after_bulk_write(uow, "dataset_examples", int(copied.rowcount))  # type: ignore[attr-defined]
    record = await get(uow, new_id)
    assert record is not None
    return record


class DatasetRepository:
    """DatasetStore for the domain, bound to one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def domains_in_use(self, named: Sequence[str]) -> DomainsInUse:
        return await domains_in_use(self.uow, named)

    async def create(self, org_id: UUID, new: NewDataset, created_by: UUID | None) -> DatasetRecord:
        return await create(self.uow, org_id, new, created_by)

    async def lock(self, dataset_id: UUID) -> DatasetRecord | None:
        return await lock(self.uow, dataset_id)

    async def get(self, dataset_id: UUID) -> DatasetRecord:
        record = await get(self.uow, dataset_id)
        assert record is not None
        return record

    async def example_facts(self, ids: Sequence[UUID]) -> Mapping[UUID, ExampleFacts]:
        return await examples.facts(self.uow, ids)

    async def matching(
        self, dataset_id: UUID, wanted: ExampleFilter, after: UUID | None, limit: int
    ) -> list[ExampleFacts]:
        return await examples.matching(self.uow, dataset_id, wanted, after, limit)

    async def remembered_splits(
        self, lineage_id: UUID, example_ids: Sequence[UUID]
    ) -> Mapping[UUID, Split]:
        return await examples.remembered_splits(self.uow, lineage_id, example_ids)

    async def split_counts(self, dataset_id: UUID) -> Mapping[str, Mapping[Split, int]]:
        return await examples.split_counts(self.uow, dataset_id)

    async def insert_examples(
        self, dataset: DatasetRecord, rows: Sequence[NewDatasetExample]
    ) -> int:
        return await examples.add_rows(self.uow, dataset, rows)

    async def remove_examples(self, dataset_id: UUID, example_ids: Sequence[UUID]) -> int:
        return await examples.remove(self.uow, dataset_id, example_ids)

    async def inadmissible(
        self, dataset_id: UUID, admissible: Sequence[str], limit: int
    ) -> tuple[int, list[UUID]]:
        return await examples.inadmissible(self.uow, dataset_id, admissible, limit)

    async def freeze(self, dataset_id: UUID, scrub: Scrub | None = None) -> DatasetRecord:
        return await freeze(self.uow, dataset_id, scrub)

    async def fork(self, source: DatasetRecord, created_by: UUID | None) -> DatasetRecord:
        return await fork(self.uow, source, created_by)
