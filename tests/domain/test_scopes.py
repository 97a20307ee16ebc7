"""Read policies: organisation-wide principals read everything; a widget token its own rows only."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from learnloop.domain.agents import AgentRecord
from learnloop.domain.executions import ExecutionRecord, ExecutionRef
from learnloop.domain.feedback import Dimensions, FeedbackRecord, FeedbackType
from learnloop.domain.principal import ExecutionScope, Principal, PrincipalKind
from learnloop.domain.roles import Role
from learnloop.domain.scopes import read_policy

NOW = datetime.now(UTC)
ORG, AGENT, EXECUTION = uuid4(), uuid4(), uuid4()
TOKEN = Principal(
    kind=PrincipalKind.FEEDBACK_TOKEN,
    org_id=ORG,
    role=Role.VIEWER,
    scope=ExecutionScope(ExecutionRef("agent-1", "exec-1"), "visitor", "jti-1"),
)


def feedback(execution_id: UUID, author_key: str) -> FeedbackRecord:
    return FeedbackRecord(
        id=uuid4(),
        execution_id=execution_id,
        agent_id=AGENT,
        author_key=author_key,
        author_user_id=None,
        feedback_type=FeedbackType.THUMBS_UP,
        rating=None,
        feedback_text=None,
        correction_text=None,
        issue_categories=(),
        dimensions=Dimensions(),
        idempotency_key=None,
        created_at=NOW,
        updated_at=NOW,
    )


def execution(execution_id: UUID) -> ExecutionRecord:
    return ExecutionRecord(
        execution_id, AGENT, "exec-1", "in", "out", {}, None, None, False, NOW, NOW
    )


def test_organisation_wide_principals_read_any_record() -> None:
    user = Principal(kind=PrincipalKind.USER, org_id=ORG, role=Role.VIEWER, user_id=uuid4())
    policy = read_policy(user)
    assert not policy.narrow
    assert policy.permits(feedback(uuid4(), "user:someone")) and policy.permits(object())


def test_a_token_reads_its_execution_and_its_own_feedback_only() -> None:
    policy = read_policy(TOKEN, EXECUTION)
    assert policy.permits(execution(EXECUTION))
    assert policy.permits(feedback(EXECUTION, "enduser:visitor"))
    assert not policy.permits(execution(uuid4()))
    assert not policy.permits(feedback(EXECUTION, "user:neighbour"))
    assert not policy.permits(feedback(uuid4(), "enduser:visitor"))


def test_unknown_kinds_of_record_are_refused_to_a_token() -> None:
    policy = read_policy(TOKEN, EXECUTION)
    assert not policy.permits(AgentRecord(AGENT, "agent-1", None, None, NOW, NOW))
    assert not policy.permits(object())


def test_a_token_whose_execution_does_not_exist_reads_nothing() -> None:
    assert not read_policy(TOKEN, None).permits(execution(EXECUTION))
