"""Webhook rules (Standard Webhooks): events, secrets, signatures, retry schedule, target checks.

Pure: the worker that delivers and the storage that keeps the outbox build on these.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from learnloop.domain.datasets import DatasetRecord
from learnloop.domain.errors import ErrorCode, Problem, UserInputError
from learnloop.domain.feedback import FeedbackRecord
from learnloop.domain.learning_examples import LearningExampleRecord

EVENTS = (
    "feedback.created",
    "example.decided",
    "dataset.frozen",
    "training_run.completed",
    "training_run.failed",
    "experiment.concluded",
)
SECRET_PREFIX = "whsec_"
DEFAULT_RETRY_SECONDS = (5.0, 30.0, 120.0, 600.0, 3600.0)


def new_secret() -> str:
    """A `whsec_` secret: base64 of 32 random bytes (Standard Webhooks' format)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def body(event_type: str, timestamp: datetime, data: Mapping[str, Any]) -> bytes:
    """The delivered JSON: {"type", "timestamp", "data"}, compact and key-sorted."""
    doc = {"type": event_type, "timestamp": timestamp.isoformat(), "data": data}
    return json.dumps(doc, separators=(",", ":"), sort_keys=True, default=str).encode()


def signature(secret: str, message_id: str, timestamp: int, payload: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`."""
    signed = f"{message_id}.{timestamp}.".encode() + payload
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(
    secrets_in_use: Iterable[str], message_id: str, timestamp: int, payload: bytes
) -> dict[str, str]:
    """Delivery headers; during a rotation every current secret signs (space-separated)."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            signature(s, message_id, timestamp, payload) for s in secrets_in_use
        ),
        "content-type": "application/json",
    }


def retry_schedule(raw: str | None) -> tuple[float, ...]:
    """LEARNLOOP_WEBHOOK_RETRY_SECONDS: comma-separated delays after each failed attempt."""
    if raw is None or not raw.strip():
        return DEFAULT_RETRY_SECONDS
    try:
        delays = tuple(float(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ValueError("LEARNLOOP_WEBHOOK_RETRY_SECONDS: comma-separated seconds") from None
    if any(d < 0 for d in delays):
        raise ValueError("LEARNLOOP_WEBHOOK_RETRY_SECONDS: delays must not be negative")
    return delays


def next_delay(schedule: tuple[float, ...], failed_attempts: int) -> float | None:
    """Seconds until the next attempt after `failed_attempts` failures; None: give up."""
    if failed_attempts < 1 or failed_attempts > len(schedule):
        return None
    return schedule[failed_attempts - 1]


@dataclass(frozen=True)
class EndpointInput:
    url: str
    events: tuple[str, ...]
    description: str | None = None


def validate_endpoint(endpoint: EndpointInput) -> EndpointInput:
    problems: list[Problem] = []
    parts = urlsplit(endpoint.url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(Problem(("url",), "an http(s) URL with a host", ErrorCode.INVALID))
    if len(endpoint.url) > 2000:
        problems.append(Problem(("url",), "at most 2000 characters", ErrorCode.TOO_LONG))
    events = tuple(dict.fromkeys(endpoint.events))
    if not events:
        problems.append(Problem(("events",), "subscribe to at least one event", ErrorCode.REQUIRED))
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        problems.append(
            Problem(
                ("events",),
                f"unknown events {', '.join(unknown)}; known: {', '.join(EVENTS)}",
                ErrorCode.INVALID,
            )
        )
    if endpoint.description is not None and len(endpoint.description) > 500:
        problems.append(Problem(("description",), "at most 500 characters", ErrorCode.TOO_LONG))
    if problems:
        raise UserInputError(problems)
    return EndpointInput(endpoint.url.strip(), events, endpoint.description)


def refused_address(addresses: Iterable[str], allow_private: bool) -> str | None:
    """The first resolved address a delivery must not reach (SSRF), or None if all are public.

    Every address the host resolves to is checked: one private answer is enough to refuse,
    since the connection may use any of them.
    """
    if allow_private:
        return None
    for raw in addresses:
        address = ipaddress.ip_address(raw.split("%")[0])
        mapped = getattr(address, "ipv4_mapped", None)
        if mapped is not None:
            address = mapped
        if not address.is_global or address.is_multicast:
            return str(address)
    return None


@dataclass(frozen=True)
class Event:
    """What happened, as delivered: `message_id` is the webhook-id of every attempt."""

    type: str
    timestamp: datetime
    data: Mapping[str, Any]
    message_id: str

    def body(self) -> bytes:
        return body(self.type, self.timestamp, self.data)


def event(event_type: str, timestamp: datetime, data: Mapping[str, Any]) -> Event:
    if event_type not in EVENTS:
        raise ValueError(f"unknown webhook event {event_type}")
    return Event(event_type, timestamp, data, f"msg_{secrets.token_hex(12)}")


def feedback_created(feedback: FeedbackRecord, agent_key: str, execution_key: str) -> Event:
    """feedback.created: ids and the opinion, never the author's identity beyond their key."""
    return event(
        "feedback.created",
        feedback.created_at,
        {
            "feedbackId": str(feedback.id),
            "agentId": agent_key,
            "executionId": execution_key,
            "feedbackType": feedback.feedback_type.value,
            "rating": feedback.rating,
            "feedbackText": feedback.feedback_text,
            "correctionText": feedback.correction_text,
            "issueCategories": [c.value for c in feedback.issue_categories],
        },
    )


@dataclass(frozen=True)
class EndpointRecord:
    id: UUID
    url: str
    events: tuple[str, ...]
    description: str | None
    created_at: datetime


@dataclass(frozen=True)
class DeliveryRecord:
    id: UUID
    endpoint_id: UUID
    message_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True)
class Attempt:
    """What one delivery attempt came to, and what the row becomes."""

    status: str  # DELIVERED, PENDING (retry later) or FAILED (given up)
    retry_in: float | None
    status_code: int | None
    error: str | None


def outcome(
    schedule: tuple[float, ...], attempt: int, status_code: int | None, error: str | None
) -> Attempt:
    """2xx delivers; anything else is retried on the schedule, then FAILED."""
    if status_code is not None and 200 <= status_code < 300:
        return Attempt("DELIVERED", None, status_code, None)
    delay = next_delay(schedule, attempt)
    return Attempt("FAILED" if delay is None else "PENDING", delay, status_code, error)


def example_decided(example: LearningExampleRecord, decided_at: datetime) -> Event:
    """example.decided: an example was approved or rejected (by annotation or adjudication)."""
    return event(
        "example.decided",
        decided_at,
        {
            "exampleId": str(example.id),
            "reviewStatus": str(example.review_status.value),
            "domain": example.domain,
        },
    )


def dataset_frozen(dataset: DatasetRecord, frozen_at: datetime) -> Event:
    return event(
        "dataset.frozen",
        frozen_at,
        {
            "datasetId": str(dataset.id),
            "name": dataset.name,
            "version": dataset.version,
            "agentIds": list(dataset.agent_ids),
        },
    )


def training_run_finished(
    run_id: UUID, status: str, error: str | None, finished_at: datetime
) -> Event | None:
    """training_run.completed / training_run.failed; other transitions send nothing."""
    kinds = {"COMPLETED": "training_run.completed", "FAILED": "training_run.failed"}
    if status not in kinds:
        return None
    return event(
        kinds[status], finished_at, {"runId": str(run_id), "status": status, "error": error}
    )


def experiment_concluded(
    experiment_id: UUID,
    agent_key: str,
    verdict: str,
    concluded_at: datetime,
    promotion_pending: Mapping[str, Any] | None = None,
) -> Event:
    """experiment.concluded; `promotionPending` asks a person to confirm a canary's winner."""
    return event(
        "experiment.concluded",
        concluded_at,
        {
            "experimentId": str(experiment_id),
            "agentId": agent_key,
            "verdict": verdict,
            "promotionPending": dict(promotion_pending) if promotion_pending else None,
        },
    )
