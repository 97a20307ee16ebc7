"""Keyset pages walk an index for ~first+1 rows right after a bulk load, before any ANALYZE.

Every page statement the API runs is captured and re-run with EXPLAIN ANALYZE as the app role
inside the org scope (row-level security on), on a database whose tables were just filled and
never analysed: the plans must not depend on fresh statistics.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import event, text

from learnloop.domain.roles import Role
from learnloop.storage.unit_of_work import UnitOfWork
from tests.conftest import Api, OrgHandle
from tests.datasets_seed import gid

ROWS = 10_000
# A page reads first+1 rows; allow a little for the RLS and filter rechecks of a real walk.
SLACK = 20
# The nodes that read rows (a Function Scan unnests the nested pages' parameters).
SCANS = ("Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Bitmap Index Scan", "Seq Scan")

LOAD = [
    "INSERT INTO agents (org_id, key) SELECT :o, 'agent-' || g FROM generate_series(0, 19) g",
    # Every agent has ROWS/20 executions; agent-0 also has the executions that carry feedback.
    "INSERT INTO executions (org_id, agent_id, key, input, output, created_at)"
    " SELECT :o, a.id, 'exec-' || g, 'question ' || g, 'answer ' || g,"
    "   now() - g * interval '1 minute'"
    " FROM generate_series(0, :n - 1) g"
    " JOIN agents a ON a.org_id = :o AND a.key = 'agent-' || (g % 20)",
    # Ten executions of agent-0 with ROWS/10 opinions each.
    "INSERT INTO agent_feedback (org_id, execution_id, agent_id, author_key, feedback_type,"
    "   type_group, created_at)"
    " SELECT :o, e.id, e.agent_id, 'enduser:' || g, 'THUMBS_UP', 'THUMBS',"
    "   now() - g * interval '1 second'"
    " FROM generate_series(0, :n - 1) g"
    " JOIN executions e ON e.org_id = :o AND e.key = 'exec-' || ((g % 10) * 20)",
    "INSERT INTO learning_examples (org_id, agent_id, example_type, input_text, expected_output,"
    "   original_output, review_status, quality_score, created_at)"
    " SELECT :o, a.id, 'CORRECTION', 'input ' || g, 'expected ' || g, 'original ' || g,"
    "   (ARRAY['APPROVED', 'PENDING'])[1 + g % 2], 0.8, now() - g * interval '1 second'"
    " FROM generate_series(0, :n - 1) g"
    " JOIN agents a ON a.org_id = :o AND a.key = 'agent-' || (g % 20)",
    "INSERT INTO training_datasets (org_id, lineage_id, name) VALUES (:o, gen_random_uuid(), 'big')",
    "INSERT INTO dataset_examples (org_id, dataset_id, example_id, split, weight)"
    " SELECT :o, d.id, le.id,"
    "   (ARRAY['TRAIN', 'VALIDATION', 'TEST'])[1 + (row_number() OVER ()) % 3], 1.0"
    " FROM learning_examples le JOIN training_datasets d ON d.org_id = :o"
    " WHERE le.org_id = :o",
]


class Captured:
    """Every statement the app ran, with its parameters, as the driver received them."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        self.statements.append((statement, params))


@pytest.fixture
def captured(fresh_api: Api) -> Iterator[Captured]:
    found = Captured()
    event.listen(fresh_api.engine.sync_engine, "before_cursor_execute", found)
    yield found
    event.remove(fresh_api.engine.sync_engine, "before_cursor_execute", found)


@pytest.fixture
async def loaded(fresh_api: Api) -> AsyncIterator[OrgHandle]:
    """Two organisations of ROWS rows each, bulk-written as the owner; nothing analysed."""
    org = await fresh_api.org(Role.ADMIN)
    other = await fresh_api.org(Role.ADMIN)
    async with fresh_api.owner_engine.begin() as conn:
        for o in (org, other):
            for statement in LOAD:
                await conn.execute(text(statement), {"o": o.org_id, "n": ROWS})
        never_analysed = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_user_tables WHERE relname IN"
                " ('executions', 'agent_feedback', 'learning_examples', 'dataset_examples')"
                " AND last_analyze IS NULL AND last_autoanalyze IS NULL"
            )
        )
    # Autovacuum may analyse behind our back; the point is that plans must not need it.
    assert never_analysed is not None
    yield org


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


async def _explain(api: Api, org: OrgHandle, statement: str, params: Any) -> dict[str, Any]:
    """The plan inside a unit of work of the org, as the app runs its statements (same prelude)."""
    uow = UnitOfWork(api.engine, org.org_id)
    try:
        conn = await uow._connection()  # the driver-level statement needs the raw connection
        result = await conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, params)
        raw = result.scalar()
    finally:
        await uow.close(commit=False)
    doc = json.loads(raw) if isinstance(raw, str) else raw
    plan: dict[str, Any] = doc[0]["Plan"]
    return plan


def _render(plan: dict[str, Any], depth: int = 0) -> str:
    """One line per node: type, relation/index, rows read (to read a failure at a glance)."""
    line = (
        "  " * depth
        + f"{plan['Node Type']} {plan.get('Index Name') or plan.get('Relation Name') or ''}"
    )
    line += f" rows={_rows_read(plan)} loops={plan.get('Actual Loops')}"
    return "\n".join([line, *(_render(c, depth + 1) for c in plan.get("Plans", []))])


def _rows_read(node: dict[str, Any]) -> int:
    """Rows a node produced or looked at and threw away, per loop."""
    return int(
        node.get("Actual Rows", 0)
        + node.get("Rows Removed by Filter", 0)
        + node.get("Rows Removed by Index Recheck", 0)
    )


async def _check_pages(
    api: Api, org: OrgHandle, captured: Captured, query: str, first: int, *, filtered: bool = False
) -> None:
    """Every page statement of `query` reads at most first+1 rows (+slack) per scan, sorts none.

    `filtered`: the page filters on a column outside its index, so a walk also skips the rows the
    filter drops; it must still stop after first+1 matches rather than read the whole set.
    """
    captured.statements.clear()
    await org.gql(query)
    pages = [(s, p) for s, p in captured.statements if "LIMIT" in s and "count(" not in s]
    assert pages, f"no page statement ran for {query}"
    bound = first + 1 + SLACK
    for statement, params in pages:
        plan = await _explain(api, org, statement, params)
        for node in _nodes(plan):
            if node["Node Type"] == "Sort":
                read = sum(int(c.get("Actual Rows", 0)) for c in node.get("Plans", []))
            elif node["Node Type"].endswith(SCANS):
                read = int(node.get("Actual Rows", 0)) if filtered else _rows_read(node)
            else:
                continue  # joins and limits pass on what the scans read
            where = f"{node['Node Type']} read {read} rows:\n{_render(plan)}\n{statement}"
            assert read <= bound, where


async def _dataset_id(api: Api, org: OrgHandle) -> str:
    async with api.owner_engine.connect() as conn:
        found = await conn.scalar(
            text("SELECT id FROM training_datasets WHERE org_id = :o"), {"o": org.org_id}
        )
    return gid("TrainingDataset", found)


EXAMPLE_FIELDS = "edges { cursor node { id inputText expectedOutput } } pageInfo { hasNextPage }"


async def test_dataset_pages_walk_the_index(
    fresh_api: Api, loaded: OrgHandle, captured: Captured
) -> None:
    dataset = await _dataset_id(fresh_api, loaded)
    for args in ("first: 100", "first: 100, split: VALIDATION", "first: 1"):
        query = f'{{ dataset(id: "{dataset}") {{ examples({args}) {{ {EXAMPLE_FIELDS} }} }} }}'
        await _check_pages(fresh_api, loaded, captured, query, 100)
    first = await loaded.gql(
        f'{{ dataset(id: "{dataset}") {{ examples(first: 100) {{ pageInfo {{ endCursor }} }} }} }}'
    )
    after = first["dataset"]["examples"]["pageInfo"]["endCursor"]
    query = (
        f'{{ dataset(id: "{dataset}") {{ examples(first: 100, after: "{after}") '
        f"{{ {EXAMPLE_FIELDS} }} }} }}"
    )
    await _check_pages(fresh_api, loaded, captured, query, 100)


LEARNING_FIELDS = "edges { cursor node { id inputText reviewStatus } } pageInfo { endCursor }"


@pytest.mark.parametrize(
    "args",
    [
        "first: 100",
        "first: 100, orderBy: CREATED_AT_ASC",
        'first: 100, filter: {agentId: "agent-3"}',
        'first: 100, filter: {agentId: "agent-3"}, orderBy: CREATED_AT_ASC',
    ],
)
async def test_learning_example_pages_walk_the_index(
    fresh_api: Api, loaded: OrgHandle, captured: Captured, args: str
) -> None:
    query = f"{{ learningExamples({args}) {{ {LEARNING_FIELDS} }} }}"
    await _check_pages(fresh_api, loaded, captured, query, 100)
    after = (await loaded.gql(query))["learningExamples"]["pageInfo"]["endCursor"]
    query = f'{{ learningExamples({args}, after: "{after}") {{ {LEARNING_FIELDS} }} }}'
    await _check_pages(fresh_api, loaded, captured, query, 100)


async def test_nested_pages_walk_the_index(
    fresh_api: Api, loaded: OrgHandle, captured: Captured
) -> None:
    nested = (
        "{ agents(first: 20) { edges { node { key"
        " executions(first: 20) { edges { node { key feedback(first: 10) { edges { node { id } } } } } }"
        " } } } }"
    )
    await _check_pages(fresh_api, loaded, captured, nested, 20)
    one_agent = (
        '{ agent(key: "agent-0") { executions(first: 100) { edges { node { key'
        " feedback(first: 100) { edges { node { id } } } } } }"
        " feedback(first: 100) { edges { node { id } } }"
        " learningExamples(first: 100) { edges { node { id } } } } }"
    )
    await _check_pages(fresh_api, loaded, captured, one_agent, 100)


async def test_queue_page_walks_the_index(
    fresh_api: Api, loaded: OrgHandle, captured: Captured
) -> None:
    query = "{ annotationQueue(first: 50) { edges { node { id } } } }"
    await _check_pages(fresh_api, loaded, captured, query, 50)


async def test_filtered_pages_walk_the_index_once_analysed(
    fresh_api: Api, loaded: OrgHandle, captured: Captured
) -> None:
    """A filter on a column outside the page's index needs to know how common its value is:
    without statistics the planner cannot tell a filter that keeps half the rows from one that
    keeps none. After the ANALYZE the service runs behind its own bulk writes, it can."""
    async with fresh_api.owner_engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("ANALYZE learning_examples"))
    query = f"{{ learningExamples(first: 100, filter: {{reviewStatuses: [APPROVED]}}) {{ {LEARNING_FIELDS} }} }}"
    await _check_pages(fresh_api, loaded, captured, query, 100, filtered=True)
    query = '{ annotationQueue(first: 50, filter: {agentId: "agent-3"}) { edges { node { id } } } }'
    await _check_pages(fresh_api, loaded, captured, query, 50, filtered=True)


async def _reltuples(api: Api, table: str) -> float:
    async with api.owner_engine.connect() as conn:
        found = await conn.scalar(
            text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)"), {"t": table}
        )
    return float(found)


async def test_a_bulk_dataset_write_analyses_what_it_wrote(fresh_api: Api) -> None:
    """The service's own bulk writes leave statistics behind (reltuples is -1 until ANALYZE)."""
    org = await fresh_api.org(Role.MANAGER)
    async with fresh_api.owner_engine.begin() as conn:
        await conn.execute(text(LOAD[0]), {"o": org.org_id})
        await conn.execute(text(LOAD[3]), {"o": org.org_id, "n": 2000})
    assert await _reltuples(fresh_api, "dataset_examples") < 0
    created = await org.gql(
        'mutation { createDataset(input: {name: "bulk"}) { dataset { id } userErrors { code } } }'
    )
    dataset = created["createDataset"]["dataset"]["id"]
    added = await org.gql(
        "mutation($id: ID!) { addExamplesToDataset(input: {datasetId: $id, filter: {}}) "
        "{ addedCount userErrors { code } } }",
        {"id": dataset},
    )
    assert added["addExamplesToDataset"]["addedCount"] == 1000  # the APPROVED half
    assert await _reltuples(fresh_api, "dataset_examples") == 1000
    # A small write next to an analysed table asks, and is told no: statistics stay as they were.
    async with fresh_api.owner_engine.connect() as conn:
        analysed = await conn.scalar(
            text("SELECT learnloop_analyze_after_bulk_write('dataset_examples', 50)")
        )
    assert analysed is False
