"""createTrainingRun: every check of a new run (engine, agent, config, dataset) and the insert."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from learnloop.domain.audit import AuditEntry, AuditSink
from learnloop.domain.datasets import DatasetRecord, DatasetStatus
from learnloop.domain.engines.prompts import deployed_prompt
from learnloop.domain.errors import ErrorCode, Problem, UserInputError
from learnloop.domain.principal import Principal
from learnloop.domain.training_runs.records import (
    MAX_AGENT_KEY_LENGTH,
    MAX_ATTEMPTS_LIMIT,
    EngineCatalog,
    NewTrainingRun,
    RunStatus,
    TrainingRunRecord,
    TrainingRunStore,
    TrainingType,
)


def check_engine_available(catalog: EngineCatalog, training_type: TrainingType) -> list[Problem]:
    if catalog.supports(training_type):
        return []
    available = ", ".join(t.value for t in catalog.available()) or "none"
    return [
        Problem(
            ("trainingType",),
            f"no engine for {training_type.value} is installed yet; available: {available}",
            ErrorCode.INVALID,
        )
    ]


def check_agent_key(agent_key: str) -> list[Problem]:
    if not agent_key.strip():
        return [Problem(("agentId",), "name the agent this run trains", ErrorCode.REQUIRED)]
    if len(agent_key) > MAX_AGENT_KEY_LENGTH:
        return [
            Problem(("agentId",), f"at most {MAX_AGENT_KEY_LENGTH} characters", ErrorCode.TOO_LONG)
        ]
    return []


def check_max_attempts(max_attempts: int) -> list[Problem]:
    if 1 <= max_attempts <= MAX_ATTEMPTS_LIMIT:
        return []
    return [
        Problem(("maxAttempts",), f"between 1 and {MAX_ATTEMPTS_LIMIT}", ErrorCode.OUT_OF_RANGE)
    ]


def check_config(
    catalog: EngineCatalog, training_type: TrainingType, config: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Problem]]:
    """The engine's normalised config, or its problems (paths start at `config`)."""
    if not catalog.supports(training_type):
        return {}, []
    try:
        return catalog.validate_config(training_type, config), []
    except UserInputError as exc:
        return {}, list(exc.problems)


def check_agent_covered(dataset: DatasetRecord | None, agent_key: str) -> list[Problem]:
    """A dataset scoped to some agents trains only those; another agent is a typo, not new."""
    key = agent_key.strip()
    if dataset is None or not dataset.agent_ids or not key or key in dataset.agent_ids:
        return []
    covered = ", ".join(dataset.agent_ids)
    message = f"dataset '{dataset.name}' v{dataset.version} covers agents {covered}, not '{key}'"
    return [Problem(("agentId",), f"{message}; pick one of those", ErrorCode.INVALID)]


def check_dataset_trainable(dataset: DatasetRecord | None) -> list[Problem]:
    """Runs train on frozen versions only, so a result can always be traced to its exact data."""
    if dataset is None:
        return [
            Problem(("datasetId",), "no such dataset in this organisation", ErrorCode.NOT_FOUND)
        ]
    if dataset.status is not DatasetStatus.FROZEN:
        return [
            Problem(
                ("datasetId",),
                f"dataset '{dataset.name}' v{dataset.version} is a {dataset.status.value}; "
                "freeze it first (freezeDataset) so the run trains on data that never changes",
                ErrorCode.INVALID_STATE,
            )
        ]
    if dataset.total_examples == 0:
        return [
            Problem(
                ("datasetId",),
                f"dataset '{dataset.name}' v{dataset.version} has no examples to train on",
                ErrorCode.INVALID_STATE,
            )
        ]
    return []


def check_dataset_fits(
    catalog: EngineCatalog, training_type: TrainingType, dataset: DatasetRecord | None
) -> list[Problem]:
    """The engine's own needs (e.g. the splits it uses), once the dataset itself is trainable."""
    if dataset is None or check_dataset_trainable(dataset) or not catalog.supports(training_type):
        return []
    return catalog.dataset_problems(training_type, dataset)


def check_dataset_needed(training_type: TrainingType) -> list[Problem]:
    """Every type but RAG_TUNING trains on a dataset version."""
    if training_type is TrainingType.RAG_TUNING:
        return []
    return [
        Problem(
            ("datasetId",),
            f"{training_type.value} trains on a frozen dataset version: name one",
            ErrorCode.REQUIRED,
        )
    ]


async def check_engine_data(
    store: TrainingRunStore, catalog: EngineCatalog, new: NewTrainingRun
) -> list[Problem]:
    """RAG_TUNING learns from the agent's retrieval feedback, not the dataset: it must have some."""
    agent_key = new.agent_key.strip()
    if new.training_type is not TrainingType.RAG_TUNING or not catalog.supports(new.training_type):
        return []
    if not agent_key or await store.has_retrieval_feedback(agent_key):
        return []
    return [
        Problem(
            ("agentId",),
            f"agent '{agent_key}' has no retrieval feedback yet; send some with "
            "recordRetrievalFeedback before starting RAG_TUNING",
            ErrorCode.INVALID_STATE,
        )
    ]


async def _with_deployed_prompt(
    store: TrainingRunStore, new: NewTrainingRun, config: dict[str, Any]
) -> dict[str, Any]:
    """An engine that leaves `basePrompt` open starts from the agent's active deployed prompt."""
    if "basePrompt" not in config or config["basePrompt"] is not None:
        return config
    deployed = deployed_prompt(await store.active_deployment_config(new.agent_key.strip()))
    return {**config, "basePrompt": deployed if deployed is not None else ""}


async def create_training_run(
    store: TrainingRunStore,
    catalog: EngineCatalog,
    audit: AuditSink,
    principal: Principal,
    new: NewTrainingRun,
) -> TrainingRunRecord:
    """Queue a run (PENDING) for a frozen dataset; every problem with the input is reported at once."""
    assert principal.org_id is not None
    config, config_problems = check_config(catalog, new.training_type, new.config)
    dataset = await store.dataset(new.dataset_id) if new.dataset_id is not None else None
    dataset_checks = (
        [
            *check_dataset_trainable(dataset),
            *check_agent_covered(dataset, new.agent_key),
            *check_dataset_fits(catalog, new.training_type, dataset),
        ]
        if new.dataset_id is not None
        else check_dataset_needed(new.training_type)
    )
    problems = [
        *check_engine_available(catalog, new.training_type),
        *check_agent_key(new.agent_key),
        *check_max_attempts(new.max_attempts),
        *config_problems,
        *dataset_checks,
        *await check_engine_data(store, catalog, new),
    ]
    if problems:
        raise UserInputError(problems)
    config = await _with_deployed_prompt(store, new, config)
    cleaned = NewTrainingRun(
        dataset_id=new.dataset_id,
        agent_key=new.agent_key.strip(),
        training_type=new.training_type,
        config=config,
        max_attempts=new.max_attempts,
    )
    agent_id = await store.ensure_agent(cleaned.agent_key)
    run = await store.insert(principal.org_id, cleaned, agent_id, principal.user_id)
    await store.add_event(
        run.org_id, run.id, "status", "queued", {"status": RunStatus.PENDING.value}
    )
    await audit(
        principal,
        AuditEntry(
            "training_run.create",
            "TrainingRun",
            run.id,
            {"trainingType": run.training_type.value, "datasetId": str(run.dataset_id or "")},
        ),
    )
    return run
