"""The demo seeder writes a consistent organisation that the API reads like any other."""

from __future__ import annotations

from learnloop.domain.roles import Role
from learnloop.domain.tokens import issue_user_token
from learnloop.storage.seed import seed_org
from tests.conftest import Api


async def test_seeded_org_is_consistent_through_the_api(api: Api) -> None:
    report = await seed_org(api.target.owner_url, scale=400, seed=3)
    assert report.feedback == 400 and report.executions == 200
    async with api.owner_engine.connect() as conn:
        from sqlalchemy import text

        admin = (
            await conn.execute(
                text("SELECT user_id FROM memberships WHERE org_id = :o AND role = 'ADMIN'"),
                {"o": report.org_id},
            )
        ).scalar_one()
    token = issue_user_token(
        api.tokens, user_id=admin, org_id=report.org_id, role=Role.ADMIN, ttl=600
    )
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
