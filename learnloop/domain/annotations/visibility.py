"""What each viewer may see of an example under review (blind mode, running scores)."""

from __future__ import annotations

from datetime import datetime

from learnloop.domain.annotations.queue import (
    QueuePolicy,
)
from learnloop.domain.learning_examples import LearningExampleRecord, ReviewStatus
from learnloop.domain.principal import Principal
from learnloop.domain.roles import Role

# --- who may see what ------------------------------------------------------------------------


def is_manager(principal: Principal) -> bool:
    return principal.role is not None and principal.role.includes(Role.MANAGER)


def leased(example: LearningExampleRecord, now: datetime) -> bool:
    return (
        example.lease_holder_user_id is not None
        and example.lease_expires_at is not None
        and example.lease_expires_at > now
    )


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
