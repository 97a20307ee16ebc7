"""Feedback rows: one set-based upsert (feedback, correction examples, idempotency keys), lookups."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import Integer, Text, and_, bindparam, column, func, select, text, tuple_
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert

from learnloop.domain.feedback.records import (
    Dimensions,
    FeedbackRecord,
    FeedbackType,
    FeedbackWrite,
    IssueCategory,
    ScopedKey,
)
from learnloop.domain.learning_examples import ReviewStatus, RoutingFacts
from learnloop.storage.learning_examples import EXAMPLE_COLUMNS, columns_of, routing_facts
from learnloop.storage.pagination import ChildList
from learnloop.storage.rows import to_record
from learnloop.storage.tables import EXAMPLES, FEEDBACK, FEEDBACK_KEYS
from learnloop.storage.unit_of_work import UnitOfWork

# Namespace of the two-int advisory locks taken per idempotency key (see find_by_idempotency_keys).
KEY_LOCK_CLASS = 3003
_LOCK_KEYS = text(
    "SELECT count(pg_advisory_xact_lock(:cls, h)) FROM ("
    " SELECT DISTINCT hashtext(CAST(:org AS text) || ':' || s || ':' || k) AS h"
    " FROM unnest(:scopes, :keys) AS u(s, k) ORDER BY h) AS ordered"
).bindparams(bindparam("scopes", type_=ARRAY(Text())), bindparam("keys", type_=ARRAY(Text())))

# What an opinion holds; a changed opinion replaces these (never the id, author or created_at).
_OPINION = [
    "feedback_type",
    "rating",
    "feedback_text",
    "correction_text",
    "issue_categories",
    "accuracy_rating",
    "helpfulness_rating",
    "clarity_rating",
    "completeness_rating",
    "author_user_id",
]
_IDENTITY = ["execution_id", "agent_id", "author_key", "type_group", "idempotency_key"]
# A correction edited while its example still waits for review (no annotation yet) updates
# the example too, its routing priority included.
_EXAMPLE_REFRESHED = ["input_text", "expected_output", "original_output", "priority"]


def _record(r: Any) -> FeedbackRecord:
    return to_record(
        FeedbackRecord,
        r,
        feedback_type=FeedbackType(r.feedback_type),
        issue_categories=tuple(IssueCategory(c) for c in r.issue_categories or ()),
        dimensions=Dimensions(
            accuracy=r.accuracy_rating,
            helpfulness=r.helpfulness_rating,
            clarity=r.clarity_rating,
            completeness=r.completeness_rating,
        ),
    )


BY_AGENT = ChildList(FEEDBACK, "agent_id", _record)
BY_EXECUTION = ChildList(FEEDBACK, "execution_id", _record)


async def by_ids(uow: UnitOfWork, ids: Sequence[UUID]) -> Mapping[UUID, FeedbackRecord]:
    rows = await uow.all(select(FEEDBACK).where(FEEDBACK.c.id.in_(ids)))
    return {r.id: _record(r) for r in rows}


async def find_by_idempotency_keys(
    uow: UnitOfWork, keys: Sequence[ScopedKey]
) -> dict[ScopedKey, FeedbackRecord]:
    """Lock each key for the rest of the transaction (in hash order: no deadlocks), then look up.

    The lock makes concurrent submissions of one key take turns; the lookup is a new statement,
    so it sees what the previous holder committed, and the retry writes nothing. A key is
    (scope, key): the same text from another author or widget token is another key.
    """
    scopes, plain = [k[0] for k in keys], [k[1] for k in keys]
    await uow.execute(
        _LOCK_KEYS,
        {"cls": KEY_LOCK_CLASS, "org": str(uow.org_id), "scopes": scopes, "keys": plain},
    )
    rows = await uow.all(
        select(
            FEEDBACK_KEYS.c.scope.label("key_scope_used"),
            FEEDBACK_KEYS.c.key.label("idempotency_key_used"),
            FEEDBACK,
        )
        .join(FEEDBACK, FEEDBACK.c.id == FEEDBACK_KEYS.c.feedback_id)
        .where(tuple_(FEEDBACK_KEYS.c.scope, FEEDBACK_KEYS.c.key).in_(list(keys)))
    )
    return {(r.key_scope_used, r.idempotency_key_used): _record(r) for r in rows}


def _row(order: int, w: FeedbackWrite) -> dict[str, Any]:
    s = w.submission
    dims = s.dimensions
    example = columns_of(w.example) if w.example is not None else {}
    return {
        "ord": order,
        "execution_id": w.execution.id,
        "agent_id": w.execution.agent_id,
        "author_key": w.author.key,
        "author_user_id": w.author.user_id,
        "type_group": w.type_group.value,
        "idempotency_key": w.idempotency_keys[0] if w.idempotency_keys else None,
        "idempotency_keys": list(w.idempotency_keys),
        "key_scope": w.author.key_scope,
        "feedback_type": s.feedback_type.value,
        "rating": s.rating,
        "feedback_text": s.feedback_text,
        "correction_text": s.correction_text,
        "issue_categories": [c.value for c in s.issue_categories],
        "accuracy_rating": dims.accuracy,
        "helpfulness_rating": dims.helpfulness,
        "clarity_rating": dims.clarity,
        "completeness_rating": dims.completeness,
        **{f"ex_{name}": example.get(name) for name in EXAMPLE_COLUMNS},
    }


@cache
def _upsert_statement() -> Any:
    """One statement for a whole batch: rows arrive as one JSONB array (constant SQL text).

    input (jsonb_to_recordset) -> f: INSERT feedback ON CONFLICT (one person, one opinion)
    DO UPDATE -> x: INSERT the correction examples of f ON CONFLICT (source feedback) DO
    UPDATE while still PENDING and unannotated -> k: remember every idempotency key -> SELECT f.
    """
    typed: list[Any] = [
        column("ord", Integer()),
        column("idempotency_keys", ARRAY(Text())),
        column("key_scope", Text()),
    ]
    typed += [column(n, FEEDBACK.c[n].type) for n in [*_IDENTITY, *_OPINION]]
    typed += [column(f"ex_{n}", EXAMPLES.c[n].type) for n in EXAMPLE_COLUMNS]
    records = func.jsonb_to_recordset(bindparam("rows", type_=Text()).cast(JSONB())).table_valued(
        *typed
    )
    inp = select(records.render_derived(name="r", with_types=True)).cte("input")
    written = [*_IDENTITY, *_OPINION]
    f_insert = insert(FEEDBACK).from_select(
        ["org_id", *written],
        select(
            bindparam("org_id", type_=FEEDBACK.c.org_id.type), *[inp.c[n] for n in written]
        ).order_by(inp.c.ord),
    )
    f = (
        f_insert.on_conflict_do_update(
            index_elements=["org_id", "execution_id", "author_key", "type_group"],
            set_={**{n: f_insert.excluded[n] for n in _OPINION}, "updated_at": func.now()},
        )
        .returning(*FEEDBACK.c)
        .cte("f")
    )
    same = and_(
        f.c.execution_id == inp.c.execution_id,
        f.c.author_key == inp.c.author_key,
        f.c.type_group == inp.c.type_group,
    )
    x_insert = insert(EXAMPLES).from_select(
        ["org_id", "source_feedback_id", *EXAMPLE_COLUMNS],
        select(f.c.org_id, f.c.id, *[inp.c[f"ex_{n}"] for n in EXAMPLE_COLUMNS])
        .select_from(f.join(inp, same))
        .where(inp.c.ex_example_type.is_not(None)),
    )
    x = x_insert.on_conflict_do_update(
        index_elements=["org_id", "source_feedback_id"],
        index_where=EXAMPLES.c.source_feedback_id.is_not(None),
        set_={**{n: x_insert.excluded[n] for n in _EXAMPLE_REFRESHED}, "updated_at": func.now()},
        # Not once an expert annotated it (several annotators): they judged that output.
        where=and_(
            EXAMPLES.c.review_status == ReviewStatus.PENDING.value,
            EXAMPLES.c.annotations_count == 0,
        ),
    ).cte("x")
    k = (
        insert(FEEDBACK_KEYS)
        .from_select(
            ["org_id", "scope", "key", "feedback_id"],
            select(
                f.c.org_id, inp.c.key_scope, func.unnest(inp.c.idempotency_keys), f.c.id
            ).select_from(f.join(inp, same)),
        )
        .on_conflict_do_nothing()
        .cte("k")
    )
    return select(f).add_cte(x, k)


async def upsert(uow: UnitOfWork, writes: Sequence[FeedbackWrite]) -> list[FeedbackRecord]:
    """Store a batch in one statement; rows go in opinion order so concurrent batches never deadlock."""
    assert uow.org_id is not None
    ordered = sorted(writes, key=lambda w: (str(w.execution.id), w.author.key, w.type_group.value))
    rows = json.dumps([_row(i, w) for i, w in enumerate(ordered)], default=str)
    # Built once: the statement is large, and rebuilding it cost more than running it.
    statement = _upsert_statement()
    return [_record(r) for r in await uow.all(statement, {"rows": rows, "org_id": uow.org_id})]


class FeedbackRepository:
    """FeedbackStore for the domain, bound to one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def find_by_idempotency_keys(
        self, keys: Sequence[ScopedKey]
    ) -> Mapping[ScopedKey, FeedbackRecord]:
        return await find_by_idempotency_keys(self.uow, keys)

    async def upsert(self, writes: Sequence[FeedbackWrite]) -> Sequence[FeedbackRecord]:
        return await upsert(self.uow, writes)

    async def routing_facts(self, execution_ids: Sequence[UUID]) -> RoutingFacts:
        return await routing_facts(self.uow, execution_ids)
