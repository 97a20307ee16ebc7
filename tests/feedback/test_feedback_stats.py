"""feedbackStats, commonIssues, feedbackTrend and learningStats against a hand-computed fixture."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest

from learnloop.domain.roles import Role
from tests.conftest import Api, OrgHandle
from tests.feedback.ops import SUBMIT_BATCH, owner_sql

AGENT = "agent-s"
STATS = """
query($agent: String, $since: DateTime) {
  feedbackStats(agentId: $agent, since: $since) {
    totalFeedback ratedCount avgRating satisfactionRate thumbsUpCount thumbsDownCount
    correctionCount dimensionAverages { accuracy helpfulness clarity completeness }
  }
}
"""
TREND = """
query($bucket: TrendBucket!, $since: DateTime) {
  feedbackTrend(agentId: "agent-s", bucket: $bucket, since: $since) {
    bucketStart stats { totalFeedback avgRating satisfactionRate thumbsUpCount }
  }
}
"""


def item(user: str, execution: str, kind: str, **more: Any) -> dict[str, Any]:
    return {
        "agentId": AGENT,
        "executionId": execution,
        "feedbackType": kind,
        "endUserId": user,
        **more,
    }


FIXTURE = [
    item("u1", "e1", "THUMBS_UP"),
    item("u2", "e1", "THUMBS_UP"),
    item("u3", "e1", "THUMBS_DOWN", issueCategories=["INCORRECT"]),
    item("u4", "e2", "STAR_RATING", rating=5, dimensions={"accuracy": 5}),
    item("u5", "e2", "STAR_RATING", rating=4, dimensions={"accuracy": 4, "clarity": 3}),
    item("u6", "e2", "STAR_RATING", rating=2, issueCategories=["UNCLEAR"]),
    item(
        "u7",
        "e3",
        "CORRECTION",
        rating=3,
        correctionText="fixed",
        issueCategories=["INCORRECT", "INCOMPLETE"],
        dimensions={"accuracy": 2, "helpfulness": 4, "clarity": 4, "completeness": 3},
    ),
    item("u8", "e3", "REPORT_ISSUE", rating=1, issueCategories=["INCORRECT"]),
    item("u9", "e3", "DETAILED_FEEDBACK", feedbackText="meh", dimensions={"helpfulness": 2}),
    item("u10", "e4", "THUMBS_DOWN", rating=2),
    {"agentId": "agent-other", "executionId": "x", "feedbackType": "THUMBS_UP"},
]


async def fixture(api: Api) -> OrgHandle:
    org = await api.org(Role.MEMBER)
    data = await org.gql(SUBMIT_BATCH, {"input": {"items": FIXTURE}})
    assert data["submitFeedbackBatch"]["storedCount"] == len(FIXTURE)
    # The e2 ratings were given two days ago.
    await owner_sql(
        org,
        "UPDATE agent_feedback SET created_at = now() - interval '2 days'"
        " WHERE org_id = :o AND feedback_type = 'STAR_RATING'",
        {"o": org.org_id},
    )
    return org


async def test_feedback_stats_match_the_hand_computed_numbers(api: Api) -> None:
    org = await fixture(api)
    stats = (await org.gql(STATS, {"agent": AGENT}))["feedbackStats"]
    # ratings: 5, 4, 2, 3, 1 and the thumbs-down's 2; thumbs never become stars.
    assert stats["totalFeedback"] == 10
    assert stats["ratedCount"] == 6
    assert stats["avgRating"] == pytest.approx(17 / 6)
    # scored: 4 thumbs + 5 rated non-thumbs = 9; satisfied: 2 thumbs up + ratings 5 and 4.
    assert stats["satisfactionRate"] == pytest.approx(4 / 9)
    assert (stats["thumbsUpCount"], stats["thumbsDownCount"]) == (2, 2)
    assert stats["correctionCount"] == 1
    assert stats["dimensionAverages"] == {
        "accuracy": pytest.approx(11 / 3),
        "helpfulness": pytest.approx(3.0),
        "clarity": pytest.approx(3.5),
        "completeness": pytest.approx(3.0),
    }
    org_wide = (await org.gql(STATS))["feedbackStats"]
    assert (org_wide["totalFeedback"], org_wide["thumbsUpCount"]) == (11, 3)
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    recent = (await org.gql(STATS, {"agent": AGENT, "since": since}))["feedbackStats"]
    assert recent["totalFeedback"] == 7
    assert recent["avgRating"] == pytest.approx((3 + 1 + 2) / 3)


async def test_stats_of_nothing_are_zero_and_null(api: Api) -> None:
    org = await api.org(Role.VIEWER)
    stats = (await org.gql(STATS, {"agent": "nobody"}))["feedbackStats"]
    assert stats["totalFeedback"] == 0
    assert stats["avgRating"] is None and stats["satisfactionRate"] is None
    assert stats["dimensionAverages"]["accuracy"] is None


async def test_common_issues_by_count_with_mean_rating(api: Api) -> None:
    org = await fixture(api)
    query = 'query($n: Int!) { commonIssues(agentId: "agent-s", limit: $n) { category count avgRating } }'
    issues = (await org.gql(query, {"n": 5}))["commonIssues"]
    assert issues == [
        {"category": "INCORRECT", "count": 3, "avgRating": pytest.approx(2.0)},
        {"category": "INCOMPLETE", "count": 1, "avgRating": pytest.approx(3.0)},
        {"category": "UNCLEAR", "count": 1, "avgRating": pytest.approx(2.0)},
    ]
    assert [i["category"] for i in (await org.gql(query, {"n": 2}))["commonIssues"]] == [
        "INCORRECT",
        "INCOMPLETE",
    ]
    body = await org.raw(query, {"n": 0})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_daily_trend_buckets_in_sql_with_empty_days(api: Api) -> None:
    org = await fixture(api)
    since = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    points = (await org.gql(TREND, {"bucket": "DAY", "since": since}))["feedbackTrend"]
    assert len(points) == 4
    starts = [datetime.fromisoformat(p["bucketStart"]) for p in points]
    assert all(b - a == timedelta(days=1) for a, b in pairwise(starts))
    assert all(s.hour == 0 and s.minute == 0 for s in starts)
    totals = [p["stats"]["totalFeedback"] for p in points]
    assert totals == [0, 3, 0, 7]
    two_days_ago = points[1]["stats"]
    assert two_days_ago["avgRating"] == pytest.approx(11 / 3)
    assert two_days_ago["satisfactionRate"] == pytest.approx(2 / 3)
    assert points[0]["stats"]["avgRating"] is None


async def test_hourly_trend_and_bounds(api: Api) -> None:
    org = await fixture(api)
    since = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    points = (await org.gql(TREND, {"bucket": "HOUR", "since": since}))["feedbackTrend"]
    assert len(points) == 4
    assert sum(p["stats"]["totalFeedback"] for p in points) == 7
    default = (await org.gql(TREND, {"bucket": "HOUR"}))["feedbackTrend"]
    assert len(default) == 48
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    too_old = (datetime.now(UTC) - timedelta(days=60)).isoformat()
    for bad in [future, too_old]:
        body = await org.raw(TREND, {"bucket": "HOUR", "since": bad})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_learning_stats_count_this_organisation_only(api: Api) -> None:
    org = await fixture(api)
    other = await fixture(api)  # the same rows in another organisation must not count
    await owner_sql(
        org,
        "INSERT INTO expert_annotations (org_id, example_id, annotator_user_id, approved,"
        " technical_accuracy, professional_quality, completeness, clarity)"
        " SELECT org_id, id, :u, true, 1, 1, 1, 1 FROM learning_examples WHERE org_id = :o",
        {"o": org.org_id, "u": org.user_id},
    )
    await owner_sql(
        org,
        "INSERT INTO learning_experiments (org_id, agent_id, name, primary_metric, status)"
        " SELECT org_id, id, 'exp', 'satisfaction', s FROM agents,"
        " (VALUES ('RUNNING'), ('DRAFT')) AS v(s) WHERE org_id = :o AND key = 'agent-s'",
        {"o": org.org_id},
    )
    await owner_sql(
        org,
        "WITH d AS (INSERT INTO training_datasets (org_id, lineage_id, name)"
        " VALUES (:o, gen_random_uuid(), 'd') RETURNING id)"
        " INSERT INTO training_runs (org_id, dataset_id, training_type, status)"
        " SELECT :o, d.id, 'DPO', s FROM d, (VALUES ('RUNNING'), ('PENDING')) AS v(s)",
        {"o": org.org_id},
    )
    await owner_sql(
        org,
        "INSERT INTO learning_examples (org_id, example_type, input_text, review_status)"
        " VALUES (:o, 'EDGE_CASE', 'q', 'APPROVED')",
        {"o": org.org_id},
    )
    query = "{ learningStats { pendingAnnotations annotatedToday totalExamples activeExperiments runningTraining } }"
    assert (await org.gql(query))["learningStats"] == {
        "pendingAnnotations": 1,
        "annotatedToday": 1,
        "totalExamples": 2,
        "activeExperiments": 1,
        "runningTraining": 1,
    }
    assert (await other.gql(query))["learningStats"]["annotatedToday"] == 0
