"""Datasets: frozen versions are immutable in the database, content snapshots, automatic stats.

- `dataset_examples.snapshot`: the example's content when its version was frozen (NULL while
  DRAFT), so a frozen version exports the same bytes even after the example is edited.
- `dataset_example_contents`: a security-invoker view resolving each row's content (snapshot
  when frozen, the live learning example otherwise); stats and exports read it.
- Triggers refuse any INSERT/UPDATE/DELETE that touches a FROZEN dataset or its examples; the
  one UPDATE allowed is the DRAFT -> FROZEN flip itself. Foreign-key cascades (an organisation
  or user deleted by the operator) may still delete rows or null references
  (pg_trigger_depth() > 1).
- Statement-level triggers keep `total_examples`, `avg_quality_score` and `stats` (counts per
  split and per example type) current for DRAFT datasets, whatever path wrote the rows.

Revision ID: 0004_datasets
Revises: 0003_feedback
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_datasets"
down_revision: str | None = "0003_feedback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "learnloop_app"
# SQLSTATE of "this dataset version is frozen" (storage maps it to ErrorCode.FROZEN).
FROZEN_SQLSTATE = "LLFRZ"
# SQLSTATE of "this row names a dataset of another organisation".
FOREIGN_SQLSTATE = "LLORG"

CONTENT_VIEW = """
CREATE VIEW dataset_example_contents WITH (security_invoker = true) AS
SELECT de.id, de.org_id, de.dataset_id, de.example_id, de.split, de.weight, de.created_at,
       de.snapshot IS NOT NULL AS from_snapshot,
       CASE WHEN de.snapshot IS NULL THEN le.example_type
            ELSE de.snapshot->>'example_type' END AS example_type,
       CASE WHEN de.snapshot IS NULL THEN le.input_text
            ELSE de.snapshot->>'input_text' END AS input_text,
       CASE WHEN de.snapshot IS NULL THEN le.expected_output
            ELSE de.snapshot->>'expected_output' END AS expected_output,
       CASE WHEN de.snapshot IS NULL THEN le.original_output
            ELSE de.snapshot->>'original_output' END AS original_output,
       CASE WHEN de.snapshot IS NULL THEN le.quality_score
            ELSE (de.snapshot->>'quality_score')::double precision END AS quality_score,
       CASE WHEN de.snapshot IS NULL THEN le.review_status
            ELSE de.snapshot->>'review_status' END AS review_status,
       CASE WHEN de.snapshot IS NULL THEN le.domain ELSE de.snapshot->>'domain' END AS domain,
       CASE WHEN de.snapshot IS NULL THEN le.task_type
            ELSE de.snapshot->>'task_type' END AS task_type,
       CASE WHEN de.snapshot IS NULL THEN a.key ELSE de.snapshot->>'agent_key' END AS agent_key,
       CASE WHEN de.snapshot IS NULL THEN le.execution_id
            ELSE (de.snapshot->>'execution_id')::uuid END AS execution_id,
       CASE WHEN de.snapshot IS NULL THEN le.source_feedback_id
            ELSE (de.snapshot->>'source_feedback_id')::uuid END AS source_feedback_id,
       CASE WHEN de.snapshot IS NULL THEN le.metadata ELSE de.snapshot->'metadata' END AS metadata
  FROM dataset_examples de
  JOIN learning_examples le ON le.id = de.example_id
  LEFT JOIN agents a ON a.id = le.agent_id
"""

REFRESH_STATS = """
CREATE FUNCTION learnloop_refresh_dataset_stats(p_ids uuid[]) RETURNS void
LANGUAGE sql AS $$
  UPDATE training_datasets d
     SET total_examples = s.total, avg_quality_score = s.avg_quality, stats = s.stats
    FROM unnest(p_ids) AS ids(id)
    CROSS JOIN LATERAL (
      WITH r AS (
        SELECT c.split, c.example_type, c.quality_score
          FROM dataset_example_contents c WHERE c.dataset_id = ids.id
      )
      SELECT (SELECT count(*) FROM r)::int AS total,
             (SELECT avg(quality_score) FROM r) AS avg_quality,
             jsonb_build_object(
               'splits', (SELECT coalesce(jsonb_object_agg(split, n), '{}'::jsonb)
                            FROM (SELECT split, count(*) AS n FROM r GROUP BY split) a),
               'exampleTypes', (SELECT coalesce(jsonb_object_agg(example_type, n), '{}'::jsonb)
                                  FROM (SELECT example_type, count(*) AS n FROM r
                                         GROUP BY example_type) b)
             ) AS stats
    ) s
   WHERE d.id = ids.id AND d.status = 'DRAFT'
$$
"""

GUARD_DATASET = f"""
CREATE FUNCTION learnloop_guard_training_dataset() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Foreign-key cascades (an organisation, a user or a parent version deleted) may delete
  -- the row or null its references, nothing else.
  IF pg_trigger_depth() > 1 AND (TG_OP = 'DELETE' OR (TG_OP = 'UPDATE'
      AND to_jsonb(NEW) - ARRAY['parent_id', 'created_by_user_id']
        = to_jsonb(OLD) - ARRAY['parent_id', 'created_by_user_id'])) THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF NEW.status = 'FROZEN' THEN
      RAISE EXCEPTION 'a dataset version is created DRAFT and frozen afterwards'
        USING ERRCODE = '{FROZEN_SQLSTATE}';
    END IF;
    RETURN NEW;
  END IF;
  IF OLD.status = 'FROZEN' THEN
    RAISE EXCEPTION 'training dataset % (version %) is frozen: % refused',
      OLD.id, OLD.version, TG_OP USING ERRCODE = '{FROZEN_SQLSTATE}';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$
"""

# One function for the three statement-level triggers (INSERT: new_rows; UPDATE: both;
# DELETE: old_rows). It locks the datasets touched (FOR SHARE, so a concurrent freeze waits or
# is seen), refuses frozen ones and rows pointing at another organisation's dataset (or at one
# row-level security hides), then refreshes the stats of the DRAFT datasets touched.
GUARD_EXAMPLES = f"""
CREATE FUNCTION learnloop_dataset_examples_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  touched uuid[];
  frozen record;
BEGIN
  IF pg_trigger_depth() > 1 THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF EXISTS (SELECT 1 FROM new_rows n WHERE NOT EXISTS (
                 SELECT 1 FROM training_datasets d
                  WHERE d.id = n.dataset_id AND d.org_id = n.org_id)) THEN
      RAISE EXCEPTION 'dataset example rows must belong to a dataset of their organisation'
        USING ERRCODE = '{FOREIGN_SQLSTATE}';
    END IF;
    touched := ARRAY(SELECT DISTINCT dataset_id FROM new_rows);
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    touched := coalesce(touched, '{{}}') || ARRAY(SELECT DISTINCT dataset_id FROM old_rows);
  END IF;
  PERFORM 1 FROM training_datasets d WHERE d.id = ANY(touched) FOR SHARE;
  SELECT d.id, d.version INTO frozen
    FROM training_datasets d WHERE d.id = ANY(touched) AND d.status = 'FROZEN' LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'training dataset % (version %) is frozen: % of its examples refused',
      frozen.id, frozen.version, TG_OP USING ERRCODE = '{FROZEN_SQLSTATE}';
  END IF;
  PERFORM learnloop_refresh_dataset_stats(touched);
  RETURN NULL;
END $$
"""

# A draft's stats follow edits of its examples' quality score or type.
EXAMPLES_EDITED = """
CREATE FUNCTION learnloop_learning_examples_edited() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM learnloop_refresh_dataset_stats(ARRAY(
    SELECT DISTINCT de.dataset_id
      FROM new_rows n
      JOIN old_rows o ON o.id = n.id
      JOIN dataset_examples de ON de.example_id = n.id
      JOIN training_datasets d ON d.id = de.dataset_id AND d.status = 'DRAFT'
     WHERE n.quality_score IS DISTINCT FROM o.quality_score
        OR n.example_type IS DISTINCT FROM o.example_type));
  RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.add_column("dataset_examples", sa.Column("snapshot", postgresql.JSONB(), nullable=True))
    op.execute(CONTENT_VIEW)
    op.execute(f"REVOKE ALL ON dataset_example_contents FROM {APP_ROLE}")
    op.execute(f"GRANT SELECT ON dataset_example_contents TO {APP_ROLE}")
    op.execute(REFRESH_STATS)
    op.execute(GUARD_DATASET)
    op.execute(
        "CREATE TRIGGER guard_frozen BEFORE INSERT OR UPDATE OR DELETE ON training_datasets "
        "FOR EACH ROW EXECUTE FUNCTION learnloop_guard_training_dataset()"
    )
    op.execute(GUARD_EXAMPLES)
    for event, referencing in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    ):
        op.execute(
            f"CREATE TRIGGER guard_and_stats_{event.lower()} AFTER {event} ON dataset_examples "
            f"REFERENCING {referencing} FOR EACH STATEMENT "
            "EXECUTE FUNCTION learnloop_dataset_examples_changed()"
        )
    op.execute(EXAMPLES_EDITED)
    op.execute(
        "CREATE TRIGGER dataset_stats AFTER UPDATE ON learning_examples "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION learnloop_learning_examples_edited()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS dataset_stats ON learning_examples")
    op.execute("DROP FUNCTION IF EXISTS learnloop_learning_examples_edited()")
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS guard_and_stats_{event} ON dataset_examples")
    op.execute("DROP FUNCTION IF EXISTS learnloop_dataset_examples_changed()")
    op.execute("DROP TRIGGER IF EXISTS guard_frozen ON training_datasets")
    op.execute("DROP FUNCTION IF EXISTS learnloop_guard_training_dataset()")
    op.execute("DROP FUNCTION IF EXISTS learnloop_refresh_dataset_stats(uuid[])")
    op.execute("DROP VIEW IF EXISTS dataset_example_contents")
    op.drop_column("dataset_examples", "snapshot")
