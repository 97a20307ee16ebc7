"""The floors' SQL: the least SQL that does what each benchmarked learnloop operation does."""

from __future__ import annotations

from typing import Any

SET_ORG = "SELECT set_config('app.org_id', $1, true)"

SUBMIT = """
WITH a AS (
  INSERT INTO agents (org_id, key) VALUES ($1::uuid, $2)
  ON CONFLICT (org_id, key) DO UPDATE SET key = excluded.key RETURNING id
), e AS (
  INSERT INTO executions (org_id, agent_id, key, is_stub) SELECT $1::uuid, a.id, $3, true FROM a
  ON CONFLICT (org_id, agent_id, key) DO UPDATE SET key = excluded.key RETURNING id, agent_id
)
INSERT INTO agent_feedback (org_id, execution_id, agent_id, author_key, feedback_type, type_group, rating)
SELECT $1::uuid, e.id, e.agent_id, $4, $5, $6, $7 FROM e
ON CONFLICT (org_id, execution_id, author_key, type_group)
DO UPDATE SET feedback_type = excluded.feedback_type, rating = excluded.rating, updated_at = now()
RETURNING id
"""

SUBMIT_BATCH = """
WITH a AS (
  INSERT INTO agents (org_id, key) SELECT DISTINCT $1::uuid, k FROM unnest($2::text[]) k
  ON CONFLICT (org_id, key) DO UPDATE SET key = excluded.key RETURNING id, key
), rows AS (
  SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[])
    AS r(agent_key, exec_key, author_key, feedback_type, rating)
), e AS (
  INSERT INTO executions (org_id, agent_id, key, is_stub)
  SELECT DISTINCT $1::uuid, a.id, rows.exec_key, true FROM rows JOIN a ON a.key = rows.agent_key
  ON CONFLICT (org_id, agent_id, key) DO UPDATE SET key = excluded.key RETURNING id, agent_id, key
)
INSERT INTO agent_feedback (org_id, execution_id, agent_id, author_key, feedback_type, type_group, rating)
SELECT $1::uuid, e.id, e.agent_id, rows.author_key, rows.feedback_type,
       CASE WHEN rows.feedback_type LIKE 'THUMBS%' THEN 'THUMBS' ELSE 'RATING' END, rows.rating
FROM rows JOIN e ON e.key = rows.exec_key
ON CONFLICT (org_id, execution_id, author_key, type_group)
DO UPDATE SET feedback_type = excluded.feedback_type, updated_at = now()
RETURNING id
"""


async def submit_feedback(conn: Any, org: str, item: dict[str, Any]) -> Any:
    group = "THUMBS" if item["feedbackType"].startswith("THUMBS") else "RATING"
    async with conn.transaction():
        await conn.execute(SET_ORG, org)
        return await conn.fetchval(
            SUBMIT,
            org,
            item["agentId"],
            item["executionId"],
            item.get("author", "apikey:bench"),
            item["feedbackType"],
            group,
            item.get("rating"),
        )


async def submit_feedback_batch(conn: Any, org: str, items: list[dict[str, Any]]) -> list[Any]:
    async with conn.transaction():
        await conn.execute(SET_ORG, org)
        rows = await conn.fetch(
            SUBMIT_BATCH,
            org,
            [i["agentId"] for i in items],
            [i["executionId"] for i in items],
            [i.get("author", "apikey:bench") for i in items],
            [i["feedbackType"] for i in items],
            [i.get("rating") for i in items],
        )
    return [r["id"] for r in rows]


AGENTS = "SELECT id, key, name, created_at FROM agents ORDER BY created_at DESC, id DESC LIMIT 20"
EXECUTIONS = """
SELECT e.id, e.agent_id, e.key, e.input, e.output, e.created_at
FROM unnest($1::uuid[]) AS p(id) CROSS JOIN LATERAL (
  SELECT * FROM executions x WHERE x.agent_id = p.id ORDER BY x.created_at DESC, x.id DESC LIMIT 20
) e
"""
FEEDBACK = """
SELECT f.id, f.execution_id, f.feedback_type, f.rating, f.feedback_text, f.created_at
FROM unnest($1::uuid[]) AS p(id) CROSS JOIN LATERAL (
  SELECT * FROM agent_feedback x WHERE x.execution_id = p.id ORDER BY x.created_at DESC, x.id DESC LIMIT 10
) f
"""


async def nested_read(conn: Any, org: str) -> dict[str, Any]:
    async with conn.transaction():
        await conn.execute(SET_ORG, org)
        agents = await conn.fetch(AGENTS)
        executions = await conn.fetch(EXECUTIONS, [a["id"] for a in agents])
        feedback = await conn.fetch(FEEDBACK, [e["id"] for e in executions])
    by_exec: dict[Any, list[dict[str, Any]]] = {}
    for f in feedback:
        by_exec.setdefault(f["execution_id"], []).append(
            {
                "feedbackType": f["feedback_type"],
                "rating": f["rating"],
                "feedbackText": f["feedback_text"],
                "createdAt": f["created_at"].isoformat(),
            }
        )
    by_agent: dict[Any, list[dict[str, Any]]] = {}
    for e in executions:
        by_agent.setdefault(e["agent_id"], []).append(
            {
                "key": e["key"],
                "input": e["input"],
                "output": e["output"],
                "feedback": by_exec.get(e["id"], []),
            }
        )
    return {"agents": [{"key": a["key"], "executions": by_agent.get(a["id"], [])} for a in agents]}


EXAMPLES = """
SELECT id, example_type, input_text, expected_output, review_status, quality_score, created_at
FROM learning_examples ORDER BY created_at DESC, id DESC LIMIT 100
"""
ANNOTATIONS = """
SELECT a.example_id, a.approved, a.technical_accuracy, a.clarity
FROM unnest($1::uuid[]) AS p(id) CROSS JOIN LATERAL (
  SELECT * FROM expert_annotations x WHERE x.example_id = p.id ORDER BY x.created_at DESC, x.id DESC LIMIT 5
) a
"""
MEMBERSHIPS = """
SELECT m.example_id, m.split, m.weight, d.name, d.version
FROM unnest($1::uuid[]) AS p(id) CROSS JOIN LATERAL (
  SELECT * FROM dataset_examples x WHERE x.example_id = p.id ORDER BY x.created_at DESC, x.id DESC LIMIT 5
) m JOIN training_datasets d ON d.id = m.dataset_id
"""


async def examples_read(conn: Any, org: str) -> dict[str, Any]:
    async with conn.transaction():
        await conn.execute(SET_ORG, org)
        examples = await conn.fetch(EXAMPLES)
        ids = [e["id"] for e in examples]
        annotations = await conn.fetch(ANNOTATIONS, ids)
        memberships = await conn.fetch(MEMBERSHIPS, ids)
    ann: dict[Any, list[dict[str, Any]]] = {}
    for a in annotations:
        ann.setdefault(a["example_id"], []).append(
            {
                "approved": a["approved"],
                "technicalAccuracy": a["technical_accuracy"],
                "clarity": a["clarity"],
            }
        )
    mem: dict[Any, list[dict[str, Any]]] = {}
    for m in memberships:
        mem.setdefault(m["example_id"], []).append(
            {
                "split": m["split"],
                "weight": m["weight"],
                "dataset": {"name": m["name"], "version": m["version"]},
            }
        )
    return {
        "learningExamples": [
            {
                "exampleType": e["example_type"],
                "inputText": e["input_text"],
                "expectedOutput": e["expected_output"],
                "reviewStatus": e["review_status"],
                "qualityScore": e["quality_score"],
                "annotations": ann.get(e["id"], []),
                "datasets": mem.get(e["id"], []),
            }
            for e in examples
        ]
    }


DATASET_PAGE = """
SELECT id, example_id, split, weight, input_text, expected_output, original_output
FROM dataset_example_contents WHERE dataset_id = $1::uuid ORDER BY split, id LIMIT 100
"""
EXAMPLES_PAGE = """
SELECT id, example_type, input_text, expected_output, original_output, review_status,
       quality_score, created_at
FROM learning_examples ORDER BY created_at DESC, id DESC LIMIT 100
"""


async def dataset_page(conn: Any, org: str, dataset: str) -> dict[str, Any]:
    async with conn.transaction():
        await conn.execute(SET_ORG, org)
        rows = await conn.fetch(DATASET_PAGE, dataset)
    edges = [
        {
            "node": {
                "id": str(r["id"]),
                "exampleId": str(r["example_id"]),
                "split": r["split"],
                "weight": r["weight"],
                "inputText": r["input_text"],
                "expectedOutput": r["expected_output"],
                "originalOutput": r["original_output"],
            }
        }
        for r in rows
    ]
    return {"dataset": {"examples": {"edges": edges}}}


async def examples_page(conn: Any, org: str) -> dict[str, Any]:
    async with conn.transaction():
        await conn.execute(SET_ORG, org)
        rows = await conn.fetch(EXAMPLES_PAGE)
    edges = [
        {
            "node": {
                "id": str(r["id"]),
                "exampleType": r["example_type"],
                "inputText": r["input_text"],
                "expectedOutput": r["expected_output"],
                "originalOutput": r["original_output"],
                "reviewStatus": r["review_status"],
                "qualityScore": r["quality_score"],
                "createdAt": r["created_at"].isoformat(),
            }
        }
        for r in rows
    ]
    return {"learningExamples": {"edges": edges}}


STATS = """
SELECT count(*) AS total, avg(rating) FILTER (WHERE feedback_type <> 'THUMBS_UP' AND feedback_type <> 'THUMBS_DOWN') AS avg_rating,
       count(*) FILTER (WHERE feedback_type = 'THUMBS_UP') AS up, count(*) FILTER (WHERE feedback_type = 'THUMBS_DOWN') AS down,
       avg(accuracy_rating) AS acc, avg(helpfulness_rating) AS hlp, avg(clarity_rating) AS clr, avg(completeness_rating) AS cmp
FROM agent_feedback WHERE agent_id = (SELECT id FROM agents WHERE key = $1)
"""
ISSUES = """
SELECT c AS category, count(*) AS n, avg(rating) AS avg_rating
FROM agent_feedback, unnest(issue_categories) c
WHERE agent_id = (SELECT id FROM agents WHERE key = $1) GROUP BY c ORDER BY n DESC LIMIT 5
"""
TREND = """
SELECT date_trunc('day', created_at) AS bucket, count(*) AS n, avg(rating) AS avg_rating
FROM agent_feedback WHERE agent_id = (SELECT id FROM agents WHERE key = $1) GROUP BY 1 ORDER BY 1
"""


async def stats(conn: Any, org: str, agent: str) -> dict[str, Any]:
    async with conn.transaction():
        await conn.execute(SET_ORG, org)
        s = await conn.fetchrow(STATS, agent)
        issues = await conn.fetch(ISSUES, agent)
        trend = await conn.fetch(TREND, agent)
    return {
        "feedbackStats": {k: (float(v) if v is not None else None) for k, v in s.items()},
        "commonIssues": [{"category": r["category"], "count": r["n"]} for r in issues],
        "feedbackTrend": [{"bucket": r["bucket"].isoformat(), "count": r["n"]} for r in trend],
    }


CLAIM = """
UPDATE learning_examples SET review_status = 'IN_REVIEW', lease_holder_user_id = $1,
       lease_expires_at = now() + interval '15 minutes'
WHERE id = (SELECT id FROM learning_examples WHERE review_status = 'PENDING'
            ORDER BY priority DESC, created_at, id FOR UPDATE SKIP LOCKED LIMIT 1)
RETURNING id
"""


async def claim(conn: Any, org: str, user: str) -> Any:
    async with conn.transaction():
        await conn.execute(SET_ORG, org)
        return await conn.fetchval(CLAIM, user)


AGENT_CONFIG = """
SELECT d.version, d.config, x.id, x.hash_seed, x.coverage, x.control_percentage,
       x.treatment_percentage, x.control_config, x.treatment_config
FROM agents a
LEFT JOIN deployments d ON d.id = a.active_deployment_id
LEFT JOIN learning_experiments x ON x.agent_id = a.id AND x.status = 'RUNNING'
WHERE a.key = $1
ORDER BY x.started_at, x.id
"""
EXPOSE = """
INSERT INTO experiment_assignments (org_id, experiment_id, unit_id, variant)
VALUES ($1::uuid, $2, $3, $4) ON CONFLICT (experiment_id, unit_id) DO NOTHING
"""


async def agent_config(conn: Any, org: str, agent: str, unit: str) -> dict[str, Any]:
    """agentConfig: the agent's deployment and running experiment, the unit's arm, its exposure."""
    from learnloop.domain.experiments.hashing import assign

    async with conn.transaction():
        await conn.execute(SET_ORG, org)
        rows = await conn.fetch(AGENT_CONFIG, agent)
        for r in rows:
            if r["id"] is None:
                continue
            arm = assign(
                r["hash_seed"] or str(r["id"]),
                unit,
                r["coverage"],
                r["control_percentage"],
                r["treatment_percentage"],
            )
            if arm:
                await conn.execute(EXPOSE, org, r["id"], unit, arm)
                config = r["control_config"] if arm == "CONTROL" else r["treatment_config"]
                return {"variant": arm, "config": config}
        return {"variant": None, "config": rows[0]["config"] if rows else None}
