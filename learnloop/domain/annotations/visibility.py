"""What each viewer may see of an example under review (blind mode, running scores)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from learnloop.domain.annotations.queue import (
    QueuePolicy,
)
from learnloop.domain.learning_examples import LearningExampleRecord, ReviewStatus
from learnloop.domain.principal import Principal
from learnloop.domain.roles import Role

# Matches no user: "my annotations" or "assigned to me" for a caller who is not a user (an API key).
NOBODY = UUID(int=0)

# --- who may see what ------------------------------------------------------------------------


def is_manager(principal: Principal) -> bool:
    return principal.role is not None and principal.role.includes(Role.MANAGER)


def leased(example: LearningExampleRecord, now: datetime) -> bool:
    return shown_lease(example, now) is not None


def undecided_to(principal: Principal, example: LearningExampleRecord) -> bool:
    """Gold items look undecided to everyone below MANAGER (they must not stand out)."""
    return not example.decided or (example.is_gold and not is_manager(principal))


def shown_status(
    principal: Principal, example: LearningExampleRecord, now: datetime
) -> ReviewStatus:
    """The status a viewer sees: an expired lease is PENDING again (the next claim sweeps it);
    below MANAGER a gold item shows its queue state, not its own status."""
    if example.is_gold and not is_manager(principal):
        return ReviewStatus.IN_REVIEW if leased(example, now) else ReviewStatus.PENDING
    if (
        example.review_status is ReviewStatus.IN_REVIEW
        and not example.is_gold
        and not example.needs_adjudication
        and not leased(example, now)
    ):
        return ReviewStatus.PENDING
    return example.review_status


def sees_all_annotations(
    principal: Principal, policy: QueuePolicy, example: LearningExampleRecord
) -> bool:
    """Blind mode: below MANAGER, only one's own annotations of an undecided example."""
    return not policy.blind or is_manager(principal) or not undecided_to(principal, example)


def shown_quality(
    principal: Principal, policy: QueuePolicy, example: LearningExampleRecord
) -> float | None:
    """Before the decision the score is the running mean of the annotations so far: blind."""
    if is_manager(principal) or not undecided_to(principal, example):
        return example.quality_score
    if example.is_gold or policy.blind:
        return None
    return example.quality_score


@dataclass(frozen=True)
class Lease:
    """A lease as shown: its holder and end, only while it lasts."""

    holder_user_id: UUID
    expires_at: datetime


def shown_lease(example: LearningExampleRecord, now: datetime) -> Lease | None:
    """An expired lease is no lease: its holder and end are not shown."""
    holder, ends = example.lease_holder_user_id, example.lease_expires_at
    if holder is None or ends is None or ends <= now:
        return None
    return Lease(holder, ends)


@dataclass(frozen=True)
class Gold:
    """Whether an example is a gold item, and its known verdict."""

    is_gold: bool
    verdict: bool | None


def shown_gold(principal: Principal, example: LearningExampleRecord) -> Gold | None:
    """Gold items measure the annotators, so only MANAGER and up may tell them apart."""
    if not is_manager(principal):
        return None
    return Gold(example.is_gold, example.gold_verdict)


def annotations_shown_to(
    principal: Principal, policy: QueuePolicy, example: LearningExampleRecord
) -> UUID | None:
    """Whose annotations of the example a viewer sees: everyone's (None), or only their own.

    A viewer who is not a user (an API key) has no annotations of their own: `NOBODY` matches none.
    """
    if sees_all_annotations(principal, policy, example):
        return None
    return principal.user_id or NOBODY
