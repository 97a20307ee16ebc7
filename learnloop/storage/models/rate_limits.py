"""The rate-limit buckets: one row per principal (see migration 0008 and ADR 0007)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import PrimaryKeyConstraint
from sqlalchemy.orm import Mapped

from learnloop.storage.models.base import Base, OrgMixin


class RateLimitBucket(OrgMixin, Base):
    __tablename__ = "rate_limits"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "principal"),
        {"prefixes": ["UNLOGGED"]},
    )

    principal: Mapped[str]  # the principal's actor key, e.g. "apikey:<id>"
    # GCRA's theoretical arrival time: the bucket is full once it lies in the past.
    tat: Mapped[datetime]
