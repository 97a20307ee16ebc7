"""Feedback tokens: what a browser widget embeds to give feedback on one execution, nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from learnloop.domain.errors import ErrorCode, Problem, UserInputError
from learnloop.domain.executions import check_ref
from learnloop.domain.input_limits import check_key
from learnloop.domain.principal import Principal
from learnloop.domain.tokens import TokenSettings, issue_feedback_token

MIN_TOKEN_TTL, MAX_TOKEN_TTL = 60, 24 * 3600


def feedback_token(
    settings: TokenSettings,
    principal: Principal,
    *,
    agent_key: str,
    execution_key: str,
    end_user_id: str | None,
    expires_in_seconds: int,
    now: datetime | None = None,
) -> tuple[str, datetime]:
    """A short-lived token a browser widget embeds: submitFeedback on one execution, nothing else."""
    assert principal.org_id is not None
    problems: list[Problem] = []
    ref = check_ref(agent_key, execution_key, problems)
    end_user = check_key(end_user_id, ("endUserId",), problems) if end_user_id is not None else None
    if not MIN_TOKEN_TTL <= expires_in_seconds <= MAX_TOKEN_TTL:
        problems.append(
            Problem(
                ("expiresInSeconds",),
                f"between {MIN_TOKEN_TTL} and {MAX_TOKEN_TTL} seconds",
                ErrorCode.OUT_OF_RANGE,
            )
        )
    if problems:
        raise UserInputError(problems)
    token = issue_feedback_token(
        settings,
        org_id=principal.org_id,
        agent_key=ref.agent_key,
        execution_key=ref.execution_key,
        end_user_id=end_user,
        ttl=expires_in_seconds,
    )
    return token, (now or datetime.now(UTC)) + timedelta(seconds=expires_in_seconds)
