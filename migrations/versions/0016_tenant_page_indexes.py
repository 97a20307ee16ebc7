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


def upgrade() -> None:
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
    op.drop_index(AGENT_QUEUE_INDEX, table_name="learning_examples")
    op.drop_index(DOMAIN_INDEX, table_name="learning_examples")
    op.create_index(DOMAIN_INDEX, "learning_examples", ["org_id", "domain"])
    for table, (old, columns), (new, _) in reversed(REPLACED):
        op.create_index(old, table, columns)
        op.drop_index(new, table_name=table)
