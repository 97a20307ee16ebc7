"""Per-arm moments of every metric of experiments: feedback on tagged executions and outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import Uuid, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY

from learnloop.domain.experiments.analysis import ExperimentData
from learnloop.domain.experiments.records import Variant
from learnloop.domain.experiments.statistics import ArmMoments
from learnloop.storage.tables import ASSIGNMENTS
from learnloop.storage.unit_of_work import UnitOfWork

# One value per feedback row and metric (NULL: the row says nothing about that metric).
_FEEDBACK_VALUES = """
  ('thumbs_up_rate', CASE WHEN f.feedback_type IN ('THUMBS_UP', 'THUMBS_DOWN')
                          THEN (f.feedback_type = 'THUMBS_UP')::int END),
  ('thumbs_down_rate', CASE WHEN f.feedback_type IN ('THUMBS_UP', 'THUMBS_DOWN')
                            THEN (f.feedback_type = 'THUMBS_DOWN')::int END),
  ('mean_rating', f.rating),
  ('accuracy', f.accuracy_rating),
  ('helpfulness', f.helpfulness_rating),
  ('clarity', f.clarity_rating),
  ('completeness', f.completeness_rating),
  ('correction_rate', (f.feedback_type = 'CORRECTION')::int),
  ('issue_rate', (f.feedback_type = 'REPORT_ISSUE'
                  OR cardinality(f.issue_categories) > 0)::int)
"""


@cache
def _moments_sql() -> Any:
    """Per unit: y = sum of its values, x = how many; per arm and metric: the sums the delta
    method needs. Feedback on tagged executions and custom outcomes, in one statement."""
    return text(
        f"""
        SELECT experiment_id, variant, metric, count(*) AS units, sum(y) AS sy, sum(x) AS sx,
               sum(y * y) AS syy, sum(x * x) AS sxx, sum(x * y) AS sxy
        FROM (
          SELECT e.experiment_id, e.variant, e.unit_id, m.metric,
                 sum(m.value)::float8 AS y, count(*)::float8 AS x
          FROM executions e
          JOIN agent_feedback f ON f.execution_id = e.id
          CROSS JOIN LATERAL (VALUES {_FEEDBACK_VALUES}) AS m(metric, value)
          WHERE e.experiment_id = ANY(:ids) AND e.variant IS NOT NULL
            AND m.value IS NOT NULL
          GROUP BY e.experiment_id, e.variant, e.unit_id, m.metric
          UNION ALL
          SELECT o.experiment_id, o.variant, o.unit_id, o.metric, sum(o.value), count(*)::float8
          FROM experiment_outcomes o
          WHERE o.experiment_id = ANY(:ids)
          GROUP BY o.experiment_id, o.variant, o.unit_id, o.metric
        ) per_unit
        GROUP BY experiment_id, variant, metric
        """
    ).bindparams(bindparam("ids", type_=ARRAY(Uuid())))


async def data_by_ids(uow: UnitOfWork, ids: Sequence[UUID]) -> dict[UUID, ExperimentData]:
    """Exposures and metric moments of several experiments in two statements."""
    exposures = await uow.all(
        select(ASSIGNMENTS.c.experiment_id, ASSIGNMENTS.c.variant, func.count().label("n"))
        .where(ASSIGNMENTS.c.experiment_id.in_(ids))
        .group_by(ASSIGNMENTS.c.experiment_id, ASSIGNMENTS.c.variant)
    )
    rows = await uow.all(_moments_sql(), {"ids": list(ids)})
    units: dict[UUID, dict[Variant, int]] = {i: {} for i in ids}
    metrics: dict[UUID, dict[str, dict[Variant, ArmMoments]]] = {i: {} for i in ids}
    for r in exposures:
        units[r.experiment_id][Variant(r.variant)] = r.n
    for r in rows:
        metrics[r.experiment_id].setdefault(r.metric, {})[Variant(r.variant)] = ArmMoments(
            r.units, r.sy, r.sx, r.syy, r.sxx, r.sxy
        )
    return {i: ExperimentData(units[i], metrics[i]) for i in ids}
