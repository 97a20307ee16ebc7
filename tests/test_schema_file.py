"""The committed schema.graphql is exactly what the code generates (run `make schema`)."""

from __future__ import annotations

from pathlib import Path

from learnloop.schema.root import get_schema

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema.graphql"


def test_committed_schema_is_current() -> None:
    generated = get_schema().as_str() + "\n"
    committed = SCHEMA_FILE.read_text() if SCHEMA_FILE.exists() else ""
    assert committed == generated, "schema.graphql is out of date: run `make schema` and commit it"
