"""Domain failures: expected ones a caller can fix (user errors) and authentication/authorisation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class ErrorCode(StrEnum):
    """Machine-readable reasons a request was refused; exposed as the GraphQL `UserErrorCode`."""

    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE = "DUPLICATE"
    CONFLICT = "CONFLICT"
    INVALID_STATE = "INVALID_STATE"
    LEASE_NOT_HELD = "LEASE_NOT_HELD"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    FROZEN = "FROZEN"
    NOT_ALLOWED = "NOT_ALLOWED"
    # A filter named a domain no learning example has (the message lists those in use).
    UNKNOWN_DOMAIN = "UNKNOWN_DOMAIN"
    ALREADY_DEPLOYED = "ALREADY_DEPLOYED"
    NOT_DEPLOYABLE = "NOT_DEPLOYABLE"
    PROVIDER_REQUIRED = "PROVIDER_REQUIRED"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where (`field` path from the input root) and why."""

    field: tuple[str, ...]
    message: str
    code: ErrorCode = ErrorCode.INVALID


@dataclass
class UserInputError(Exception):
    """Raised by domain functions when input is refused; nothing has been written."""

    problems: Sequence[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{'.'.join(p.field)}: {p.message}" for p in self.problems)

    @classmethod
    def single(
        cls, path: Sequence[str], message: str, code: ErrorCode = ErrorCode.INVALID
    ) -> UserInputError:
        return cls([Problem(tuple(path), message, code)])


class NotAuthenticated(Exception):
    """No usable credentials: missing, malformed, expired, forged or revoked."""


class Forbidden(Exception):
    """Valid credentials whose role or scope does not allow the operation."""
