"""Agent feedback: what a person (or end user) said about one execution."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from learnloop.domain.feedback.records import TYPE_GROUP, FeedbackType, IssueCategory, TypeGroup
from learnloop.storage.models.base import Base, IdMixin, OrgMixin, UpdatedAtMixin, enum_check

FEEDBACK_TYPES = tuple(t.value for t in FeedbackType)
TYPE_GROUPS = tuple(g.value for g in TypeGroup)
# feedback_type -> type_group; "one person, one opinion" is unique per type group.
TYPE_GROUP_OF: dict[str, str] = {t.value: g.value for t, g in TYPE_GROUP.items()}
ISSUE_CATEGORIES = tuple(c.value for c in IssueCategory)
RATING_COLUMNS = (
    "rating",
    "accuracy_rating",
    "helpfulness_rating",
    "clarity_rating",
    "completeness_rating",
)

STATS_COLUMNS = ("feedback_type", *RATING_COLUMNS, "issue_categories")


def _type_group_matches() -> str:
    groups: dict[str, list[str]] = {}
    for feedback_type, group in TYPE_GROUP_OF.items():
        groups.setdefault(group, []).append(f"'{feedback_type}'")
    return " OR ".join(
        f"(type_group = '{group}' AND feedback_type IN ({', '.join(types)}))"
        for group, types in groups.items()
    )


def _issue_categories_known() -> str:
    listed = ", ".join(f"'{c}'" for c in ISSUE_CATEGORIES)
    return f"issue_categories <@ ARRAY[{listed}]::text[]"


class AgentFeedback(IdMixin, OrgMixin, UpdatedAtMixin, Base):
    __tablename__ = "agent_feedback"
    __table_args__ = (
        UniqueConstraint("org_id", "execution_id", "author_key", "type_group"),
        CheckConstraint(enum_check("feedback_type", FEEDBACK_TYPES), name="feedback_type"),
        CheckConstraint(enum_check("type_group", TYPE_GROUPS), name="type_group"),
        CheckConstraint(_type_group_matches(), name="type_group_matches"),
        CheckConstraint(_issue_categories_known(), name="issue_categories"),
        CheckConstraint(
            "feedback_type <> 'STAR_RATING' OR rating IS NOT NULL", name="star_rating_has_rating"
        ),
        CheckConstraint(
            "feedback_type <> 'CORRECTION' OR correction_text IS NOT NULL",
            name="correction_has_text",
        ),
        *(
            CheckConstraint(f"{column} BETWEEN 1 AND 5", name=f"{column}_range")
            for column in RATING_COLUMNS
        ),
        # The listing indexes also carry what statistics read: index-only scans per window.
        Index(
            "ix_agent_feedback_org_id_agent_id_created_at_id",
            "org_id",
            "agent_id",
            "created_at",
            "id",
            postgresql_include=list(STATS_COLUMNS),
        ),
        Index(
            "ix_agent_feedback_org_id_created_at_id",
            "org_id",
            "created_at",
            "id",
            postgresql_include=list(STATS_COLUMNS),
        ),
        Index(
            "ix_agent_feedback_org_id_execution_id_created_at_id",
            "org_id",
            "execution_id",
            "created_at",
            "id",
        ),
        Index("ix_agent_feedback_issue_categories", "issue_categories", postgresql_using="gin"),
    )

    execution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"))
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    # Who gave it: a user id, an API key id, or "enduser:<id>" ("one person, one opinion").
    author_key: Mapped[str]
    author_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    feedback_type: Mapped[str]
    type_group: Mapped[str]
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    feedback_text: Mapped[str | None]
    correction_text: Mapped[str | None]
    issue_categories: Mapped[list[str]] = mapped_column(server_default=text("'{}'::text[]"))
    accuracy_rating: Mapped[int | None] = mapped_column(SmallInteger)
    helpfulness_rating: Mapped[int | None] = mapped_column(SmallInteger)
    clarity_rating: Mapped[int | None] = mapped_column(SmallInteger)
    completeness_rating: Mapped[int | None] = mapped_column(SmallInteger)
    idempotency_key: Mapped[str | None]


class FeedbackIdempotencyKey(IdMixin, OrgMixin, Base):
    """Every idempotency key a submission used, and the feedback it stored (retries find it)."""

    __tablename__ = "feedback_idempotency_keys"
    __table_args__ = (
        UniqueConstraint("org_id", "scope", "key"),
        Index("ix_feedback_idempotency_keys_feedback_id", "feedback_id"),
    )

    # Whose key it is: the author's key, or "token:<id>:<agent>/<execution>" for a widget token.
    scope: Mapped[str]
    key: Mapped[str]
    feedback_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agent_feedback.id", ondelete="CASCADE")
    )
