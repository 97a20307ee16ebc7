"""What a principal may read: its whole organisation, or one execution and its own feedback on it.

Every object a GraphQL response reaches is checked against the caller's `ReadPolicy`
(resolvers/scopes.py applies it to every resolved value). Organisation-wide principals (users,
API keys) read whatever row-level security shows their organisation. A narrow principal reads a
record only when `permits` says so, and anything this module does not know is refused: a new
record type stays invisible to feedback tokens until a rule here lets it through.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from learnloop.domain.executions import ExecutionRecord
from learnloop.domain.feedback.records import FeedbackRecord
from learnloop.domain.learning_examples import LearningExampleRecord
from learnloop.domain.principal import ExecutionScope, Principal


@dataclass(frozen=True)
class ReadPolicy:
    """The records one principal may read in one request."""

    # None: organisation-wide. Otherwise the narrow scope, resolved to its execution's row id
    # (None while that execution does not exist: then nothing is readable).
    scope: ExecutionScope | None = None
    execution_id: UUID | None = None

    @property
    def narrow(self) -> bool:
        return self.scope is not None

    def permits(self, record: object) -> bool:
        """May this principal see `record`? Unknown kinds of record: only organisation-wide."""
        scope = self.scope
        if scope is None:
            return True
        if self.execution_id is None:
            return False
        if isinstance(record, ExecutionRecord):
            return record.id == self.execution_id
        if isinstance(record, FeedbackRecord):
            return record.execution_id == self.execution_id and record.author_key == (
                scope.author_key
            )
        if isinstance(record, LearningExampleRecord):
            # The example the holder's own correction made (its text is theirs).
            return (
                record.source_feedback_id is not None
                and record.execution_id == self.execution_id
                and record.author_key == scope.author_key
            )
        return False


ORGANIZATION_WIDE = ReadPolicy()


def read_policy(principal: Principal, execution_id: UUID | None = None) -> ReadPolicy:
    """The principal's policy; a narrow one needs its execution's id (looked up by the caller)."""
    if principal.scope is None:
        return ORGANIZATION_WIDE
    return ReadPolicy(scope=principal.scope, execution_id=execution_id)
