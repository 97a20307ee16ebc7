"""Annotations and decisions: the seed annotation, refusals, two annotators, adjudication,
blind mode, gold items, settings and routing priorities."""

from __future__ import annotations

from typing import Any

from learnloop.domain.roles import Role
from tests.annotations.ops import (
    ADJUDICATE,
    GOLD,
    QUEUE,
    SEED_ANNOTATION,
    SETTINGS,
    claim,
    codes,
    gid,
    make_examples,
    scores,
    settings,
    submit,
    user_gid,
)
from tests.conftest import Api, OrgHandle
from tests.feedback.ops import CREATE_EXAMPLE, count_rows, owner_sql, submit_ok

EXAMPLE_VIEW = """
query($id: ID!) { node(id: $id) { ... on LearningExample {
  reviewStatus qualityScore expectedOutput isGold needsAdjudication
  annotations(first: 10) { totalCount edges { node { approved annotator { id } } } }
} } }
"""


async def audit_actions(org: OrgHandle) -> list[tuple[str, Any]]:
    rows = await owner_sql(
        org,
        "SELECT action, data FROM audit_log WHERE org_id = :o AND target_type = 'LearningExample'"
        " ORDER BY created_at, id",
        {"o": org.org_id},
    )
    return [(r[0], r[1]) for r in rows]


async def test_the_seed_annotation_approves_with_quality_0905_and_the_corrected_output(
    api: Api,
) -> None:
    manager = await api.org(Role.MANAGER)
    (example_id,) = await make_examples(manager, 1)
    expert = await manager.user(Role.EXPERT)
    assert (await claim(expert))["example"]["id"] == example_id
    payload = await submit(expert, example_id, **SEED_ANNOTATION)
    assert payload["userErrors"] == []
    assert payload["outcome"] == "APPROVED"
    annotation = payload["annotation"]
    assert annotation["approved"] is True and annotation["technicalAccuracy"] == 0.95
    assert annotation["notes"] == "Minor clarification needed"
    assert annotation["annotator"] == {"id": user_gid(expert.user_id)}
    example = payload["example"]
    assert example["reviewStatus"] == "APPROVED"
    assert example["qualityScore"] == 0.905
    assert example["expectedOutput"] == "Corrected text here..."
    assert example["annotationsCount"] == 1 and example["decidedAt"]
    assert example["leaseHolder"] is None and example["leaseExpiresAt"] is None
    history = example["history"]
    assert history["totalCount"] == 1
    assert history["edges"][0]["node"] == {
        "field": "expected_output",
        "previousValue": "original answer 1",
        "changedBy": {"id": user_gid(expert.user_id)},
    }
    stored = await owner_sql(
        manager,
        "SELECT improvement_suggestions, corrected_output FROM expert_annotations WHERE org_id = :o",
        {"o": manager.org_id},
    )
    assert stored == [("Add more context about X", "Corrected text here...")]
    assert [a for a, _ in await audit_actions(manager)] == ["example.approve"]

    # Decided: a second submission (even by a manager holding no lease) is refused, unwritten.
    again = await submit(manager, example_id, **SEED_ANNOTATION)
    assert codes(again) == [(["input", "exampleId"], "INVALID_STATE")]
    assert await count_rows(manager, "expert_annotations") == 1


async def test_invalid_scores_are_refused_with_paths_and_write_nothing(api: Api) -> None:
    manager = await api.org(Role.MANAGER)
    (example_id,) = await make_examples(manager, 1)
    expert = await manager.user(Role.EXPERT)
    await claim(expert)
    payload = await submit(
        expert,
        example_id,
        **{**SEED_ANNOTATION, "technicalAccuracy": 1.5, "clarity": -0.1, "correctedOutput": " "},
    )
    assert codes(payload) == [
        (["input", "technicalAccuracy"], "OUT_OF_RANGE"),
        (["input", "clarity"], "OUT_OF_RANGE"),
        (["input", "correctedOutput"], "INVALID"),
    ]
    missing = await submit(expert, gid("00000000-0000-0000-0000-000000000001"), **scores(True))
    assert codes(missing) == [(["input", "exampleId"], "NOT_FOUND")]
    assert await count_rows(manager, "expert_annotations") == 0
    rows = await owner_sql(
        manager,
        "SELECT review_status, quality_score FROM learning_examples WHERE org_id = :o",
        {"o": manager.org_id},
    )
    assert rows == [("IN_REVIEW", None)]


async def test_two_annotators_agreeing_decide_and_disagreeing_go_to_a_manager(api: Api) -> None:
    manager = await api.org(Role.MANAGER)
    await settings(manager, annotationsRequired=2)
    agree, disagree = await make_examples(manager, 2)
    alice = await manager.user(Role.EXPERT)
    bob = await manager.user(Role.EXPERT)

    assert (await claim(alice))["example"]["id"] == agree
    first = await submit(alice, agree, **scores(True, 0.8), correctedOutput="alice's fix")
    assert first["outcome"] == "NEEDS_MORE_ANNOTATIONS"
    assert first["example"]["reviewStatus"] == "PENDING"
    assert first["example"]["expectedOutput"] == "original answer 1"  # not decided yet
    assert (await claim(bob))["example"]["id"] == agree
    second = await submit(bob, agree, **scores(True, 0.6))
    assert second["outcome"] == "APPROVED"
    assert second["example"]["reviewStatus"] == "APPROVED"
    assert second["example"]["qualityScore"] == 0.7
    assert second["example"]["expectedOutput"] == "alice's fix"

    assert (await claim(alice))["example"]["id"] == disagree
    await submit(alice, disagree, **scores(True))
    assert (await claim(bob))["example"]["id"] == disagree
    split = await submit(bob, disagree, **scores(False), correctedOutput="bob's fix")
    assert split["outcome"] == "NEEDS_ADJUDICATION"
    assert split["example"]["needsAdjudication"] is True
    assert split["example"]["reviewStatus"] == "IN_REVIEW"
    assert (await claim(await manager.user(Role.EXPERT)))["example"] is None

    waiting = await manager.gql(QUEUE, {"filter": {"needsAdjudication": True}, "first": 10})
    assert [e["node"]["id"] for e in waiting["annotationQueue"]["edges"]] == [disagree]
    expert_try = await alice.raw(ADJUDICATE, {"input": {"exampleId": disagree, "approved": True}})
    assert expert_try["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    not_waiting = (
        await manager.gql(ADJUDICATE, {"input": {"exampleId": agree, "approved": False}})
    )["adjudicateExample"]
    assert codes(not_waiting) == [(["input", "exampleId"], "INVALID_STATE")]
    decided = (
        await manager.gql(
            ADJUDICATE,
            {"input": {"exampleId": disagree, "approved": False, "notes": "bob is right"}},
        )
    )["adjudicateExample"]
    assert decided["userErrors"] == []
    example = decided["example"]
    assert (example["reviewStatus"], example["needsAdjudication"]) == ("REJECTED", False)
    assert example["expectedOutput"] == "bob's fix"
    actions = await audit_actions(manager)
    assert [a for a, _ in actions] == ["example.approve", "example.adjudicate"]
    assert actions[1][1]["notes"] == "bob is right" and actions[1][1]["verdict"] == "REJECTED"


async def test_blind_mode_hides_other_experts_annotations_until_decided(api: Api) -> None:
    manager = await api.org(Role.MANAGER)
    await settings(manager, annotationsRequired=2)
    (example_id,) = await make_examples(manager, 1)
    alice = await manager.user(Role.EXPERT)
    bob = await manager.user(Role.EXPERT)
    await claim(alice)
    await submit(alice, example_id, **scores(True, 0.9))

    async def view(org: OrgHandle) -> dict[str, Any]:
        node: dict[str, Any] = (await org.gql(EXAMPLE_VIEW, {"id": example_id}))["node"]
        return node

    bob_view = await view(bob)
    assert bob_view["annotations"] == {"totalCount": 0, "edges": []}
    assert bob_view["qualityScore"] is None  # the running mean would leak Alice's scores
    alice_view = await view(alice)
    assert alice_view["annotations"]["totalCount"] == 1
    manager_view = await view(manager)
    assert manager_view["annotations"]["totalCount"] == 1 and manager_view["qualityScore"] == 0.9

    await settings(manager, blindAnnotations=False)
    assert (await view(bob))["annotations"]["totalCount"] == 1
    await settings(manager, blindAnnotations=True)
    await claim(bob)
    await submit(bob, example_id, **scores(True, 0.7))
    decided = await view(bob)
    assert decided["reviewStatus"] == "APPROVED" and decided["annotations"]["totalCount"] == 2


async def test_gold_items_measure_annotators_and_keep_their_status(api: Api) -> None:
    manager = await api.org(Role.MANAGER)
    (gold,) = await make_examples(manager, 1, prefix="gold")
    alice = await manager.user(Role.EXPERT)
    bob = await manager.user(Role.EXPERT)
    # A manager approves it first, then makes it gold: it stays APPROVED (dataset-eligible).
    await claim(manager)
    await submit(manager, gold, **scores(True, 0.9))
    marked = await manager.gql(GOLD, {"input": {"exampleId": gold, "verdict": "APPROVED"}})
    example = marked["markGoldExample"]["example"]
    assert (example["isGold"], example["goldVerdict"], example["reviewStatus"]) == (
        True,
        True,
        "APPROVED",
    )
    expert_try = await alice.raw(GOLD, {"input": {"exampleId": gold, "verdict": "REJECTED"}})
    assert expert_try["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    got = (await claim(alice))["example"]
    assert got["id"] == gold
    assert got["reviewStatus"] == "IN_REVIEW"  # looks like any leased task to an expert
    assert got["isGold"] is None and got["qualityScore"] is None
    right = await submit(alice, gold, **scores(True))
    assert right["outcome"] == "GOLD_RECORDED"
    assert (await claim(bob))["example"]["id"] == gold
    wrong = await submit(bob, gold, **scores(False), correctedOutput="bob's version")
    assert wrong["outcome"] == "GOLD_RECORDED"
    assert (await claim(alice))["example"] is None  # each expert sees a gold item once

    rows = await owner_sql(
        manager,
        "SELECT review_status, expected_output, quality_score, annotations_count"
        " FROM learning_examples WHERE org_id = :o",
        {"o": manager.org_id},
    )
    assert rows == [("APPROVED", "original answer 1", 0.9, 3)]
    stats = await manager.gql(
        "{ annotationStats { goldItems annotators { annotator { id } goldAnnotations goldAccuracy } } }"
    )
    by_user = {
        a["annotator"]["id"]: (a["goldAnnotations"], a["goldAccuracy"])
        for a in stats["annotationStats"]["annotators"]
    }
    assert by_user[user_gid(alice.user_id)] == (1, 1.0)
    assert by_user[user_gid(bob.user_id)] == (1, 0.0)
    assert stats["annotationStats"]["goldItems"] == 1
    assert [a for a, _ in await audit_actions(manager)] == ["example.approve", "example.mark_gold"]


async def test_settings_are_validated_audited_and_drive_routing(api: Api) -> None:
    manager = await api.org(Role.MANAGER)
    bad = (
        await manager.gql(
            SETTINGS,
            {
                "input": {
                    "annotationsRequired": 0,
                    "leaseSeconds": 5,
                    "routingPriorities": [{"signal": "NOPE", "priority": 1}],
                }
            },
        )
    )["updateAnnotationSettings"]
    assert sorted(codes(bad)) == [
        (["input", "annotationsRequired"], "OUT_OF_RANGE"),
        (["input", "leaseSeconds"], "OUT_OF_RANGE"),
        (["input", "routingPriorities"], "INVALID"),
    ]
    done = await settings(
        manager,
        queueOrder="MOST_NEGATIVE_FIRST",
        routingPriorities=[{"signal": "HALLUCINATION", "priority": 70}],
    )
    routing = {r["signal"]: r["priority"] for r in done["settings"]["routingPriorities"]}
    assert routing["HALLUCINATION"] == 70 and routing["UNSAFE"] == 100
    audit = await owner_sql(
        manager,
        "SELECT data FROM audit_log WHERE org_id = :o AND action = 'annotation.settings'",
        {"o": manager.org_id},
    )
    assert audit[0][0]["queueOrder"] == "MOST_NEGATIVE_FIRST"
    expert = await manager.user(Role.EXPERT)
    body = await expert.raw(SETTINGS, {"input": {"blindAnnotations": False}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # Routing: a correction reporting a hallucination on an execution someone thumbed down.
    member = await manager.user(Role.MEMBER)
    ref = {"agentId": "agent-r", "executionId": "run-1"}
    await submit_ok(member, **ref, feedbackType="THUMBS_DOWN")
    routed = await submit_ok(
        member,
        **ref,
        feedbackType="CORRECTION",
        correctionText="fixed",
        issueCategories=["HALLUCINATION"],
    )
    plain = await submit_ok(
        member,
        agentId="agent-r",
        executionId="run-2",
        feedbackType="CORRECTION",
        correctionText="x",
    )
    created = await member.gql(
        CREATE_EXAMPLE,
        {"input": {**ref, "exampleType": "EDGE_CASE", "inputText": "edge"}},
    )
    priorities = await owner_sql(
        manager,
        "SELECT id::text, priority FROM learning_examples WHERE org_id = :o",
        {"o": manager.org_id},
    )
    by_id = {gid(i): p for i, p in priorities}
    assert by_id[routed["learningExample"]["id"]] == 20 + 70  # THUMBS_DOWN + HALLUCINATION
    assert by_id[plain["learningExample"]["id"]] == 0
    assert by_id[created["createLearningExample"]["learningExample"]["id"]] == 90
    # MOST_NEGATIVE_FIRST: run-1 has two negative opinions, run-2 one.
    queue = await manager.gql(QUEUE, {"first": 10})
    first = queue["annotationQueue"]["edges"][0]["node"]
    assert first["id"] in {
        routed["learningExample"]["id"],
        created["createLearningExample"]["learningExample"]["id"],
    }
    assert queue["annotationQueue"]["edges"][-1]["node"]["id"] == plain["learningExample"]["id"]
