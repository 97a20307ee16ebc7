"""Claiming and leasing over HTTP: concurrency, expiry, the lease bound, release, assignment."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from learnloop.domain.roles import Role
from tests.annotations.ops import (
    ASSIGN,
    CLAIM,
    QUEUE,
    RELEASE,
    SEED_ANNOTATION,
    claim,
    codes,
    make_examples,
    settings,
    submit,
    user_gid,
)
from tests.conftest import Api
from tests.feedback.ops import count_rows, owner_sql


async def test_20_experts_claim_100_examples_concurrently_each_exactly_once(api: Api) -> None:
    manager = await api.org(Role.MANAGER)
    await settings(manager, maxLeasesPerExpert=100)
    ids = set(await make_examples(manager, 100))
    experts = [await manager.user(Role.EXPERT) for _ in range(20)]

    async def drain(expert_index: int) -> list[str]:
        expert = experts[expert_index]
        got: list[str] = []
        while True:
            body = await api.raw(CLAIM, {"input": {}}, expert.token)
            assert not body.get("errors"), body
            payload = body["data"]["claimAnnotationTask"]
            assert payload["userErrors"] == [], payload
            if payload["example"] is None:
                return got
            example = payload["example"]
            assert example["reviewStatus"] == "IN_REVIEW"
            assert example["leaseHolder"] == {"id": user_gid(expert.user_id)}
            got.append(example["id"])

    started = time.perf_counter()
    claimed = await asyncio.gather(*[drain(i) for i in range(20)])
    elapsed = time.perf_counter() - started
    every = [example_id for got in claimed for example_id in got]
    counts = Counter(every)
    assert max(counts.values()) == 1, [i for i, n in counts.items() if n > 1]
    assert set(every) == ids
    # 100 successful claims plus one empty claim per expert.
    print(f"\n120 claims by 20 experts in {elapsed:.2f}s: {120 / elapsed:.0f} claims/s")
    rows = await owner_sql(
        manager,
        "SELECT count(*), count(DISTINCT lease_holder_user_id) FROM learning_examples"
        " WHERE org_id = :o AND review_status = 'IN_REVIEW'",
        {"o": manager.org_id},
    )
    assert rows[0][0] == 100


async def test_an_expired_lease_returns_to_the_queue_and_a_late_submit_writes_nothing(
    api: Api,
) -> None:
    manager = await api.org(Role.MANAGER)
    (example_id,) = await make_examples(manager, 1)
    first = await manager.user(Role.EXPERT)
    second = await manager.user(Role.EXPERT)
    claimed = await claim(first)
    assert claimed["example"]["id"] == example_id and claimed["leaseExpiresAt"]
    assert (await claim(second))["example"] is None  # leased: nobody else gets it

    await owner_sql(
        manager,
        "UPDATE learning_examples SET lease_expires_at = now() - interval '1 second'"
        " WHERE org_id = :o",
        {"o": manager.org_id},
    )
    # Expired but not yet swept: it already reads as waiting.
    queued = await manager.gql(QUEUE, {"filter": {"status": "PENDING"}, "first": 5})
    assert [e["node"]["id"] for e in queued["annotationQueue"]["edges"]] == [example_id]
    assert queued["annotationQueue"]["edges"][0]["node"]["reviewStatus"] == "PENDING"
    assert queued["annotationQueue"]["edges"][0]["node"]["leaseHolder"] is None

    late = await submit(first, example_id, **SEED_ANNOTATION)
    assert codes(late) == [(["input", "exampleId"], "LEASE_NOT_HELD")]
    assert "expired" in late["userErrors"][0]["message"]

    again = await claim(second)
    assert again["example"]["id"] == example_id
    assert again["example"]["leaseHolder"] == {"id": user_gid(second.user_id)}

    later = await submit(first, example_id, **SEED_ANNOTATION)
    assert codes(later) == [(["input", "exampleId"], "LEASE_NOT_HELD")]
    assert later["annotation"] is None and later["example"] is None
    assert await count_rows(manager, "expert_annotations") == 0
    assert await count_rows(manager, "example_history") == 0
    rows = await owner_sql(
        manager,
        "SELECT review_status, expected_output, lease_holder_user_id FROM learning_examples"
        " WHERE org_id = :o",
        {"o": manager.org_id},
    )
    assert rows == [("IN_REVIEW", "original answer 1", second.user_id)]
    done = await submit(second, example_id, **SEED_ANNOTATION)
    assert done["userErrors"] == [] and done["outcome"] == "APPROVED"


async def test_a_short_lease_setting_expires_on_its_own(api: Api) -> None:
    manager = await api.org(Role.MANAGER)
    await settings(manager, leaseSeconds=30)
    (example_id,) = await make_examples(manager, 1)
    expert = await manager.user(Role.EXPERT)
    claimed = await claim(expert)
    rows = await owner_sql(
        manager,
        "SELECT extract(epoch FROM lease_expires_at - now()) FROM learning_examples"
        " WHERE org_id = :o",
        {"o": manager.org_id},
    )
    assert 25 <= rows[0][0] <= 30
    assert claimed["example"]["id"] == example_id


async def test_lease_bound_release_and_examples_already_annotated(api: Api) -> None:
    manager = await api.org(Role.MANAGER)
    await settings(manager, maxLeasesPerExpert=2, annotationsRequired=2)
    ids = await make_examples(manager, 4)
    expert = await manager.user(Role.EXPERT)
    other = await manager.user(Role.EXPERT)
    a = (await claim(expert))["example"]["id"]
    b = (await claim(expert))["example"]["id"]
    assert [a, b] == ids[:2]  # oldest first at equal priority
    refused = await claim(expert)
    assert codes(refused) == [(["input"], "LIMIT_EXCEEDED")] and refused["example"] is None

    not_mine = (await other.gql(RELEASE, {"id": a}))["releaseAnnotationTask"]
    assert codes(not_mine) == [(["input", "exampleId"], "LEASE_NOT_HELD")]
    released = (await expert.gql(RELEASE, {"id": a}))["releaseAnnotationTask"]
    assert released["userErrors"] == []
    assert released["example"]["reviewStatus"] == "PENDING"
    assert released["example"]["leaseHolder"] is None

    # With two annotations required, an example goes back to the queue after the first one,
    # but never to the expert who annotated it.
    first = await submit(expert, b, **SEED_ANNOTATION)
    assert first["outcome"] == "NEEDS_MORE_ANNOTATIONS"
    assert first["example"]["reviewStatus"] == "PENDING"
    seen = [(await claim(expert))["example"]["id"], (await claim(expert))["example"]["id"]]
    assert b not in seen and seen == [a, ids[2]]
    assert (await claim(other))["example"]["id"] == b


async def test_assigned_examples_go_to_their_assignee_only_and_first(api: Api) -> None:
    manager = await api.org(Role.MANAGER)
    await settings(manager, maxLeasesPerExpert=10)
    ids = await make_examples(manager, 3)
    alice = await manager.user(Role.EXPERT)
    bob = await manager.user(Role.EXPERT)
    member = await manager.user(Role.MEMBER)

    refused = (
        await manager.gql(
            ASSIGN, {"input": {"exampleIds": [ids[2]], "expertId": user_gid(member.user_id)}}
        )
    )["assignAnnotationTasks"]
    assert codes(refused) == [(["input", "expertId"], "NOT_ALLOWED")]
    payload = (
        await manager.gql(
            ASSIGN, {"input": {"exampleIds": [ids[2]], "expertId": user_gid(alice.user_id)}}
        )
    )["assignAnnotationTasks"]
    assert payload["userErrors"] == []
    assert payload["examples"][0]["assignedTo"] == {"id": user_gid(alice.user_id)}

    # Bob never sees it; Alice gets it before older unassigned work.
    bob_got = [(await claim(bob))["example"], (await claim(bob))["example"]]
    assert [e["id"] for e in bob_got if e] == ids[:2]
    assert (await claim(bob))["example"] is None
    assert (await claim(alice))["example"]["id"] == ids[2]
    mine = await alice.gql(QUEUE, {"filter": {"assignedToMe": True}, "first": 10})
    assert [e["node"]["id"] for e in mine["annotationQueue"]["edges"]] == [ids[2]]
    audit = await owner_sql(
        manager,
        "SELECT action, target_id FROM audit_log WHERE org_id = :o AND action = 'annotation.assign'",
        {"o": manager.org_id},
    )
    assert audit == [("annotation.assign", alice.user_id)]


async def test_claim_filters_by_domain_and_agent_and_queue_orders(api: Api) -> None:
    manager = await api.org(Role.MANAGER)
    await settings(manager, maxLeasesPerExpert=20)
    legal = await make_examples(manager, 2, domain="legal", prefix="legal")
    urgent = await make_examples(manager, 1, domain="support", priority=50, prefix="urgent")
    expert = await manager.user(Role.EXPERT)
    assert (await claim(expert, domain="legal"))["example"]["id"] == legal[0]
    assert (await claim(expert, agentId="agent-none"))["example"] is None
    assert (await claim(expert))["example"]["id"] == urgent[0]  # priority beats age
    bad = await claim(expert, domain="x" * 101)
    assert codes(bad) == [(["input", "domain"], "TOO_LONG")]

    # The queue lists in the org's order and pages with opaque cursors.
    await make_examples(manager, 5, prefix="more")
    seen, after = [], None
    while True:
        page = (await manager.gql(QUEUE, {"first": 2, "after": after}))["annotationQueue"]
        seen += [e["node"]["inputText"] for e in page["edges"]]
        assert page["totalCount"] == 8
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen[0] == "urgent-1" and len(seen) == 8 and len(set(seen)) == 8
    await settings(manager, queueOrder="LOWEST_QUALITY_FIRST")
    await owner_sql(
        manager,
        "UPDATE learning_examples SET quality_score = 0.2 WHERE org_id = :o AND input_text = 'more-3'",
        {"o": manager.org_id},
    )
    page = await manager.gql(QUEUE, {"filter": {"status": "PENDING"}, "first": 10})
    texts = [e["node"]["inputText"] for e in page["annotationQueue"]["edges"]]
    assert texts[-1] == "more-3"  # unscored first, then lowest score
    paged, cursor = [], None
    while True:  # pages cross from unscored (NULL) to scored rows without losing any
        found = await manager.gql(
            QUEUE, {"filter": {"status": "PENDING"}, "first": 2, "after": cursor}
        )
        paged += [e["node"]["inputText"] for e in found["annotationQueue"]["edges"]]
        if not found["annotationQueue"]["pageInfo"]["hasNextPage"]:
            break
        cursor = found["annotationQueue"]["pageInfo"]["endCursor"]
    assert paged == texts
    stale = await manager.raw(QUEUE, {"first": 2, "after": after})
    assert stale["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_roles_and_api_keys(api: Api) -> None:
    viewer = await api.org(Role.VIEWER)
    body = await viewer.raw(CLAIM, {"input": {}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await viewer.gql(QUEUE, {"first": 5}))["annotationQueue"]["totalCount"] == 0
    expert = await viewer.user(Role.EXPERT)
    body = await expert.raw(ASSIGN, {"input": {"exampleIds": [], "expertId": None}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    admin = await viewer.user(Role.ADMIN)
    key = await admin.gql(
        'mutation { createApiKey(input: {name: "bot", role: EXPERT}) { secret } }'
    )
    body = await api.raw(CLAIM, {"input": {}}, key["createApiKey"]["secret"])
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
