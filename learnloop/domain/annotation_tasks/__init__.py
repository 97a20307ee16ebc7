"""The annotation workflow: leases, annotations and decisions, adjudication, assignment, gold"""

from learnloop.domain.annotation_tasks.claims import (
    _not_found,
    annotator,
    check_lease,
    claim_task,
    release_task,
    validate_claim_filter,
)
from learnloop.domain.annotation_tasks.curation import (
    assign_tasks,
    mark_gold,
    update_settings,
    validate_settings,
)
from learnloop.domain.annotation_tasks.decisions import (
    _check_decidable,
    _check_texts,
    adjudicate_example,
    newest_correction,
    outcome_of,
    submit_annotation,
)
from learnloop.domain.annotation_tasks.records import (
    MAX_ASSIGN,
    ROUTING_SIGNALS,
    AnnotationStore,
    Claimed,
    ClaimFilter,
    ExampleChange,
    Locked,
    Outcome,
    QueueFilter,
    Submitted,
)
from learnloop.domain.annotation_tasks.visibility import (
    is_manager,
    leased,
    sees_all_annotations,
    shown_quality,
    shown_status,
    undecided_to,
)

__all__ = [
    "MAX_ASSIGN",
    "ROUTING_SIGNALS",
    "AnnotationStore",
    "ClaimFilter",
    "Claimed",
    "ExampleChange",
    "Locked",
    "Outcome",
    "QueueFilter",
    "Submitted",
    "_check_decidable",
    "_check_texts",
    "_not_found",
    "adjudicate_example",
    "annotator",
    "assign_tasks",
    "check_lease",
    "claim_task",
    "is_manager",
    "leased",
    "mark_gold",
    "newest_correction",
    "outcome_of",
    "release_task",
    "sees_all_annotations",
    "shown_quality",
    "shown_status",
    "submit_annotation",
    "undecided_to",
    "update_settings",
    "validate_claim_filter",
    "validate_settings",
]
