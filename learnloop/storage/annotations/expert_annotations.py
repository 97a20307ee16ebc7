"""Expert annotation rows: lookups and the per-example listing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Table, select

from learnloop.domain.annotations.expert_annotations import ExpertAnnotationRecord
from learnloop.storage.models import ExpertAnnotation
from learnloop.storage.pagination import ChildList
from learnloop.storage.unit_of_work import UnitOfWork

_T = cast(Table, ExpertAnnotation.__table__)


def _record(r: Any) -> ExpertAnnotationRecord:
    return ExpertAnnotationRecord(
        id=r.id,
        example_id=r.example_id,
        annotator_user_id=r.annotator_user_id,
        approved=r.approved,
        technical_accuracy=r.technical_accuracy,
        professional_quality=r.professional_quality,
        completeness=r.completeness,
        clarity=r.clarity,
        corrected_output=r.corrected_output,
        notes=r.notes,
        improvement_suggestions=r.improvement_suggestions,
        created_at=r.created_at,
    )


BY_EXAMPLE = ChildList(_T, "example_id", _record)
record = _record  # for the annotation workflow's storage


def by_example_of(annotator_user_id: UUID) -> ChildList:
    """One annotator's annotations per example (what blind mode shows an expert)."""
    return replace(BY_EXAMPLE, where=_T.c.annotator_user_id == annotator_user_id)


async def by_ids(uow: UnitOfWork, ids: Sequence[UUID]) -> Mapping[UUID, ExpertAnnotationRecord]:
    rows = await uow.all(select(_T).where(_T.c.id.in_(ids)))
    return {r.id: _record(r) for r in rows}
