"""Demo and benchmark data: a realistic organisation written with COPY, fast enough for millions."""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from learnloop.domain.executions import ExecutionRecord
from learnloop.domain.feedback.records import FeedbackType, type_group
from learnloop.domain.feedback.submission import creates_example, signals
from learnloop.domain.roles import Role
from learnloop.storage import seed_reviews
from learnloop.storage.seed_reviews import Correction

# Share of feedback types, as seen in production chat assistants (mostly thumbs, few corrections).
FEEDBACK_MIX: list[tuple[FeedbackType, float]] = [
    (FeedbackType.THUMBS_UP, 0.45),
    (FeedbackType.THUMBS_DOWN, 0.20),
    (FeedbackType.STAR_RATING, 0.20),
    (FeedbackType.DETAILED_FEEDBACK, 0.08),
    (FeedbackType.CORRECTION, 0.04),
    (FeedbackType.REPORT_ISSUE, 0.03),
]
CATEGORIES = [
    "INCORRECT",
    "INCOMPLETE",
    "UNCLEAR",
    "HALLUCINATION",
    "OFF_TOPIC",
    "UNSAFE",
    "FORMATTING",
    "OTHER",
]
CATEGORY_WEIGHTS = [30, 25, 15, 10, 8, 2, 7, 3]
DOMAINS = ["billing", "support", "legal", "sales", "onboarding"]
TASKS = ["qa", "summarise", "classify", "draft"]
FEEDBACK_PER_EXECUTION = 2
DAYS = 90


@dataclass(frozen=True)
class SeedReport:
    org_id: uuid.UUID
    slug: str
    agents: int
    executions: int
    feedback: int
    examples: int
    annotations: int
    datasets: int
    seconds: float


def _dsn(url: Any) -> dict[str, Any]:
    return {
        "user": url.username,
        "password": url.password,
        "host": url.query.get("host") or url.host,
        "port": url.port,
        "database": url.database,
    }


class _Clock:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.now = dt.datetime.now(dt.UTC)

    def recent(self) -> dt.datetime:
        # More recent days are busier: a triangular distribution leaning to today.
        age_days = self.rng.triangular(0, DAYS, 0)
        return self.now - dt.timedelta(days=age_days)


def _ratings(rng: random.Random, ftype: FeedbackType) -> tuple[Any, ...]:
    """(rating, accuracy, helpfulness, clarity, completeness, categories, text, correction)."""
    if ftype in (FeedbackType.THUMBS_UP, FeedbackType.THUMBS_DOWN):
        return (None, None, None, None, None, [], None, None)
    if ftype is FeedbackType.STAR_RATING:
        return (
            rng.choices([1, 2, 3, 4, 5], [5, 7, 15, 35, 38])[0],
            None,
            None,
            None,
            None,
            [],
            None,
            None,
        )
    cats = sorted(set(rng.choices(CATEGORIES, CATEGORY_WEIGHTS, k=rng.randint(1, 2))))
    dims = [rng.randint(1, 5) for _ in range(4)]
    rating = rng.randint(1, 4)
    if ftype is FeedbackType.CORRECTION:
        return (
            rating,
            *dims,
            cats,
            "The answer was wrong",
            f"The correct answer is ${rng.randint(100, 9999):,}",
        )
    if ftype is FeedbackType.REPORT_ISSUE:
        return (None, None, None, None, None, cats, "Reported by user", None)
    return (
        rng.randint(1, 5),
        *dims,
        cats if rng.random() < 0.5 else [],
        "Detailed notes on the answer",
        None,
    )


async def seed_org(
    owner_url: Any,
    *,
    scale: int,
    slug: str | None = None,
    seed: int = 7,
    n_agents: int | None = None,
) -> SeedReport:
    """Create one organisation holding `scale` feedback rows and everything around them; with
    `n_agents`, exactly that many agents share them (benchmarks keep it fixed across scales)."""
    started = time.perf_counter()
    rng = random.Random(seed)
    clock = _Clock(rng)
    slug = slug or f"demo-{uuid.uuid4().hex[:6]}"
    conn = await asyncpg.connect(**_dsn(owner_url))
    try:
        async with conn.transaction():
            org_id = await conn.fetchval(
                "INSERT INTO organizations (slug, name, settings) VALUES ($1, $2, $3::jsonb) "
                "RETURNING id",
                slug,
                f"Demo {slug}",
                json.dumps(seed_reviews.SETTINGS),
            )
            users = []
            for i, role in enumerate(
                [Role.ADMIN, Role.MANAGER, Role.EXPERT, Role.EXPERT, Role.EXPERT, Role.MEMBER]
            ):
                uid = await conn.fetchval(
                    "INSERT INTO users (email, display_name) VALUES ($1, $2) "
                    "ON CONFLICT (email) DO UPDATE SET display_name = excluded.display_name RETURNING id",
                    f"{role.value.lower()}{i}@{slug}.example",
                    f"{role.value.title()} {i}",
                )
                await conn.execute(
                    "INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3)",
                    org_id,
                    uid,
                    role.value,
                )
                users.append((uid, role))
            experts = [u for u, r in users if r is Role.EXPERT]

            # At least 20 agents, so an agents(first: 20) page has the same shape at every scale.
            n_agents = n_agents or max(20, min(50, scale // 20_000))
            # Each agent works in one domain and task type (its defaults, as setAgentDefaults sets).
            agents = [
                (uuid.uuid4(), f"agent-{i}", DOMAINS[i % len(DOMAINS)], TASKS[i % len(TASKS)])
                for i in range(n_agents)
            ]
            await conn.copy_records_to_table(
                "agents",
                records=[
                    (a, org_id, key, f"Agent {key}", d, t, clock.now - dt.timedelta(days=DAYS))
                    for a, key, d, t in agents
                ],
                columns=[
                    "id",
                    "org_id",
                    "key",
                    "name",
                    "default_domain",
                    "default_task_type",
                    "created_at",
                ],
            )

            n_exec = max(1, scale // FEEDBACK_PER_EXECUTION)
            executions = []
            for i in range(n_exec):
                agent_id, _, domain, task_type = agents[i % n_agents]
                executions.append(
                    (
                        uuid.uuid4(),
                        org_id,
                        agent_id,
                        f"exec-{i}",
                        f"Question {i}: what is the refund for order {i}?",
                        f"Answer {i}: the refund is ${rng.randint(10, 999)}",
                        clock.recent(),
                        domain,
                        task_type,
                    )
                )
            await conn.copy_records_to_table(
                "executions",
                records=executions,
                columns=[
                    "id",
                    "org_id",
                    "agent_id",
                    "key",
                    "input",
                    "output",
                    "created_at",
                    "domain",
                    "task_type",
                ],
            )

            types = [t for t, _ in FEEDBACK_MIX]
            weights = [w for _, w in FEEDBACK_MIX]
            feedback = []
            corrections = []
            for i in range(scale):
                ex = executions[i // FEEDBACK_PER_EXECUTION % n_exec]
                ftype = rng.choices(types, weights)[0]
                rating, acc, hlp, clr, cmp_, cats, text, correction = _ratings(rng, ftype)
                fid = uuid.uuid4()
                created = ex[6] + dt.timedelta(minutes=rng.randint(1, 600))
                feedback.append(
                    (
                        fid,
                        org_id,
                        ex[0],
                        ex[2],
                        f"enduser:{i}",
                        ftype.value,
                        type_group(ftype).value,
                        rating,
                        text,
                        correction,
                        cats,
                        acc,
                        hlp,
                        clr,
                        cmp_,
                        created,
                        created,
                    )
                )
                if creates_example(ftype, correction):
                    corrections.append(_correction(fid, ex, ftype, correction, cats, created, i))
            await conn.copy_records_to_table(
                "agent_feedback",
                records=feedback,
                columns=[
                    "id",
                    "org_id",
                    "execution_id",
                    "agent_id",
                    "author_key",
                    "feedback_type",
                    "type_group",
                    "rating",
                    "feedback_text",
                    "correction_text",
                    "issue_categories",
                    "accuracy_rating",
                    "helpfulness_rating",
                    "clarity_rating",
                    "completeness_rating",
                    "created_at",
                    "updated_at",
                ],
            )
            signals = _signals_of(feedback, {c.execution.id for c in corrections})
            del feedback

            reviewed = await seed_reviews.reviews(rng, org_id, corrections, experts, signals)
            await conn.copy_records_to_table(
                "learning_examples",
                records=reviewed.examples,
                columns=seed_reviews.EXAMPLE_COLUMNS,
            )
            await conn.copy_records_to_table(
                "expert_annotations",
                records=reviewed.annotations,
                columns=seed_reviews.ANNOTATION_COLUMNS,
            )
            dataset_id = await _datasets(conn, rng, org_id, reviewed.approved_ids)
    finally:
        await conn.close()
    if dataset_id is not None:
        await _freeze(owner_url, org_id, dataset_id)
    # Bulk loads outrun autovacuum; without statistics the planner picks poor indexes.
    conn = await asyncpg.connect(**_dsn(owner_url))
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return SeedReport(
        org_id,
        slug,
        n_agents,
        n_exec,
        scale,
        len(reviewed.examples),
        len(reviewed.annotations),
        int(dataset_id is not None),
        round(time.perf_counter() - started, 2),
    )


def _correction(
    fid: uuid.UUID,
    ex: tuple[Any, ...],
    ftype: FeedbackType,
    text: str,
    cats: list[str],
    at: dt.datetime,
    i: int,
) -> Correction:
    execution = ExecutionRecord(
        id=ex[0],
        agent_id=ex[2],
        key=ex[3],
        input=ex[4],
        output=ex[5],
        metadata={},
        experiment_id=None,
        variant=None,
        is_stub=False,
        created_at=ex[6],
        updated_at=ex[6],
        domain=ex[7],
        task_type=ex[8],
    )
    return Correction(fid, execution, ftype, text, tuple(cats), f"enduser:{i}", at)


def _signals_of(
    feedback: list[tuple[Any, ...]], execution_ids: set[uuid.UUID]
) -> dict[uuid.UUID, frozenset[str]]:
    """The feedback types and issue categories on each execution that got a correction."""
    found: dict[uuid.UUID, frozenset[str]] = {}
    for row in feedback:
        if row[2] in execution_ids:
            found[row[2]] = found.get(row[2], frozenset()) | signals(FeedbackType(row[5]), row[10])
    return found


async def _datasets(
    conn: Any, rng: random.Random, org_id: uuid.UUID, approved_ids: list[uuid.UUID]
) -> uuid.UUID | None:
    approved = approved_ids[:5000]
    if not approved:
        return None
    lineage = uuid.uuid4()
    dataset_id = await conn.fetchval(
        "INSERT INTO training_datasets (org_id, lineage_id, name, description) "
        "VALUES ($1, $2, 'support-corrections', 'Approved corrections from the demo seed') RETURNING id",
        org_id,
        lineage,
    )
    splits = rng.choices(["TRAIN", "VALIDATION", "TEST"], [80, 10, 10], k=len(approved))
    await conn.copy_records_to_table(
        "dataset_examples",
        records=[
            (uuid.uuid4(), org_id, dataset_id, e, s, 1.0)
            for e, s in zip(approved, splits, strict=True)
        ],
        columns=["id", "org_id", "dataset_id", "example_id", "split", "weight"],
    )
    result: uuid.UUID = dataset_id
    return result


async def _freeze(owner_url: Any, org_id: uuid.UUID, dataset_id: uuid.UUID) -> None:
    """Freeze through the same code path as freezeDataset (it snapshots the content)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from learnloop.storage import datasets
    from learnloop.storage.unit_of_work import unit_of_work

    engine = create_async_engine(owner_url)
    try:
        async with unit_of_work(engine, org_id) as uow:
            await datasets.freeze(uow, dataset_id)
    finally:
        await engine.dispose()
