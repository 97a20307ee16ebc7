"""API keys: validation of new keys, and the secret that is shown exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from uuid import UUID

from learnloop.domain.audit import AuditEntry, AuditSink
from learnloop.domain.errors import ErrorCode, Problem, UserInputError
from learnloop.domain.principal import Principal
from learnloop.domain.roles import Role
from learnloop.domain.tokens import api_key_display_prefix, hash_api_key, new_api_key_secret

MAX_NAME_LENGTH = 200
MAX_TTL_DAYS = 3650


@dataclass(frozen=True)
class ApiKeyRecord:
    id: UUID
    name: str
    prefix: str
    role: Role
    created_by_user_id: UUID | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True)
class NewApiKey:
    """What storage keeps (hash, prefix) and the secret the caller sees once."""

    name: str
    role: Role
    secret: str
    key_hash: bytes
    prefix: str
    expires_at: datetime | None


def new_api_key(
    name: str, role: Role, expires_in_days: int | None, *, now: datetime | None = None
) -> NewApiKey:
    problems: list[Problem] = []
    cleaned = name.strip()
    if not cleaned:
        problems.append(
            Problem(("name",), "give the key a name people will recognise", ErrorCode.REQUIRED)
        )
    elif len(cleaned) > MAX_NAME_LENGTH:
        problems.append(
            Problem(("name",), f"at most {MAX_NAME_LENGTH} characters", ErrorCode.TOO_LONG)
        )
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_TTL_DAYS:
        problems.append(
            Problem(
                ("expiresInDays",), f"between 1 and {MAX_TTL_DAYS} days", ErrorCode.OUT_OF_RANGE
            )
        )
    if problems:
        raise UserInputError(problems)
    secret = new_api_key_secret()
    expires_at = None
    if expires_in_days is not None:
        expires_at = (now or datetime.now(UTC)) + timedelta(days=expires_in_days)
    return NewApiKey(
        name=cleaned,
        role=role,
        secret=secret,
        key_hash=hash_api_key(secret),
        prefix=api_key_display_prefix(secret),
        expires_at=expires_at,
    )


class ApiKeyStore(Protocol):
    async def create(
        self, org_id: UUID, key: NewApiKey, created_by: UUID | None
    ) -> ApiKeyRecord: ...
    async def revoke(self, key_id: UUID) -> ApiKeyRecord | None: ...


async def create_api_key(
    store: ApiKeyStore,
    audit: AuditSink,
    principal: Principal,
    *,
    name: str,
    role: Role,
    expires_in_days: int | None,
) -> tuple[ApiKeyRecord, str]:
    """Create a key for the caller's org; returns the record and the secret (shown this once)."""
    assert principal.org_id is not None and principal.role is not None
    if not principal.role.includes(role):
        raise UserInputError.single(
            ("role",),
            f"you cannot create a key above your own role ({principal.role.value})",
            ErrorCode.NOT_ALLOWED,
        )
    key = new_api_key(name, role, expires_in_days)
    record = await store.create(principal.org_id, key, principal.user_id)
    await audit(
        principal,
        AuditEntry(
            "api_key.create", "ApiKey", record.id, {"name": record.name, "role": role.value}
        ),
    )
    return record, key.secret


async def revoke_api_key(
    store: ApiKeyStore, audit: AuditSink, principal: Principal, key_id: UUID
) -> ApiKeyRecord:
    record = await store.revoke(key_id)
    if record is None:
        raise UserInputError.single(
            ("apiKeyId",), "no such API key in this organisation", ErrorCode.NOT_FOUND
        )
    await audit(principal, AuditEntry("api_key.revoke", "ApiKey", record.id, {"name": record.name}))
    return record
