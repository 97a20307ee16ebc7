"""Page indexes that lead with org_id and match their keyset ORDER BY, so plans need no statistics.

Row-level security adds `org_id = current_org` to every statement. On a freshly loaded table
(no statistics yet) the planner then ANDed a bitmap scan of the page's parent index with one
of an `org_id` index and sorted every row of the parent (10,000 rows, ~50 ms) instead of
walking an index for first+1 rows. An index holding both predicates and the sort order leaves
it one sensible plan:

- dataset_examples (org_id, dataset_id, split, id): a dataset version's examples page.
- dataset_examples (org_id, example_id, created_at, id): an example's dataset memberships.
- expert_annotations (org_id, example_id, created_at, id): an example's annotations.

Each replaces the narrower index it extends (same leading columns), so writes pay nothing extra.

- learning_examples (org_id, domain) becomes partial (WHERE domain IS NOT NULL): its only
  readers ask for named or non-null domains, and as a full index it was the smallest index
  matching `org_id = current_org` alone, so an unfiltered examples page bitmap-scanned it and
  sorted the whole org instead of walking (org_id, created_at, id).
- learning_examples (org_id, agent_id, priority DESC, created_at, id) WHERE open: one agent's
  annotation queue in claim order (it sorted all of the agent's open examples before).

And `learnloop_analyze_after_bulk_write(table, rows)`: SECURITY DEFINER (only the owner may
ANALYZE), called by the service after its own bulk writes (examples added to a dataset, freeze, fork:
one request writing thousands of rows; a batch import is at most 500 rows a request, which
autovacuum's own threshold follows); it analyses a table of that short list when the write is a large share of it
or the table was never analysed, so the next page is planned on real numbers instead of
waiting up to a minute for autovacuum. SKIP_LOCKED: it never waits for another ANALYZE.

Revision ID: 0016_tenant_page_indexes
Revises: 0015_learning_policies
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_tenant_page_indexes"
down_revision: str | None = "0015_learning_policies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table, (old name, old columns), (new name, new columns)
REPLACED: list[tuple[str, tuple[str, list[str]], tuple[str, list[str]]]] = [
    (
        "dataset_examples",
        ("ix_dataset_examples_dataset_id_split_id", ["dataset_id", "split", "id"]),
        (
            "ix_dataset_examples_org_id_dataset_id_split_id",
            ["org_id", "dataset_id", "split", "id"],
        ),
    ),
    (
        "dataset_examples",
        ("ix_dataset_examples_org_id_example_id", ["org_id", "example_id"]),
        (
            "ix_dataset_examples_org_id_example_id_created_at_id",
            ["org_id", "example_id", "created_at", "id"],
        ),
    ),
    (
        "expert_annotations",
        ("ix_expert_annotations_org_id_example_id", ["org_id", "example_id"]),
        (
            "ix_expert_annotations_org_id_example_id_created_at_id",
            ["org_id", "example_id", "created_at", "id"],
        ),
    ),
]


DOMAIN_INDEX = "ix_learning_examples_org_id_domain"
AGENT_QUEUE_INDEX = "ix_learning_examples_claim_agent"
# As migration 0006: the rows the annotation queue lists.
OPEN = "review_status = ANY (ARRAY['PENDING'::text, 'IN_REVIEW'::text]) OR is_gold"


APP_ROLE = "learnloop_app"
ANALYZED = ("dataset_examples",)
ANALYZE_FUNCTION = f"""
CREATE FUNCTION learnloop_analyze_after_bulk_write(p_table text, p_rows integer) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  estimated real;
BEGIN
  IF p_table <> ALL (ARRAY[{", ".join(f"'{t}'" for t in ANALYZED)}]) THEN
    RAISE EXCEPTION 'not a bulk-written table: %', p_table;
  END IF;
  SELECT reltuples INTO estimated FROM pg_class WHERE oid = p_table::regclass;
  -- reltuples is -1 until the first ANALYZE; afterwards skip writes small next to the table.
  IF estimated >= 0 AND p_rows < greatest(500, 0.1 * estimated) THEN
    RETURN false;
  END IF;
  EXECUTE format('ANALYZE (SKIP_LOCKED) %I', p_table);
  RETURN true;
END $$
"""


def upgrade() -> None:
    op.execute(ANALYZE_FUNCTION)
    op.execute(
        "REVOKE ALL ON FUNCTION learnloop_analyze_after_bulk_write(text, integer) FROM PUBLIC"
    )
    op.execute(
        f"GRANT EXECUTE ON FUNCTION learnloop_analyze_after_bulk_write(text, integer) TO {APP_ROLE}"
    )
    for table, (old, _), (new, columns) in REPLACED:
        op.create_index(new, table, columns)
        op.drop_index(old, table_name=table)
    op.drop_index(DOMAIN_INDEX, table_name="learning_examples")
    op.create_index(
        DOMAIN_INDEX,
        "learning_examples",
        ["org_id", "domain"],
        postgresql_where=sa.text("domain IS NOT NULL"),
    )
    op.create_index(
        AGENT_QUEUE_INDEX,
        "learning_examples",
        ["org_id", "agent_id", sa.text("priority DESC"), "created_at", "id"],
        postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS learnloop_analyze_after_bulk_write(text, integer)")
    op.drop_index(AGENT_QUEUE_INDEX, table_name="learning_examples")
    op.drop_index(DOMAIN_INDEX, table_name="learning_examples")
    op.create_index(DOMAIN_INDEX, "learning_examples", ["org_id", "domain"])
    for table, (old, columns), (new, _) in reversed(REPLACED):
        op.create_index(old, table, columns)
        op.drop_index(new, table_name=table)
