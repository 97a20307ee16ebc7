"""Schema-driven fuzzing: operations generated from the schema (hypothesis-graphql), valid and
invalid, with random strings (NUL included), ids and JSON, never get a 500 or an
INTERNAL_SERVER_ERROR. Deterministic (derandomized) and bounded in size."""

from __future__ import annotations

import base64
import time
from typing import Any

import graphql
import hypothesis_graphql
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, nodes

from learnloop.domain.roles import Role
from learnloop.schema.root import get_schema
from tests.conftest import Api

# Per root field: every query and mutation is exercised, and the whole test stays under a minute.
PER_QUERY = 2
PER_MUTATION = 3
NEGATIVE = 20
NODE_TYPES = ["TrainingDataset", "TrainingRun", "LearningExample", "Agent", "Execution", "ApiKey"]


def _json_nodes() -> st.SearchStrategy[graphql.ValueNode]:
    names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True)
    scalars = st.one_of(
        st.text(max_size=20).map(nodes.String),
        st.integers(-(2**31), 2**31 - 1).map(nodes.Int),
        st.booleans().map(nodes.Boolean),
        st.just(nodes.Null),
    )

    def objects(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        fields = st.dictionaries(names, children, max_size=4).map(
            lambda d: nodes.Object(
                [
                    graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=v)
                    for k, v in d.items()
                ]
            )
        )
        return st.one_of(st.lists(children, max_size=4).map(nodes.List), fields)

    return st.recursive(scalars, objects, max_leaves=8)


def _ids() -> st.SearchStrategy[graphql.ValueNode]:
    global_ids = st.builds(
        lambda t, u: base64.b64encode(f"{t}:{u}".encode()).decode(),
        st.sampled_from([*NODE_TYPES, "Nope", ""]),
        st.one_of(st.uuids().map(str), st.text(max_size=8)),
    )
    return st.one_of(global_ids, st.text(max_size=12)).map(nodes.String)


SCALARS = {
    "JSON": _json_nodes(),
    "DateTime": st.one_of(st.datetimes().map(lambda d: d.isoformat()), st.text(max_size=12)).map(
        nodes.String
    ),
    "ID": _ids(),
}


def generate(kind: str, mode: Mode, count: int, field: str | None = None) -> list[str]:
    """`count` documents of one kind (for one root field), the same on every run."""
    schema = get_schema()._schema
    strategy = (hypothesis_graphql.queries if kind == "query" else hypothesis_graphql.mutations)(
        schema, fields=[field] if field else None, custom_scalars=SCALARS, mode=mode
    )
    found: list[str] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(document: str) -> None:
        found.append(document)

    collect()
    return found


def _internal(body: Any) -> list[Any]:
    errors = body.get("errors") if isinstance(body, dict) else None
    return [
        e
        for e in errors or []
        if (e.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR"
    ]


async def test_generated_operations_never_fail_internally(fresh_api: Api) -> None:
    started = time.perf_counter()
    org = await fresh_api.org(Role.ADMIN)
    schema = get_schema()._schema
    documents = [
        *(
            d
            for f in schema.query_type.fields
            for d in generate("query", Mode.POSITIVE, PER_QUERY, f)
        ),
        *(
            d
            for f in schema.mutation_type.fields
            for d in generate("mutation", Mode.POSITIVE, PER_MUTATION, f)
        ),
        *generate("query", Mode.NEGATIVE, NEGATIVE),
        *generate("mutation", Mode.NEGATIVE, NEGATIVE),
    ]
    generated = time.perf_counter() - started
    assert len(documents) > 150
    failures = []
    for document in documents:
        response = await fresh_api.post(document, token=org.token)
        body = (
            response.json()
            if response.headers.get("content-type", "").startswith(
                ("application/json", "application/graphql")
            )
            else None
        )
        if response.status_code >= 500 or _internal(body):
            failures.append((document[:400], response.status_code, response.text[:400]))
    print(f"fuzz: {len(documents)} documents, generated in {generated:.1f} s")
    assert not failures, failures[:5]
    elapsed = time.perf_counter() - started
    assert elapsed < 120, (
        f"{len(documents)} documents: generated in {generated:.1f} s, all in {elapsed:.1f} s"
    )
