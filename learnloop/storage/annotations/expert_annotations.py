"""Expert annotation rows: lookups and the per-example listing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any
from uuid import UUID

from sqlalchemy import select

from learnloop.domain.annotations.expert_annotations import ExpertAnnotationRecord
from learnloop.storage.pagination import ChildList
from learnloop.storage.rows import to_record
from learnloop.storage.tables import ANNOTATIONS
from learnloop.storage.unit_of_work import UnitOfWork


def _record(r: Any) -> ExpertAnnotationRecord:
    return to_record(ExpertAnnotationRecord, r)


BY_EXAMPLE = ChildList(ANNOTATIONS, "example_id", _record)
record = _record  # for the annotation workflow's storage


def by_example_of(annotator_user_id: UUID) -> ChildList:
    """One annotator's annotations per example (what blind mode shows an expert)."""
    return replace(BY_EXAMPLE, where=ANNOTATIONS.c.annotator_user_id == annotator_user_id)


async def by_ids(uow: UnitOfWork, ids: Sequence[UUID]) -> Mapping[UUID, ExpertAnnotationRecord]:
    rows = await uow.all(select(ANNOTATIONS).where(ANNOTATIONS.c.id.in_(ids)))
    return {r.id: _record(r) for r in rows}
