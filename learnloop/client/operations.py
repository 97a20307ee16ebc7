"""The GraphQL documents the client sends, the variables it builds and how answers are read.

Shared by the sync and async clients, so both speak exactly the same operations (a test
validates every document here against the committed schema.graphql).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from learnloop.client.results import (
    AgentConfig,
    ExecutionResult,
    FeedbackResult,
    FeedbackToken,
    LearnloopError,
    UserError,
    UserErrors,
)

RECORD_EXECUTION = """
mutation LearnloopRecordExecution($input: RecordExecutionInput!) {
  recordExecution(input: $input) {
    execution { id key }
    outcome
    userErrors { field message code }
  }
}"""

SUBMIT_FEEDBACK = """
mutation LearnloopSubmitFeedback($input: SubmitFeedbackInput!) {
  submitFeedback(input: $input) {
    feedback { id feedbackType }
    userErrors { field message code }
  }
}"""

CREATE_FEEDBACK_TOKEN = """
mutation LearnloopCreateFeedbackToken($input: CreateFeedbackTokenInput!) {
  createFeedbackToken(input: $input) {
    token
    expiresAt
    userErrors { field message code }
  }
}"""

AGENT_CONFIG = """
query LearnloopAgentConfig($agentId: String!, $unitId: String) {
  agentConfig(agentId: $agentId, unitId: $unitId) {
    variant
    experimentId
    deploymentVersion
    config
  }
}"""

_EXECUTIONS = """
  recordExecutionBatch(input: {items: $executions}) {
    recordedCount
    userErrors { field message code }
  }"""
_FEEDBACK = """
  submitFeedbackBatch(input: {items: $feedback}) {
    storedCount
    userErrors { field message code }
  }"""

# One request per background batch: executions first, so feedback finds them (it would
# otherwise create a stub that the execution then fills; both orders are correct).
BATCH_EXECUTIONS = (
    f"mutation LearnloopExecutionBatch($executions: [RecordExecutionInput!]!) {{{_EXECUTIONS}\n}}"
)
BATCH_FEEDBACK = (
    f"mutation LearnloopFeedbackBatch($feedback: [SubmitFeedbackInput!]!) {{{_FEEDBACK}\n}}"
)
BATCH_BOTH = (
    "mutation LearnloopBatch($executions: [RecordExecutionInput!]!, "
    f"$feedback: [SubmitFeedbackInput!]!) {{{_EXECUTIONS}{_FEEDBACK}\n}}"
)

ALL_DOCUMENTS = {
    "recordExecution": RECORD_EXECUTION,
    "submitFeedback": SUBMIT_FEEDBACK,
    "createFeedbackToken": CREATE_FEEDBACK_TOKEN,
    "agentConfig": AGENT_CONFIG,
    "batchExecutions": BATCH_EXECUTIONS,
    "batchFeedback": BATCH_FEEDBACK,
    "batchBoth": BATCH_BOTH,
}

# The service's batch mutations take at most this many items each.
MAX_BATCH = 500
RETRYABLE_STATUS = frozenset({502, 503, 504})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def execution_input(agent_id: str, execution_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    item = {"agentId": agent_id, "executionId": execution_id}
    item.update({_camel(k): v for k, v in fields.items() if v is not None})
    return item


def feedback_input(
    agent_id: str, execution_id: str, feedback_type: str, fields: dict[str, Any]
) -> dict[str, Any]:
    """An idempotency key is always sent, so a retried request never stores feedback twice."""
    item = {"agentId": agent_id, "executionId": execution_id, "feedbackType": feedback_type}
    item.update({_camel(k): v for k, v in fields.items() if v is not None})
    item.setdefault("idempotencyKey", f"llc-{uuid.uuid4().hex}")
    return item


@dataclass(frozen=True)
class Item:
    """A queued background submission."""

    kind: str  # "execution" or "feedback"
    payload: dict[str, Any]


def batch_request(items: Sequence[Item]) -> tuple[str, dict[str, Any]]:
    executions = [i.payload for i in items if i.kind == "execution"]
    feedback = [i.payload for i in items if i.kind == "feedback"]
    if executions and feedback:
        return BATCH_BOTH, {"executions": executions, "feedback": feedback}
    if executions:
        return BATCH_EXECUTIONS, {"executions": executions}
    return BATCH_FEEDBACK, {"feedback": feedback}


def batch_rejections(data: dict[str, Any]) -> list[str]:
    """Messages of the items the service refused (per-item userErrors; the rest were stored)."""
    found: list[str] = []
    for root in ("recordExecutionBatch", "submitFeedbackBatch"):
        for e in (data.get(root) or {}).get("userErrors", []):
            found.append(f"{root} {'.'.join(e.get('field') or ())}: {e['message']}")
    return found


def take(items: list[Item], limit: int = MAX_BATCH) -> tuple[list[Item], list[Item]]:
    """A batch with at most `limit` items of each kind, and what is left."""
    counts = {"execution": 0, "feedback": 0}
    now: list[Item] = []
    later: list[Item] = []
    for item in items:
        if counts[item.kind] < limit:
            counts[item.kind] += 1
            now.append(item)
        else:
            later.append(item)
    return now, later


def backoff(attempt: int, base: float = 0.1, cap: float = 5.0) -> float:
    """Full-jitter exponential backoff: concurrent clients do not retry in lockstep."""
    return random.uniform(0, min(cap, base * 2**attempt))  # jitter, not security


def body(query: str, variables: dict[str, Any]) -> dict[str, Any]:
    return {"query": query, "variables": variables}


def retryable(status_code: int) -> str | None:
    """Why a response is worth retrying (a gateway or overload status), or None if it is final."""
    return f"HTTP {status_code}" if status_code in RETRYABLE_STATUS else None


def data_of(body: Any) -> dict[str, Any]:
    """The response's data, or LearnloopError with the GraphQL errors' messages and codes."""
    if not isinstance(body, dict):
        raise LearnloopError("unexpected response from the service")
    errors = body.get("errors") or []
    if errors:
        codes = tuple(str((e.get("extensions") or {}).get("code", "")) for e in errors)
        raise LearnloopError("; ".join(str(e.get("message")) for e in errors), codes)
    data = body.get("data")
    if not isinstance(data, dict):
        raise LearnloopError("response without data")
    return data


def payload_of(data: dict[str, Any], root: str) -> dict[str, Any]:
    payload: dict[str, Any] = data[root]
    errors = [UserError.parse(e) for e in payload.get("userErrors", [])]
    if errors:
        raise UserErrors(errors)
    return payload


def execution_result(data: dict[str, Any], agent_id: str) -> ExecutionResult:
    payload = payload_of(data, "recordExecution")
    execution = payload["execution"]
    return ExecutionResult(execution["id"], agent_id, execution["key"], payload["outcome"])


def feedback_result(data: dict[str, Any]) -> FeedbackResult:
    feedback = payload_of(data, "submitFeedback")["feedback"]
    return FeedbackResult(feedback["id"], feedback["feedbackType"])


def feedback_token(data: dict[str, Any]) -> FeedbackToken:
    payload = payload_of(data, "createFeedbackToken")
    return FeedbackToken(payload["token"], payload["expiresAt"])


def agent_config(data: dict[str, Any]) -> AgentConfig:
    raw = data["agentConfig"]
    return AgentConfig(
        config=dict(raw.get("config") or {}),
        variant=raw.get("variant"),
        experiment_id=raw.get("experimentId"),
        deployment_version=raw.get("deploymentVersion"),
    )
