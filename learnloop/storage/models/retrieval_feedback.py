"""Retrieval feedback: one row per chunk an agent retrieved for one execution, and whether it helped."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, func
from sqlalchemy.orm import Mapped, mapped_column

from learnloop.storage.models.base import Base


class RetrievalFeedbackRow(Base):
    __tablename__ = "retrieval_feedback"
    __table_args__ = (
        Index("ix_retrieval_feedback_agent_created", "org_id", "agent_key", "created_at"),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    agent_key: Mapped[str] = mapped_column(primary_key=True)
    execution_key: Mapped[str] = mapped_column(primary_key=True)
    chunk_id: Mapped[str] = mapped_column(primary_key=True)
    query: Mapped[str]
    rank: Mapped[int]
    score: Mapped[float | None]
    helpful: Mapped[bool]
    token_count: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
