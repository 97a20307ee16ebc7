"""Initial schema: every table of DESIGN.md (row-level security comes in 0002).

Written by hand and frozen: it imports nothing from learnloop, so later changes to the models
never change what this revision does. Constraint names follow the models' naming convention
(pk_<table>, fk_<table>_<column>_<referred table>, uq_<table>_<columns>, ck_<table>_<name>);
indexes are named explicitly. `tests.storage.drift.schema_drift` checks that the
models and the migrated database agree.

Revision ID: 0001_initial_schema
Revises:
Create Date: 2025-11-24
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_initial_schema"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("VIEWER", "MEMBER", "EXPERT", "MANAGER", "ADMIN")
VARIANTS = ("CONTROL", "TREATMENT")
FEEDBACK_TYPES = (
    "THUMBS_UP",
    "THUMBS_DOWN",
    "STAR_RATING",
    "DETAILED_FEEDBACK",
    "CORRECTION",
    "REPORT_ISSUE",
)
TYPE_GROUPS = ("THUMBS", "RATING", "DETAILED", "CORRECTION", "ISSUE")
ISSUE_CATEGORIES = (
    "INCORRECT",
    "INCOMPLETE",
    "UNCLEAR",
    "HALLUCINATION",
    "OFF_TOPIC",
    "UNSAFE",
    "FORMATTING",
    "OTHER",
)
EXAMPLE_TYPES = (
    "POSITIVE",
    "NEGATIVE",
    "CORRECTION",
    "DEMONSTRATION",
    "EDGE_CASE",
    "FAILURE",
    "PREFERENCE",
)
REVIEW_STATUSES = ("PENDING", "IN_REVIEW", "APPROVED", "REJECTED")
DATASET_STATUSES = ("DRAFT", "FROZEN")
SPLITS = ("TRAIN", "VALIDATION", "TEST")
TRAINING_TYPES = (
    "PROMPT_OPTIMIZATION",
    "RAG_TUNING",
    "BEHAVIOR_CLONING",
    "FINE_TUNING",
    "DPO",
    "RLHF",
)
RUN_STATUSES = ("PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED")
RUN_REVIEW_STATUSES = ("UNREVIEWED", "APPROVED", "REJECTED")
EXPERIMENT_STATUSES = ("DRAFT", "RUNNING", "PAUSED", "COMPLETED", "CANCELLED")
WINNERS = ("CONTROL", "TREATMENT", "INCONCLUSIVE")

# Reverse creation order; agents.active_deployment_id is dropped before any of them.
TABLES = (
    "organizations",
    "users",
    "memberships",
    "api_keys",
    "audit_log",
    "agents",
    "learning_experiments",
    "experiment_assignments",
    "executions",
    "agent_feedback",
    "experiment_outcomes",
    "learning_examples",
    "example_history",
    "expert_annotations",
    "training_datasets",
    "dataset_examples",
    "training_runs",
    "training_run_events",
    "deployments",
)

# --- column and constraint builders (local to this revision, so it stays frozen) -----------


def uuid(name: str, *, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.Uuid(), nullable=nullable)


def txt(name: str, *, nullable: bool = True, default: str | None = None) -> sa.Column[Any]:
    server_default = sa.text(f"'{default}'") if default is not None else None
    return sa.Column(name, sa.Text(), server_default=server_default, nullable=nullable)


def tstz(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def jsonb(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    default = None if nullable else sa.text("'{}'::jsonb")
    return sa.Column(name, postgresql.JSONB(), server_default=default, nullable=nullable)


def text_array(name: str) -> sa.Column[Any]:
    return sa.Column(
        name, postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False
    )


def double(name: str, *, nullable: bool = True, default: str | None = None) -> sa.Column[Any]:
    server_default = sa.text(default) if default is not None else None
    return sa.Column(name, sa.Double(), server_default=server_default, nullable=nullable)


def integer(name: str, default: str | None = None) -> sa.Column[Any]:
    server_default = sa.text(default) if default is not None else None
    return sa.Column(name, sa.Integer(), server_default=server_default, nullable=False)


def smallint(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.SmallInteger(), nullable=True)


def boolean(name: str, default: str | None = None, *, nullable: bool = False) -> sa.Column[Any]:
    server_default = sa.text(default) if default is not None else None
    return sa.Column(name, sa.Boolean(), server_default=server_default, nullable=nullable)


def fk(
    table: str, column: str, referred: str, ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{referred}.id"], name=f"fk_{table}_{column}_{referred}", ondelete=ondelete
    )


def check(table: str, name: str, sql: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(sql, name=f"ck_{table}_{name}")


def one_of(table: str, column: str, values: Sequence[str]) -> sa.CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return check(table, column, f"{column} IN ({listed})")


def between(table: str, column: str, low: int, high: int) -> sa.CheckConstraint:
    return check(table, f"{column}_range", f"{column} BETWEEN {low} AND {high}")


def unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=f"uq_{table}_{'_'.join(columns)}")


def table(
    name: str,
    *items: sa.Column[Any] | sa.Constraint,
    tenant: bool = True,
    updated_at: bool = False,
) -> None:
    """CREATE TABLE with the common columns: id, [org_id], ..., created_at, [updated_at]."""
    head: list[sa.Column[Any] | sa.Constraint] = [
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False)
    ]
    tail: list[sa.Column[Any] | sa.Constraint] = [
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        )
    ]
    if tenant:
        head.append(uuid("org_id", nullable=False))
        tail.append(fk(name, "org_id", "organizations", "CASCADE"))
    if updated_at:
        tail.insert(
            1,
            sa.Column(
                "updated_at",
                sa.DateTime(timezone=True),
                server_default=sa.text("now()"),
                nullable=False,
            ),
        )
    tail.append(sa.PrimaryKeyConstraint("id", name=f"pk_{name}"))
    op.create_table(name, *head, *items, *tail)


def index(
    table: str,
    name: str,
    *columns: str | sa.TextClause,
    where: str | None = None,
    is_unique: bool = False,
    using: str | None = None,
) -> None:
    op.create_index(
        name,
        table,
        list(columns),
        unique=is_unique,
        postgresql_where=sa.text(where) if where is not None else None,
        postgresql_using=using,
    )


# --- upgrade -------------------------------------------------------------------------------


def upgrade() -> None:
    # gen_random_uuid() is built in from PostgreSQL 13 on; no extension needed.
    _identity()
    _agents_and_experiments()
    _feedback_and_examples()
    _datasets_runs_deployments()


def _identity() -> None:
    table(
        "organizations",
        txt("slug", nullable=False),
        txt("name", nullable=False),
        jsonb("settings"),
        unique("organizations", "slug"),
        check("organizations", "slug_format", "slug ~ '^[a-z0-9][a-z0-9-]*$'"),
        tenant=False,
        updated_at=True,
    )
    table(
        "users",
        txt("email", nullable=False),
        txt("display_name"),
        unique("users", "email"),
        check("users", "email_lowercase", "email = lower(email)"),
        tenant=False,
        updated_at=True,
    )
    table(
        "memberships",
        uuid("user_id", nullable=False),
        txt("role", nullable=False),
        fk("memberships", "user_id", "users", "CASCADE"),
        unique("memberships", "org_id", "user_id"),
        one_of("memberships", "role", ROLES),
        updated_at=True,
    )
    index("memberships", "ix_memberships_org_id_created_at_id", "org_id", "created_at", "id")
    index("memberships", "ix_memberships_user_id", "user_id")

    table(
        "api_keys",
        txt("name", nullable=False),
        txt("prefix", nullable=False),
        sa.Column("key_hash", postgresql.BYTEA(), nullable=False),
        txt("role", nullable=False),
        uuid("created_by_user_id"),
        tstz("last_used_at"),
        tstz("revoked_at"),
        tstz("expires_at"),
        fk("api_keys", "created_by_user_id", "users", "SET NULL"),
        unique("api_keys", "key_hash"),
        one_of("api_keys", "role", ROLES),
        check("api_keys", "key_hash_sha256", "octet_length(key_hash) = 32"),
    )
    index("api_keys", "ix_api_keys_org_id_created_at_id", "org_id", "created_at", "id")

    table(
        "audit_log",
        uuid("actor_user_id"),
        txt("actor_key", nullable=False),
        txt("action", nullable=False),
        txt("target_type"),
        uuid("target_id"),
        jsonb("data"),
        txt("request_id"),
        fk("audit_log", "actor_user_id", "users", "SET NULL"),
    )
    index("audit_log", "ix_audit_log_org_id_created_at_id", "org_id", "created_at", "id")
    index(
        "audit_log",
        "ix_audit_log_org_id_target_type_target_id_created_at",
        "org_id",
        "target_type",
        "target_id",
        "created_at",
    )


def _agents_and_experiments() -> None:
    table(
        "agents",
        txt("key", nullable=False),
        txt("name"),
        txt("description"),
        # Its foreign key to deployments is added once deployments exists (end of upgrade).
        uuid("active_deployment_id"),
        unique("agents", "org_id", "key"),
        updated_at=True,
    )
    index("agents", "ix_agents_org_id_created_at_id", "org_id", "created_at", "id")

    t = "learning_experiments"
    table(
        t,
        uuid("agent_id", nullable=False),
        txt("name", nullable=False),
        txt("hypothesis"),
        txt("status", nullable=False, default="DRAFT"),
        jsonb("control_config"),
        jsonb("treatment_config"),
        double("control_percentage", nullable=False, default="50"),
        double("treatment_percentage", nullable=False, default="50"),
        txt("primary_metric", nullable=False),
        integer("minimum_sample_size", "100"),
        jsonb("results"),
        txt("winner"),
        double("statistical_significance"),
        tstz("started_at"),
        tstz("ended_at"),
        uuid("created_by_user_id"),
        fk(t, "agent_id", "agents", "CASCADE"),
        fk(t, "created_by_user_id", "users", "SET NULL"),
        one_of(t, "status", EXPERIMENT_STATUSES),
        one_of(t, "winner", WINNERS),
        between(t, "control_percentage", 0, 100),
        between(t, "treatment_percentage", 0, 100),
        check(t, "percentages_sum", "abs(control_percentage + treatment_percentage - 100) <= 1e-6"),
        check(t, "minimum_sample_size_positive", "minimum_sample_size >= 1"),
        between(t, "statistical_significance", 0, 1),
        updated_at=True,
    )
    index(t, "ix_learning_experiments_org_id_created_at_id", "org_id", "created_at", "id")
    index(t, "ix_learning_experiments_org_id_agent_id_status", "org_id", "agent_id", "status")

    t = "experiment_assignments"
    table(
        t,
        uuid("experiment_id", nullable=False),
        txt("unit_id", nullable=False),
        txt("variant", nullable=False),
        fk(t, "experiment_id", "learning_experiments", "CASCADE"),
        unique(t, "experiment_id", "unit_id"),
        one_of(t, "variant", VARIANTS),
    )

    t = "executions"
    table(
        t,
        uuid("agent_id", nullable=False),
        txt("key", nullable=False),
        txt("input"),
        txt("output"),
        jsonb("metadata"),
        uuid("experiment_id"),
        txt("variant"),
        boolean("is_stub", "false"),
        fk(t, "agent_id", "agents", "CASCADE"),
        fk(t, "experiment_id", "learning_experiments", "SET NULL"),
        unique(t, "org_id", "agent_id", "key"),
        one_of(t, "variant", VARIANTS),
        updated_at=True,
    )
    index(
        t, "ix_executions_org_id_agent_id_created_at_id", "org_id", "agent_id", "created_at", "id"
    )
    index(t, "ix_executions_org_id_created_at_id", "org_id", "created_at", "id")
    index(t, "ix_executions_experiment_id", "experiment_id", where="experiment_id IS NOT NULL")


def _feedback_and_examples() -> None:
    t = "agent_feedback"
    type_group_matches = (
        "(type_group = 'THUMBS' AND feedback_type IN ('THUMBS_UP', 'THUMBS_DOWN'))"
        " OR (type_group = 'RATING' AND feedback_type IN ('STAR_RATING'))"
        " OR (type_group = 'DETAILED' AND feedback_type IN ('DETAILED_FEEDBACK'))"
        " OR (type_group = 'CORRECTION' AND feedback_type IN ('CORRECTION'))"
        " OR (type_group = 'ISSUE' AND feedback_type IN ('REPORT_ISSUE'))"
    )
    categories = ", ".join(f"'{c}'" for c in ISSUE_CATEGORIES)
    rating_columns = (
        "rating",
        "accuracy_rating",
        "helpfulness_rating",
        "clarity_rating",
        "completeness_rating",
    )
    table(
        t,
        uuid("execution_id", nullable=False),
        uuid("agent_id", nullable=False),
        txt("author_key", nullable=False),
        uuid("author_user_id"),
        txt("feedback_type", nullable=False),
        txt("type_group", nullable=False),
        smallint("rating"),
        txt("feedback_text"),
        txt("correction_text"),
        text_array("issue_categories"),
        smallint("accuracy_rating"),
        smallint("helpfulness_rating"),
        smallint("clarity_rating"),
        smallint("completeness_rating"),
        txt("idempotency_key"),
        fk(t, "execution_id", "executions", "CASCADE"),
        fk(t, "agent_id", "agents", "CASCADE"),
        fk(t, "author_user_id", "users", "SET NULL"),
        unique(t, "org_id", "execution_id", "author_key", "type_group"),
        one_of(t, "feedback_type", FEEDBACK_TYPES),
        one_of(t, "type_group", TYPE_GROUPS),
        check(t, "type_group_matches", type_group_matches),
        check(t, "issue_categories", f"issue_categories <@ ARRAY[{categories}]::text[]"),
        check(t, "star_rating_has_rating", "feedback_type <> 'STAR_RATING' OR rating IS NOT NULL"),
        check(
            t,
            "correction_has_text",
            "feedback_type <> 'CORRECTION' OR correction_text IS NOT NULL",
        ),
        *(between(t, column, 1, 5) for column in rating_columns),
        updated_at=True,
    )
    index(
        t,
        "uq_agent_feedback_org_id_idempotency_key",
        "org_id",
        "idempotency_key",
        is_unique=True,
        where="idempotency_key IS NOT NULL",
    )
    index(
        t,
        "ix_agent_feedback_org_id_agent_id_created_at_id",
        "org_id",
        "agent_id",
        "created_at",
        "id",
    )
    index(t, "ix_agent_feedback_org_id_created_at_id", "org_id", "created_at", "id")
    index(t, "ix_agent_feedback_org_id_execution_id", "org_id", "execution_id")
    index(t, "ix_agent_feedback_issue_categories", "issue_categories", using="gin")

    t = "experiment_outcomes"
    table(
        t,
        uuid("experiment_id", nullable=False),
        txt("unit_id", nullable=False),
        txt("variant", nullable=False),
        txt("metric", nullable=False),
        double("value", nullable=False),
        uuid("execution_id"),
        uuid("feedback_id"),
        fk(t, "experiment_id", "learning_experiments", "CASCADE"),
        fk(t, "execution_id", "executions", "SET NULL"),
        fk(t, "feedback_id", "agent_feedback", "SET NULL"),
        one_of(t, "variant", VARIANTS),
    )
    index(
        t,
        "ix_experiment_outcomes_experiment_id_metric_variant",
        "experiment_id",
        "metric",
        "variant",
    )
    index(
        t,
        "uq_experiment_outcomes_feedback_id_metric",
        "feedback_id",
        "metric",
        is_unique=True,
        where="feedback_id IS NOT NULL",
    )

    t = "learning_examples"
    table(
        t,
        uuid("agent_id"),
        uuid("execution_id"),
        uuid("source_feedback_id"),
        uuid("author_user_id"),
        txt("author_key"),
        txt("example_type", nullable=False),
        txt("domain"),
        txt("task_type"),
        txt("input_text", nullable=False),
        txt("expected_output"),
        txt("original_output"),
        jsonb("metadata"),
        double("quality_score"),
        txt("review_status", nullable=False, default="PENDING"),
        integer("priority", "0"),
        boolean("is_gold", "false"),
        boolean("gold_verdict", nullable=True),
        uuid("lease_holder_user_id"),
        tstz("lease_expires_at"),
        uuid("assigned_to_user_id"),
        integer("annotations_count", "0"),
        tstz("decided_at"),
        fk(t, "agent_id", "agents", "SET NULL"),
        fk(t, "execution_id", "executions", "SET NULL"),
        fk(t, "source_feedback_id", "agent_feedback", "SET NULL"),
        fk(t, "author_user_id", "users", "SET NULL"),
        fk(t, "lease_holder_user_id", "users", "SET NULL"),
        fk(t, "assigned_to_user_id", "users", "SET NULL"),
        one_of(t, "example_type", EXAMPLE_TYPES),
        one_of(t, "review_status", REVIEW_STATUSES),
        between(t, "quality_score", 0, 1),
        check(t, "annotations_count_nonnegative", "annotations_count >= 0"),
        check(
            t, "lease_has_expiry", "lease_holder_user_id IS NULL OR lease_expires_at IS NOT NULL"
        ),
        updated_at=True,
    )
    index(
        t,
        "uq_learning_examples_org_id_source_feedback_id",
        "org_id",
        "source_feedback_id",
        is_unique=True,
        where="source_feedback_id IS NOT NULL",
    )
    index(t, "ix_learning_examples_org_id_created_at_id", "org_id", "created_at", "id")
    index(
        t,
        "ix_learning_examples_queue",
        "org_id",
        "review_status",
        sa.text("priority DESC"),
        "created_at",
        "id",
    )
    index(
        t,
        "ix_learning_examples_org_id_agent_id_created_at_id",
        "org_id",
        "agent_id",
        "created_at",
        "id",
    )
    index(t, "ix_learning_examples_org_id_domain", "org_id", "domain")
    index(
        t,
        "ix_learning_examples_lease_expires_at",
        "org_id",
        "lease_expires_at",
        where="review_status = 'IN_REVIEW'",
    )
    index(t, "ix_learning_examples_execution_id", "execution_id", where="execution_id IS NOT NULL")

    t = "example_history"
    table(
        t,
        uuid("example_id", nullable=False),
        txt("field", nullable=False),
        txt("previous_value"),
        uuid("changed_by_user_id"),
        fk(t, "example_id", "learning_examples", "CASCADE"),
        fk(t, "changed_by_user_id", "users", "SET NULL"),
    )
    index(
        t,
        "ix_example_history_org_id_example_id_created_at_id",
        "org_id",
        "example_id",
        "created_at",
        "id",
    )

    t = "expert_annotations"
    score_columns = ("technical_accuracy", "professional_quality", "completeness", "clarity")
    table(
        t,
        uuid("example_id", nullable=False),
        uuid("annotator_user_id", nullable=False),
        boolean("approved"),
        *(double(column, nullable=False) for column in score_columns),
        txt("corrected_output"),
        txt("notes"),
        txt("improvement_suggestions"),
        fk(t, "example_id", "learning_examples", "CASCADE"),
        fk(t, "annotator_user_id", "users"),
        unique(t, "example_id", "annotator_user_id"),
        *(between(t, column, 0, 1) for column in score_columns),
    )
    index(t, "ix_expert_annotations_org_id_example_id", "org_id", "example_id")
    index(
        t,
        "ix_expert_annotations_org_id_annotator_user_id_created_at_id",
        "org_id",
        "annotator_user_id",
        "created_at",
        "id",
    )
    index(t, "ix_expert_annotations_org_id_created_at_id", "org_id", "created_at", "id")


def _datasets_runs_deployments() -> None:
    t = "training_datasets"
    split_columns = ("split_train", "split_validation", "split_test")
    table(
        t,
        uuid("lineage_id", nullable=False),
        integer("version", "1"),
        uuid("parent_id"),
        txt("name", nullable=False),
        txt("description"),
        txt("status", nullable=False, default="DRAFT"),
        text_array("agent_ids"),
        text_array("domains"),
        text_array("task_types"),
        double("split_train", nullable=False, default="0.8"),
        double("split_validation", nullable=False, default="0.1"),
        double("split_test", nullable=False, default="0.1"),
        boolean("allow_pending", "false"),
        boolean("stratify_by_type", "false"),
        integer("total_examples", "0"),
        double("avg_quality_score"),
        jsonb("stats"),
        tstz("frozen_at"),
        uuid("created_by_user_id"),
        fk(t, "parent_id", "training_datasets", "SET NULL"),
        fk(t, "created_by_user_id", "users", "SET NULL"),
        unique(t, "org_id", "lineage_id", "version"),
        one_of(t, "status", DATASET_STATUSES),
        check(t, "version_positive", "version >= 1"),
        *(between(t, column, 0, 1) for column in split_columns),
        check(t, "splits_sum", "abs(split_train + split_validation + split_test - 1) <= 1e-6"),
        check(t, "total_examples_nonnegative", "total_examples >= 0"),
        between(t, "avg_quality_score", 0, 1),
        check(t, "frozen_at_set", "(status = 'FROZEN') = (frozen_at IS NOT NULL)"),
        updated_at=True,
    )
    index(t, "ix_training_datasets_org_id_created_at_id", "org_id", "created_at", "id")

    t = "dataset_examples"
    table(
        t,
        uuid("dataset_id", nullable=False),
        uuid("example_id", nullable=False),
        txt("split", nullable=False),
        double("weight", nullable=False, default="1.0"),
        fk(t, "dataset_id", "training_datasets", "CASCADE"),
        fk(t, "example_id", "learning_examples"),
        unique(t, "dataset_id", "example_id"),
        one_of(t, "split", SPLITS),
        check(t, "weight_positive", "weight > 0"),
    )
    index(t, "ix_dataset_examples_org_id_example_id", "org_id", "example_id")
    index(t, "ix_dataset_examples_dataset_id_split_id", "dataset_id", "split", "id")

    t = "training_runs"
    table(
        t,
        uuid("dataset_id", nullable=False),
        uuid("agent_id"),
        txt("training_type", nullable=False),
        jsonb("config"),
        txt("status", nullable=False, default="PENDING"),
        double("progress", nullable=False, default="0"),
        jsonb("metrics"),
        jsonb("result", nullable=True),
        txt("error"),
        integer("attempts", "0"),
        integer("max_attempts", "3"),
        txt("lease_owner"),
        tstz("lease_expires_at"),
        boolean("cancel_requested", "false"),
        txt("review_status", nullable=False, default="UNREVIEWED"),
        txt("review_notes"),
        uuid("reviewed_by_user_id"),
        tstz("reviewed_at"),
        uuid("created_by_user_id"),
        tstz("started_at"),
        tstz("finished_at"),
        fk(t, "dataset_id", "training_datasets"),
        fk(t, "agent_id", "agents", "SET NULL"),
        fk(t, "reviewed_by_user_id", "users", "SET NULL"),
        fk(t, "created_by_user_id", "users", "SET NULL"),
        one_of(t, "training_type", TRAINING_TYPES),
        one_of(t, "status", RUN_STATUSES),
        one_of(t, "review_status", RUN_REVIEW_STATUSES),
        between(t, "progress", 0, 1),
        check(t, "attempts_nonnegative", "attempts >= 0"),
        check(t, "max_attempts_positive", "max_attempts >= 1"),
        updated_at=True,
    )
    index(t, "ix_training_runs_org_id_created_at_id", "org_id", "created_at", "id")
    index(t, "ix_training_runs_org_id_status_created_at_id", "org_id", "status", "created_at", "id")
    index(t, "ix_training_runs_org_id_dataset_id", "org_id", "dataset_id")
    index(t, "ix_training_runs_pending", "status", "created_at", where="status = 'PENDING'")
    index(
        t,
        "ix_training_runs_running_lease",
        "status",
        "lease_expires_at",
        where="status = 'RUNNING'",
    )

    t = "training_run_events"
    table(
        t,
        uuid("run_id", nullable=False),
        txt("kind", nullable=False),
        txt("message"),
        jsonb("data"),
        fk(t, "run_id", "training_runs", "CASCADE"),
    )
    index(t, "ix_training_run_events_run_id_created_at_id", "run_id", "created_at", "id")

    t = "deployments"
    table(
        t,
        uuid("agent_id", nullable=False),
        uuid("training_run_id", nullable=False),
        jsonb("config"),
        sa.Column("version", sa.Integer(), nullable=False),
        uuid("deployed_by_user_id"),
        fk(t, "agent_id", "agents", "CASCADE"),
        fk(t, "training_run_id", "training_runs"),
        fk(t, "deployed_by_user_id", "users", "SET NULL"),
        unique(t, "agent_id", "version"),
        check(t, "version_positive", "version >= 1"),
    )
    index(
        t, "ix_deployments_org_id_agent_id_created_at_id", "org_id", "agent_id", "created_at", "id"
    )

    # agents -> deployments closes the agents/deployments/training_runs cycle.
    op.create_foreign_key(
        "fk_agents_active_deployment_id_deployments",
        "agents",
        "deployments",
        ["active_deployment_id"],
        ["id"],
        ondelete="SET NULL",
    )


# --- downgrade -----------------------------------------------------------------------------


def downgrade() -> None:
    op.drop_constraint("fk_agents_active_deployment_id_deployments", "agents", type_="foreignkey")
    for name in reversed(TABLES):
        op.drop_table(name)  # drops the table's indexes and constraints with it
