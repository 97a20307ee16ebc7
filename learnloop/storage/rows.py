"""Rows to domain records: every field is read from the row's column of the same name."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

R = TypeVar("R")


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(record_type: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(record_type)
    if names is None:
        names = _FIELD_NAMES[record_type] = tuple(f.name for f in fields(record_type))
    return names


def to_record(record_type: type[R], row: Any, **converted: Any) -> R:
    """`record_type` from the row's same-named columns; `converted` gives the fields that need
    more than a copy (an enum, a JSON object, a value computed from several columns).

    A field with a default may have no column; a required one without a column is a TypeError.
    """
    columns = row._mapping
    copied = {
        name: columns[name]
        for name in _field_names(record_type)
        if name not in converted and name in columns
    }
    return record_type(**copied, **converted)


def json_object(value: Any) -> dict[str, Any]:
    """A JSONB object column as a fresh dict ({} for NULL)."""
    return dict(value or {})
