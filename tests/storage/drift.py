"""Schema drift: the differences between the models' metadata and a migrated database."""

from __future__ import annotations

import re
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, inspect
from sqlalchemy.engine import Connection

# The package import registers every model's table on Base.metadata.
from learnloop.storage.models import Base

# Tables that live in the database but are not models.
IGNORED_TABLES = frozenset({"alembic_version"})


def _include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    if type_ == "schema":
        return name is None  # only the default schema
    return not (type_ == "table" and name in IGNORED_TABLES)


def schema_drift(sync_connection: Connection) -> list[Any]:
    """Every difference between `Base.metadata` and the database; [] when they agree.

    Run it on a sync connection (`await async_conn.run_sync(schema_drift)`). Besides what
    alembic autogenerate compares (tables, columns, types, nullability, server defaults,
    indexes, unique and foreign key constraints), it compares what autogenerate cannot:
    the names of CHECK constraints (not their text, which PostgreSQL rewrites), and each
    index's method (btree, gin), INCLUDE columns and partial-index WHERE clause (compared after removing
    the casts and parentheses PostgreSQL adds when it stores the predicate).

    Server defaults are compared too: alembic compares the rendered text and, when that
    differs only in formatting (`'PENDING'` vs `'PENDING'::text`), asks PostgreSQL whether
    both expressions are equal. Volatile defaults (`now()`, `gen_random_uuid()`) render
    identically on both sides, so they never reach that evaluation.
    """
    context = MigrationContext.configure(
        sync_connection,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "include_name": _include_name,
        },
    )
    differences: list[Any] = list(compare_metadata(context, Base.metadata))
    differences.extend(_check_constraint_drift(sync_connection))
    differences.extend(_index_options_drift(sync_connection))
    return differences


def _check_constraint_drift(sync_connection: Connection) -> list[tuple[str, str, str]]:
    inspector = inspect(sync_connection)
    existing = set(inspector.get_table_names())
    drift: list[tuple[str, str, str]] = []
    for table in Base.metadata.sorted_tables:
        if table.name not in existing:
            continue  # already reported by compare_metadata
        expected = {
            str(c.name) for c in table.constraints if isinstance(c, CheckConstraint) and c.name
        }
        actual = {str(c["name"]) for c in inspector.get_check_constraints(table.name)}
        drift.extend(("add_check_constraint", table.name, n) for n in sorted(expected - actual))
        drift.extend(("remove_check_constraint", table.name, n) for n in sorted(actual - expected))
    return drift


def _normalized_predicate(sql: str | None) -> str | None:
    """A partial index's WHERE clause without the casts and parentheses PostgreSQL adds."""
    if sql is None:
        return None
    sql = re.sub(r"::[a-z ]+", "", sql).replace("(", "").replace(")", "")
    return " ".join(sql.split()).lower()


def _index_options_drift(sync_connection: Connection) -> list[tuple[str, str, str]]:
    inspector = inspect(sync_connection)
    existing = set(inspector.get_table_names())
    drift: list[tuple[str, str, str]] = []
    for table in Base.metadata.sorted_tables:
        if table.name not in existing:
            continue
        reflected = {
            str(ix["name"]): ix.get("dialect_options", {})
            for ix in inspector.get_indexes(table.name)
        }
        for index in table.indexes:
            options = reflected.get(str(index.name))
            if options is None:
                continue  # a missing index is reported by compare_metadata
            pg = index.dialect_options["postgresql"]
            where = pg["where"]
            expected_where = (
                None if where is None else str(where.compile(dialect=sync_connection.dialect))
            )
            if _normalized_predicate(expected_where) != _normalized_predicate(
                options.get("postgresql_where")
            ):
                drift.append(("index_where_mismatch", table.name, str(index.name)))
            if (pg["using"] or "btree") != options.get("postgresql_using", "btree"):
                drift.append(("index_method_mismatch", table.name, str(index.name)))
            if list(pg.get("include") or []) != list(options.get("postgresql_include") or []):
                drift.append(("index_include_mismatch", table.name, str(index.name)))
    return drift
