"""Limits every input must meet before it reaches storage: no NUL characters, bounded JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from learnloop.domain.errors import ErrorCode, Problem

NUL = "\x00"


@dataclass(frozen=True)
class InputLimits:
    max_json_depth: int = 32
    max_json_bytes: int = 64 * 1024


def text_problems(value: str, path: Sequence[str]) -> list[Problem]:
    """PostgreSQL cannot store NUL in text (nor \\u0000 in jsonb): refuse it, don't strip it."""
    if NUL in value:
        return [
            Problem(tuple(path), "must not contain NUL (\\u0000) characters", ErrorCode.INVALID)
        ]
    return []


def json_problems(value: Any, path: Sequence[str], limits: InputLimits) -> list[Problem]:
    """A JSON argument: no NUL in keys or strings, at most `max_json_depth` deep and
    `max_json_bytes` serialised (walked without recursion, so any depth is safe)."""
    where = tuple(path)
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list) and depth > limits.max_json_depth:
            return [
                Problem(
                    where,
                    f"nested deeper than {limits.max_json_depth} levels",
                    ErrorCode.OUT_OF_RANGE,
                )
            ]
        if isinstance(item, dict):
            for key, inner in item.items():
                if NUL in str(key):
                    return text_problems(str(key), where)
                stack.append((inner, depth + 1))
        elif isinstance(item, list):
            stack.extend((inner, depth + 1) for inner in item)
        elif isinstance(item, str) and NUL in item:
            return text_problems(item, where)
    size = len(json.dumps(value, ensure_ascii=False, default=str).encode())
    if size > limits.max_json_bytes:
        return [
            Problem(
                where,
                f"larger than {limits.max_json_bytes} bytes ({size}) when serialised",
                ErrorCode.TOO_LONG,
            )
        ]
    return []
