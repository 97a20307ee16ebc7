"""The rules one feedback submission must meet, and whose opinion it is."""

from __future__ import annotations

from dataclasses import replace

from learnloop.domain.errors import ErrorCode, Forbidden, Problem
from learnloop.domain.executions import ExecutionRef, check_ref
from learnloop.domain.feedback.records import (
    MAX_FEEDBACK_TEXT,
    RATING_MAX,
    RATING_MIN,
    Author,
    FeedbackSubmission,
    FeedbackType,
)
from learnloop.domain.input_limits import check_key, check_text
from learnloop.domain.principal import ExecutionScope, Principal, end_user_actor_key


def _check_score(value: int | None, path: tuple[str, ...], problems: list[Problem]) -> None:
    if value is not None and not RATING_MIN <= value <= RATING_MAX:
        problems.append(
            Problem(path, f"must be between {RATING_MIN} and {RATING_MAX}", ErrorCode.OUT_OF_RANGE)
        )


def validate_submission(
    s: FeedbackSubmission, prefix: tuple[str, ...] = ()
) -> tuple[FeedbackSubmission, list[Problem]]:
    """Every rule one submission must meet; returns it cleaned, with the problems found."""
    problems: list[Problem] = []
    ref = check_ref(s.agent_key, s.execution_key, problems, prefix)
    _check_score(s.rating, (*prefix, "rating"), problems)
    for name, value in s.dimensions.items():
        _check_score(value, (*prefix, "dimensions", name), problems)
    check_text(s.feedback_text, (*prefix, "feedbackText"), MAX_FEEDBACK_TEXT, problems)
    check_text(s.correction_text, (*prefix, "correctionText"), MAX_FEEDBACK_TEXT, problems)
    kind = s.feedback_type
    if kind is FeedbackType.STAR_RATING and s.rating is None:
        problems.append(
            Problem((*prefix, "rating"), "a STAR_RATING needs a rating", ErrorCode.REQUIRED)
        )
    if kind is FeedbackType.CORRECTION and not (s.correction_text or "").strip():
        problems.append(
            Problem(
                (*prefix, "correctionText"),
                "a CORRECTION needs the corrected answer",
                ErrorCode.REQUIRED,
            )
        )
    if kind is FeedbackType.REPORT_ISSUE and not s.issue_categories and not s.feedback_text:
        problems.append(
            Problem(
                (*prefix, "issueCategories"),
                "say what the issue is: a category or a text",
                ErrorCode.REQUIRED,
            )
        )
    if kind is FeedbackType.DETAILED_FEEDBACK and not (
        (s.feedback_text or "").strip() or any(v is not None for _, v in s.dimensions.items())
    ):
        problems.append(
            Problem(
                (*prefix, "feedbackText"),
                "DETAILED_FEEDBACK needs a text or dimension scores",
                ErrorCode.REQUIRED,
            )
        )
    key = s.idempotency_key
    if key is not None:
        key = check_key(key, (*prefix, "idempotencyKey"), problems)
    end_user = s.end_user_id
    if end_user is not None:
        end_user = check_key(end_user, (*prefix, "endUserId"), problems)
    cleaned = replace(
        s,
        agent_key=ref.agent_key,
        execution_key=ref.execution_key,
        issue_categories=tuple(dict.fromkeys(s.issue_categories)),
        idempotency_key=key,
        end_user_id=end_user,
    )
    return cleaned, problems


def author_of(
    principal: Principal, s: FeedbackSubmission, prefix: tuple[str, ...] = ()
) -> tuple[Author, list[Problem]]:
    """The person an opinion belongs to: the token's end user, a relayed end user, or the caller."""
    scope = principal.scope
    if scope is not None:
        author = Author(scope.author_key, None, key_scope(scope.author_key, scope))
        if s.end_user_id is not None and s.end_user_id != scope.end_user_id:
            problem = Problem(
                (*prefix, "endUserId"),
                "a feedback token speaks for the end user it was issued to",
                ErrorCode.NOT_ALLOWED,
            )
            return author, [problem]
        return author, []
    if s.end_user_id is not None:
        relayed = end_user_actor_key(s.end_user_id)
        return Author(relayed, None, key_scope(relayed, None)), []
    return Author(principal.actor_key, principal.user_id, key_scope(principal.actor_key, None)), []


def key_scope(author_key: str, scope: ExecutionScope | None) -> str:
    """Whose idempotency keys a submission's key is among: (organisation, author), or for a
    widget token (token, execution). A key reused by someone else is a different key: it never
    returns their feedback, and never swallows this submission."""
    if scope is None:
        return author_key
    ref = scope.ref
    return f"token:{scope.credential_id}:{ref.agent_key}/{ref.execution_key}"


def authorize_submission(principal: Principal, s: FeedbackSubmission) -> None:
    """A narrow principal (feedback token) may give feedback on its own execution only."""
    scope = principal.scope
    if scope is not None and scope.ref != ExecutionRef(s.agent_key, s.execution_key):
        raise Forbidden("this feedback token allows feedback on another execution only")
