"""One row mapper for every record: same-named columns are copied, the rest is converted."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from learnloop.storage.rows import json_object, to_record


@dataclass(frozen=True)
class Thing:
    id: int
    name: str
    data: dict[str, Any]
    note: str | None = None


def row(**columns: Any) -> Any:
    return SimpleNamespace(_mapping=columns, **columns)


def test_columns_are_copied_by_field_name_and_conversions_win() -> None:
    thing = to_record(Thing, row(id=1, name="a", data=None, extra=5), data=json_object(None))
    assert thing == Thing(1, "a", {})
    assert to_record(Thing, row(id=2, name="b", data={"k": 1}, note="n")).note == "n"


def test_a_required_field_without_a_column_is_an_error() -> None:
    with pytest.raises(TypeError):
        to_record(Thing, row(id=1, data={}))
