"""The LLM record/replay cache: one row per distinct chat request of an organisation."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, func
from sqlalchemy.orm import Mapped, mapped_column

from learnloop.storage.models.base import Base, JSONDict


class LlmCacheEntry(Base):
    __tablename__ = "llm_cache"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(primary_key=True)  # sha256 of the canonical request
    model: Mapped[str]
    request: Mapped[JSONDict]
    response: Mapped[JSONDict]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
