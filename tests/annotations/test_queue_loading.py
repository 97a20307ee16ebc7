"""annotationQueue loads its graph in a constant number of statements; its claim uses an index."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from learnloop.domain.annotations.queue import QueuePolicy
from learnloop.domain.annotations.records import ClaimFilter
from learnloop.domain.roles import Role
from learnloop.storage.annotations import claim_statement
from tests.annotations.ops import make_examples, settings
from tests.conftest import Api, OrgHandle
from tests.feedback.ops import SUBMIT_BATCH, owner_sql

NESTED = """
query($n: Int!) {
  annotationQueue(first: $n) {
    totalCount
    edges { node {
      inputText reviewStatus qualityScore priority isGold leaseHolder { email } assignedTo { email }
      execution { key input output agent { key } }
      sourceFeedback { feedbackType rating feedbackText issueCategories author { email } }
      annotations(first: 5) { totalCount edges { node { approved notes annotator { email } } } }
      history(first: 3) { totalCount edges { node { previousValue changedBy { email } } } }
    } }
  }
}
"""


async def populate(org: OrgHandle, n: int) -> None:
    items: list[dict[str, Any]] = [
        {
            "agentId": f"agent-{i % 5}",
            "executionId": f"exec-{i}",
            "feedbackType": "CORRECTION",
            "correctionText": f"fix {i}",
            "issueCategories": ["INCORRECT"],
        }
        for i in range(n)
    ]
    data = await org.gql(SUBMIT_BATCH, {"input": {"items": items}})
    assert data["submitFeedbackBatch"]["storedCount"] == n


async def count(api: Api, org: OrgHandle, n: int) -> tuple[int, dict[str, Any]]:
    api.statements.reset()
    data = await org.gql(NESTED, {"n": n})
    return api.statements.count, data


async def test_queue_with_nested_graph_costs_the_same_for_5_and_50(api: Api) -> None:
    manager = await api.org(Role.MANAGER)
    await settings(manager, annotationsRequired=2, maxLeasesPerExpert=100)
    await populate(manager, 60)
    # Every example gets one annotation (so annotations are present but undecided).
    expert = await manager.user(Role.EXPERT)
    await owner_sql(
        manager,
        "INSERT INTO expert_annotations (org_id, example_id, annotator_user_id, approved,"
        " technical_accuracy, professional_quality, completeness, clarity, notes)"
        " SELECT org_id, id, :u, true, 0.5, 0.5, 0.5, 0.5, 'n' FROM learning_examples"
        " WHERE org_id = :o",
        {"o": manager.org_id, "u": expert.user_id},
    )
    small, _ = await count(api, manager, 5)
    large, data = await count(api, manager, 50)
    print(f"\nannotationQueue(first: 5) {small} statements, (first: 50) {large} statements")
    assert small == large
    edges = data["annotationQueue"]["edges"]
    assert len(edges) == 50 and data["annotationQueue"]["totalCount"] == 60
    node = edges[0]["node"]
    assert node["sourceFeedback"]["feedbackType"] == "CORRECTION"
    assert node["execution"]["agent"]["key"].startswith("agent-")
    assert node["annotations"]["totalCount"] == 1
    # Blind: another expert's view of the same page costs the same and shows no annotations.
    other = await manager.user(Role.EXPERT)
    blind_small, _ = await count(api, other, 5)
    blind_large, blind = await count(api, other, 50)
    assert blind_small == blind_large
    assert all(
        e["node"]["annotations"]["totalCount"] == 0 for e in blind["annotationQueue"]["edges"]
    )
    # The annotator sees their own.
    own = (await count(api, expert, 50))[1]
    assert all(e["node"]["annotations"]["totalCount"] == 1 for e in own["annotationQueue"]["edges"])


async def test_claim_reads_the_claim_indexes(api: Api) -> None:
    """The claim's two picks are index scans in queue order that stop at the first free row."""
    manager = await api.org(Role.MANAGER)
    await make_examples(manager, 2000)
    await owner_sql(manager, "ANALYZE learning_examples")
    await owner_sql(manager, "ANALYZE expert_annotations")
    stmt = claim_statement(manager.user_id, ClaimFilter(), QueuePolicy())
    compiled = stmt.compile(dialect=postgresql.dialect())
    sql, names = _positional(str(compiled))
    async with api.engine.connect() as conn:
        await conn.execute(
            text("SELECT set_config('app.org_id', :o, false)"), {"o": str(manager.org_id)}
        )
        # Bound values as a prepared statement would send them (a generic plan's parameters).
        plan = await conn.exec_driver_sql(
            "EXPLAIN " + sql, tuple(compiled.params[n] for n in names)
        )
        text_plan = "\n".join(r[0] for r in plan)
        await conn.rollback()
    assert "ix_learning_examples_assigned" in text_plan, text_plan
    assert "ix_learning_examples_claim" in text_plan, text_plan
    assert "Sort" not in text_plan, text_plan
    # The UPDATE finds the picked row by primary key, not by scanning the org's examples.
    assert "Index Scan using pk_learning_examples" in text_plan, text_plan


def _positional(sql: str) -> tuple[str, list[str]]:
    """%(name)s placeholders to asyncpg's $n; the names in order of appearance."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        names.append(match.group(1))
        return f"${len(names)}"

    return re.sub(r"%\((\w+)\)s", number, sql), names
