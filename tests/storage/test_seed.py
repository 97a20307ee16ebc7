"""The demo seeder writes a consistent organisation that the API reads like any other."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import text

from learnloop.domain.roles import Role
from learnloop.domain.tokens import issue_user_token
from learnloop.storage.seed import seed_org
from tests.conftest import Api


async def _scalar(api: Api, sql: str, org_id: UUID) -> Any:
    async with api.owner_engine.connect() as conn:
        return (await conn.execute(text(sql), {"o": org_id})).scalar_one()


async def _token(api: Api, org_id: UUID, role: Role) -> str:
    """A token of the seeded member with this role."""
    user = await _scalar(
        api, f"SELECT user_id FROM memberships WHERE org_id = :o AND role = '{role.value}'", org_id
    )
    return issue_user_token(api.tokens, user_id=user, org_id=org_id, role=role, ttl=600)


async def test_seeded_org_is_consistent_through_the_api(api: Api) -> None:
    report = await seed_org(api.target.owner_url, scale=400, seed=3)
    assert report.feedback == 400 and report.executions == 200
    token = await _token(api, report.org_id, Role.ADMIN)
    data = await api.gql(
        """{ feedbackStats { totalFeedback thumbsUpCount thumbsDownCount }
             agents(first: 10) { totalCount }
             learningExamples(first: 1) { totalCount }
             datasets(first: 5) { edges { node { status totalExamples } } } }""",
        token=token,
    )
    assert data["feedbackStats"]["totalFeedback"] == 400
    assert 0 < data["feedbackStats"]["thumbsUpCount"] < 400
    assert data["agents"]["totalCount"] == report.agents
    assert data["learningExamples"]["totalCount"] == report.examples
    frozen = data["datasets"]["edges"]
    assert [d["node"]["status"] for d in frozen] == ["FROZEN"] * report.datasets


async def test_seeded_reviews_feed_agreement_gold_and_domains(api: Api) -> None:
    """Several experts per example, gold items, and each example in its execution's domain."""
    report = await seed_org(api.target.owner_url, scale=400, seed=5)
    mismatched = await _scalar(
        api,
        "SELECT count(*) FROM learning_examples l JOIN executions e ON e.id = l.execution_id"
        " WHERE l.org_id = :o AND (l.domain IS DISTINCT FROM e.domain"
        " OR l.task_type IS DISTINCT FROM e.task_type OR e.domain IS NULL)",
        report.org_id,
    )
    assert mismatched == 0
    token = await _token(api, report.org_id, Role.MANAGER)
    data = await api.gql(
        """{ annotationStats { goldItems agreementExamples
               agreement { technicalAccuracy clarity }
               annotators { goldAnnotations goldAccuracy } }
             agents(first: 1) { edges { node { defaultDomain defaultTaskType } } } }""",
        token=token,
    )
    stats = data["annotationStats"]
    assert stats["goldItems"] > 0 and stats["agreementExamples"] > 0
    assert stats["agreement"]["technicalAccuracy"] is not None
    assert stats["agreement"]["clarity"] is not None
    assert all(a["goldAnnotations"] > 0 for a in stats["annotators"])
    assert all(a["goldAccuracy"] is not None for a in stats["annotators"])
    (agent,) = data["agents"]["edges"]
    assert agent["node"]["defaultDomain"] and agent["node"]["defaultTaskType"]
