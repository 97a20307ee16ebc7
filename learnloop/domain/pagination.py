"""Page requests: bounds on `first`, and opaque cursors (base64 of the sort values plus the id)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

MAX_PAGE_SIZE = 100


class InvalidPageRequest(ValueError):
    """`first` out of bounds or a cursor that was not issued by us."""


@dataclass(frozen=True)
class PageRequest:
    first: int
    after: list[str] | None = None

    @classmethod
    def parse(cls, first: int | None, after: str | None) -> PageRequest:
        if first is None:
            raise InvalidPageRequest(f"`first` is required (1..{MAX_PAGE_SIZE})")
        if not 1 <= first <= MAX_PAGE_SIZE:
            raise InvalidPageRequest(f"`first` must be between 1 and {MAX_PAGE_SIZE}, got {first}")
        return cls(first=first, after=decode_cursor(after) if after else None)


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if hasattr(v, "isoformat") else str(v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidPageRequest("`after` is not a valid cursor") from None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InvalidPageRequest("`after` is not a valid cursor")
    return values


@dataclass(frozen=True)
class Page:
    """One page of records in order, each with its cursor."""

    items: list[Any]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool
