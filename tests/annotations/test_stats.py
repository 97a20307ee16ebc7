"""annotationStats and learningStats: queue depth, throughput, approval, scores, agreement."""

from __future__ import annotations

from learnloop.domain.roles import Role
from tests.annotations.ops import claim, make_examples, scores, settings, submit, user_gid
from tests.conftest import Api
from tests.feedback.ops import owner_sql

STATS = """
{ annotationStats {
    queueDepth { domain pending inReview needsAdjudication goldItems }
    pending inReview needsAdjudication annotatedToday annotations approvalRate averageQuality
    averageScores { technicalAccuracy clarity }
    annotators { annotator { id } annotationsToday annotationsLast7Days annotations approvalRate
      averageQuality }
    agreement { technicalAccuracy professionalQuality completeness clarity }
    agreementExamples
  }
  learningStats { pendingAnnotations annotatedToday totalExamples }
}
"""


async def test_stats_report_the_queue_and_the_annotators(api: Api) -> None:
    manager = await api.org(Role.MANAGER)
    await settings(manager, annotationsRequired=2, maxLeasesPerExpert=20)
    shared = await make_examples(manager, 4, domain="legal", prefix="legal")
    await make_examples(manager, 2, domain="support", prefix="support")
    alice = await manager.user(Role.EXPERT)
    bob = await manager.user(Role.EXPERT)
    # Both annotate the four legal examples with closely agreeing scores; one they disagree on.
    for i, example_id in enumerate(shared):
        for who, shift in ((alice, 0.0), (bob, 0.05)):
            assert (await claim(who, domain="legal"))["example"]["id"] == example_id
            verdict = not (i == 3 and who is bob)
            done = await submit(who, example_id, **scores(verdict, 0.2 * i + 0.1 + shift))
            assert done["userErrors"] == []
    await claim(alice, domain="support")  # one support example leased
    # An old annotation (8 days ago) counts in totals but not in the 7-day throughput.
    await owner_sql(
        manager,
        "UPDATE expert_annotations SET created_at = now() - interval '8 days'"
        " WHERE org_id = :o AND annotator_user_id = :u AND example_id = ("
        "   SELECT id FROM learning_examples WHERE org_id = :o AND input_text = 'legal-1')",
        {"o": manager.org_id, "u": alice.user_id},
    )

    data = await manager.gql(STATS)
    stats, learning = data["annotationStats"], data["learningStats"]
    assert stats["queueDepth"] == [
        {"domain": "legal", "pending": 0, "inReview": 0, "needsAdjudication": 1, "goldItems": 0},
        {"domain": "support", "pending": 1, "inReview": 1, "needsAdjudication": 0, "goldItems": 0},
    ]
    assert (stats["pending"], stats["inReview"], stats["needsAdjudication"]) == (1, 1, 1)
    assert stats["annotations"] == 8 and stats["annotatedToday"] == 7
    assert stats["approvalRate"] == 0.875
    by_user = {a["annotator"]["id"]: a for a in stats["annotators"]}
    a, b = by_user[user_gid(alice.user_id)], by_user[user_gid(bob.user_id)]
    assert (a["annotationsToday"], a["annotationsLast7Days"], a["annotations"]) == (3, 3, 4)
    assert (b["annotationsToday"], b["annotationsLast7Days"], b["annotations"]) == (4, 4, 4)
    assert a["approvalRate"] == 1.0 and b["approvalRate"] == 0.75
    assert a["averageQuality"] == 0.4 and b["averageQuality"] == 0.45
    assert stats["agreementExamples"] == 4
    alpha = stats["agreement"]["clarity"]
    assert alpha is not None and 0.9 < alpha <= 1.0
    assert learning["pendingAnnotations"] == 1 and learning["annotatedToday"] == 7

    # Expired leases count as waiting before any claim sweeps them.
    await owner_sql(
        manager,
        "UPDATE learning_examples SET lease_expires_at = now() - interval '1 minute'"
        " WHERE org_id = :o AND lease_holder_user_id IS NOT NULL",
        {"o": manager.org_id},
    )
    again = await manager.gql(STATS)
    assert again["learningStats"]["pendingAnnotations"] == 2
    assert (again["annotationStats"]["pending"], again["annotationStats"]["inReview"]) == (2, 0)

    viewer = await manager.user(Role.VIEWER)
    assert (await viewer.gql(STATS))["annotationStats"]["annotations"] == 8
