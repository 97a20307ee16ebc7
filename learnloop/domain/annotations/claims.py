"""Claiming and releasing leased annotation tasks."""

from __future__ import annotations

from uuid import UUID

from learnloop.domain.annotations.queue import (
    policy_from_settings,
)
from learnloop.domain.annotations.records import AnnotationStore, Claimed, ClaimFilter, Locked
from learnloop.domain.annotations.visibility import leased
from learnloop.domain.errors import ErrorCode, Forbidden, Problem, UserInputError
from learnloop.domain.input_limits import check_key, check_label
from learnloop.domain.learning_examples import LearningExampleRecord, require_known_domains
from learnloop.domain.principal import Principal, PrincipalKind

# --- claiming and releasing ------------------------------------------------------------------


def annotator(principal: Principal) -> UUID:
    """Annotations are made by people: API keys and tokens cannot hold leases."""
    if principal.kind is not PrincipalKind.USER or principal.user_id is None:
        raise Forbidden("annotation tasks are for signed-in users, not API keys")
    return principal.user_id


def validate_claim_filter(f: ClaimFilter) -> ClaimFilter:
    problems: list[Problem] = []
    agent = check_key(f.agent_key, ("agentId",), problems) if f.agent_key is not None else None
    domain = check_label(f.domain, ("domain",), problems)
    if problems:
        raise UserInputError(problems)
    return ClaimFilter(domain=domain, agent_key=agent)


async def claim_task(store: AnnotationStore, principal: Principal, f: ClaimFilter) -> Claimed:
    """Lease the next example to the caller; `example` is None when nothing is left for them.

    Nothing left in a domain no example has is UNKNOWN_DOMAIN, not silence.

    Expired leases are returned to the queue first. An expert holds at most
    `maxLeasesPerExpert` live leases (LIMIT_EXCEEDED beyond); their claims take turns, so
    concurrent claims of one expert cannot overshoot the bound.
    """
    user = annotator(principal)
    cleaned = validate_claim_filter(f)
    policy = policy_from_settings(await store.settings())
    await store.lock_annotator(user)
    await store.return_expired_leases()
    held = await store.live_leases(user)
    if held >= policy.max_leases_per_expert:
        raise UserInputError.single(
            (),
            f"you already hold {held} tasks (at most {policy.max_leases_per_expert}); "
            "submit or release one first",
            ErrorCode.LIMIT_EXCEEDED,
        )
    example = await store.claim(user, cleaned, policy)
    if example is None and cleaned.domain is not None:
        await require_known_domains(store, [cleaned.domain], ("domain",))
    return Claimed(example, example.lease_expires_at if example else None)


def check_lease(locked: Locked, user: UUID) -> None:
    """The caller must hold a live lease on the example (LEASE_NOT_HELD otherwise)."""
    example = locked.example
    if example.lease_holder_user_id == user and leased(example, locked.now):
        return
    if example.lease_holder_user_id == user and example.lease_expires_at is not None:
        message = (
            f"your lease expired at {example.lease_expires_at.isoformat()}; "
            "the example went back to the queue, claim a new task"
        )
    elif example.lease_holder_user_id is not None and leased(example, locked.now):
        message = "another expert holds the lease on this example"
    else:
        message = "you do not hold a lease on this example: claim it first"
    raise UserInputError.single(("exampleId",), message, ErrorCode.LEASE_NOT_HELD)


def _not_found() -> UserInputError:
    return UserInputError.single(("exampleId",), "no such learning example", ErrorCode.NOT_FOUND)


async def release_task(
    store: AnnotationStore, principal: Principal, example_id: UUID
) -> LearningExampleRecord:
    """Give a leased example back to the queue unannotated."""
    user = annotator(principal)
    locked = await store.lock_example(example_id)
    if locked is None:
        raise _not_found()
    check_lease(locked, user)
    return await store.release(locked.example)
