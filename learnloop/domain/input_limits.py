"""Limits every input must meet before it reaches storage: caller keys, labels, no NUL, bounded JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from learnloop.domain.errors import ErrorCode, Problem

NUL = "\x00"
MAX_KEY_LENGTH = 200
# Domains and task types are short labels (e.g. "billing", "qa").
MAX_LABEL_LENGTH = 100


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


def check_key(raw: str | None, path: tuple[str, ...], problems: list[Problem]) -> str:
    """A caller key, stripped; appends a problem (and returns "") when it is empty or too long."""
    cleaned = (raw or "").strip()
    if not cleaned:
        problems.append(Problem(path, "must not be empty", ErrorCode.REQUIRED))
    elif len(cleaned) > MAX_KEY_LENGTH:
        problems.append(Problem(path, f"at most {MAX_KEY_LENGTH} characters", ErrorCode.TOO_LONG))
    return cleaned


def check_text(
    raw: str | None, path: tuple[str, ...], limit: int, problems: list[Problem]
) -> str | None:
    """Free text up to `limit` characters (None stays None)."""
    if raw is not None and len(raw) > limit:
        problems.append(Problem(path, f"at most {limit} characters", ErrorCode.TOO_LONG))
    return raw


def check_label(raw: str | None, path: tuple[str, ...], problems: list[Problem]) -> str | None:
    """A domain or task type: stripped, at most MAX_LABEL_LENGTH characters; blank means none."""
    cleaned = raw.strip() if raw is not None else None
    if cleaned is not None and len(cleaned) > MAX_LABEL_LENGTH:
        problems.append(Problem(path, f"at most {MAX_LABEL_LENGTH} characters", ErrorCode.TOO_LONG))
    return cleaned or None


def check_json_object(
    raw: object, path: tuple[str, ...], problems: list[Problem]
) -> dict[str, Any]:
    """JSON metadata must be an object (None means empty)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(Problem(path, "must be a JSON object", ErrorCode.INVALID))
        return {}
    return dict(raw)
