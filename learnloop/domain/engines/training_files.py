"""Engines that turn a frozen dataset into training files (and optionally a provider job).

Shared by FINE_TUNING (chat files) and DPO (preference pairs): write each split with the dataset
export formatters (`domain/exports.py`, the same lines `GET /exports/datasets/...` serves),
measure counts and tokens, keep the files as run artifacts, and when a fine-tuning API is
configured, upload them and create (and optionally follow) a job.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from learnloop.domain.deployments import ResultKind
from learnloop.domain.engines import config as checks
from learnloop.domain.engines.base import (
    Artifact,
    CancelToken,
    EngineResult,
    ProgressReporter,
    ProviderJobLedger,
    RunCancelled,
    TrainingData,
    TrainingFailed,
)
from learnloop.domain.engines.fine_tune_api import TERMINAL_JOB_STATES, FineTuneProvider
from learnloop.domain.engines.token_stats import TOKENIZER, summarize
from learnloop.domain.errors import ErrorCode, Problem
from learnloop.domain.exports import ExportFormat, iter_lines
from learnloop.domain.splits import Split
from learnloop.domain.training_runs.records import TrainingType

JSONL = "application/jsonl"
COMMON_OPTIONS = {
    "model",
    "suffix",
    "nEpochs",
    "includeValidation",
    "minExamples",
    "submit",
    "waitForJob",
    "pollSeconds",
}


@dataclass(frozen=True)
class ExportedSplit:
    split: Split
    lines: list[str]
    tokens: list[int]
    examples: int  # examples of the split, usable or not


PROVIDER_SETTINGS = "LEARNLOOP_LLM_BASE_URL (and LEARNLOOP_LLM_API_KEY)"


def _provider_needs(provider: FineTuneProvider | None) -> checks.Check:
    """`submit` and `waitForJob` need a fine-tuning API; say which settings configure one."""

    def check(config: Mapping[str, Any]) -> list[Problem]:
        if provider is not None:
            return []
        return [
            Problem(
                ("config", key),
                f"'{key}: true' needs a fine-tuning API, and none is configured: set "
                f"{PROVIDER_SETTINGS} for the API and its workers, or leave '{key}' out to only "
                "produce the training files (the run's result is then FILES_ONLY, which cannot "
                "be deployed)",
                ErrorCode.PROVIDER_REQUIRED,
            )
            for key in ("submit", "waitForJob")
            if config.get(key)
        ]

    return check


def worker_lacks_provider(worker_provider: FineTuneProvider | None) -> TrainingFailed | None:
    """A run created where a provider was configured, claimed by a worker without one."""
    if worker_provider is not None:
        return None
    return TrainingFailed(
        "this run submits its files to a fine-tuning API (config submit: true), but the worker "
        f"that claimed it has none configured. Set {PROVIDER_SETTINGS} for every worker "
        "(`learnloop worker` and `learnloop serve` alike) and start a new run, or start one "
        "with config {submit: false} to only produce the training files."
    )


class FileTrainingEngine:
    """Subclasses set the type, export format, file prefix, provider method and token count."""

    training_type: TrainingType
    export_format: ExportFormat
    prefix: str
    unit: str  # what one line is: "examples" or "pairs"

    def __init__(
        self, provider: FineTuneProvider | None = None, *, default_model: str = "gpt-4o-mini"
    ) -> None:
        self.provider = provider
        self.default_model = default_model

    # --- what subclasses specialise ------------------------------------------------------
    def extra_checks(self) -> list[checks.Check]:
        return []

    def extra_defaults(self) -> dict[str, Any]:
        return {}

    def method(self, config: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def line_tokens(self, row: dict[str, Any]) -> int:
        raise NotImplementedError

    def provider_line(self, row: dict[str, Any]) -> dict[str, Any]:
        """The row as the provider's upload format wants it (the same by default)."""
        return row

    # --- the engine interface ------------------------------------------------------------
    def validate_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        rules = [
            checks.unknown_keys(COMMON_OPTIONS | set(self.extra_defaults())),
            checks.text("model", max_length=200),
            checks.text("suffix", max_length=40),
            checks.integer("nEpochs", 1, 50),
            checks.boolean("includeValidation"),
            checks.integer("minExamples", 1, 1_000_000),
            checks.boolean("submit"),
            checks.boolean("waitForJob"),
            checks.number("pollSeconds", 0.01, 3600),
            _provider_needs(self.provider),
            *self.extra_checks(),
        ]
        defaults = {
            "model": self.default_model,
            "includeValidation": True,
            "minExamples": 1,
            "submit": self.provider is not None,
            "waitForJob": False,
            "pollSeconds": 30,
            **self.extra_defaults(),
        }
        return checks.validate(config, rules, defaults)

    async def run(
        self,
        dataset: TrainingData,
        config: Mapping[str, Any],
        progress: ProgressReporter,
        cancel: CancelToken,
    ) -> EngineResult:
        if config["submit"] and (missing := worker_lacks_provider(self.provider)) is not None:
            raise missing
        await progress(0.05, message=f"exporting {dataset.name} v{dataset.version}")
        train = self._export(dataset, Split.TRAIN)
        self._require_enough(dataset, train, int(config["minExamples"]))
        validation = (
            self._export(dataset, Split.VALIDATION) if config["includeValidation"] else None
        )
        cancel.raise_if_cancelled()
        splits = [s for s in (train, validation) if s is not None and s.lines]
        artifacts = [self._artifact(s.split, s.lines) for s in splits]
        metrics = self._metrics(train, validation, config)
        await progress(
            0.5, message=f"{len(train.lines)} training {self.unit} written", metrics=metrics
        )
        provider = None
        if config["submit"]:
            uploads = [self._upload_file(s, own) for s, own in zip(splits, artifacts, strict=True)]
            artifacts += [u for u in uploads if u not in artifacts]
            provider = await self._submit(uploads, config, progress, cancel)
        return EngineResult(
            result=self._result(train, artifacts, provider, config),
            metrics=metrics,
            artifacts=tuple(artifacts),
        )

    # --- steps ---------------------------------------------------------------------------
    def _export(self, data: TrainingData, split: Split) -> ExportedSplit:
        lines = list(iter_lines(self.export_format, data.split(split)))
        tokens = [self.line_tokens(json.loads(line)) for line in lines]
        return ExportedSplit(split, lines, tokens, len(data.split(split)))

    def _require_enough(self, data: TrainingData, train: ExportedSplit, minimum: int) -> None:
        if len(train.lines) < minimum:
            raise TrainingFailed(
                f"dataset '{data.name}' v{data.version} has {len(train.lines)} usable training "
                f"{self.unit} in its TRAIN split ({train.examples} examples there), fewer than "
                f"minExamples={minimum}. {self.requirement()} Add such examples in a new "
                "dataset version, or lower minExamples."
            )

    def requirement(self) -> str:
        return ""

    def _upload_file(self, s: ExportedSplit, own: Artifact) -> Artifact:
        """The split's file in the provider's format (the stored file itself when that is the same)."""
        rows = [self.provider_line(json.loads(line)) for line in s.lines]
        lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows]
        upload = self._artifact(s.split, lines, ".provider")
        return own if upload.content == own.content else upload

    def _artifact(self, split: Split, lines: list[str], variant: str = "") -> Artifact:
        name = f"{self.prefix}.{split.value.lower()}{variant}.jsonl"
        return Artifact(name, JSONL, "".join(f"{line}\n" for line in lines))

    def _metrics(
        self, train: ExportedSplit, validation: ExportedSplit | None, config: Mapping[str, Any]
    ) -> dict[str, Any]:
        splits = [s for s in (train, validation) if s is not None]
        epochs = int(config.get("nEpochs") or 1)
        return {
            self.unit: {s.split.value.lower(): len(s.lines) for s in splits},
            "skippedExamples": sum(s.examples - len(s.lines) for s in splits),
            "tokens": {s.split.value.lower(): summarize(s.tokens) for s in splits},
            "estimatedTrainingTokens": sum(train.tokens) * epochs,
            "tokenizer": TOKENIZER,
        }

    async def _submit(
        self,
        uploads: list[Artifact],
        config: Mapping[str, Any],
        progress: ProgressReporter,
        cancel: CancelToken,
    ) -> dict[str, Any]:
        assert self.provider is not None
        ledger = progress if isinstance(progress, ProviderJobLedger) else None
        job = await self._earlier_job(ledger, progress)
        created = job is None
        if job is None:
            await progress(0.6, message=f"uploading {len(uploads)} file(s) to the fine-tuning API")
            file_ids = [await self.provider.upload(a.name, a.content) for a in uploads]
            cancel.raise_if_cancelled()
            job = await self._create_job(file_ids, config)
        else:
            file_ids = [f for f in (job.get("training_file"), job.get("validation_file")) if f]
        try:
            if created and ledger is not None:
                await ledger.record_provider_job(str(job["id"]))
            await progress(
                0.8, message=f"fine-tuning job {job['id']} created ({job.get('status')})"
            )
            if config["waitForJob"]:
                job = await self._follow(job, float(config["pollSeconds"]), progress, cancel)
        except (RunCancelled, asyncio.CancelledError):
            # Stopped at any point after the job exists, cooperatively or because the worker
            # cancelled a slow engine task: the provider's job must stop too.
            await self._stop_job(job)
            raise
        return {
            "jobId": job["id"],
            "status": job.get("status"),
            "fineTunedModel": job.get("fine_tuned_model"),
            "fileIds": file_ids,
        }

    async def _create_job(self, file_ids: list[str], config: Mapping[str, Any]) -> dict[str, Any]:
        """Create the job; if the engine task is cancelled meanwhile, cancel the job it made.

        The request is shielded so its answer (the job id) still arrives after a cancellation.
        """
        assert self.provider is not None
        creating = asyncio.ensure_future(
            self.provider.create_job(
                model=str(config["model"]),
                training_file=file_ids[0],
                validation_file=file_ids[1] if len(file_ids) > 1 else None,
                method=self.method(config),
                suffix=config.get("suffix"),
            )
        )
        try:
            return await asyncio.shield(creating)
        except asyncio.CancelledError:
            job = await creating
            await self._stop_job(job)
            raise

    async def _stop_job(self, job: Mapping[str, Any]) -> None:
        """Cancel the provider's job from a task of its own: this one may be being cancelled,
        and HTTP clients abort their requests in a cancelled task."""
        assert self.provider is not None
        await asyncio.shield(asyncio.ensure_future(self.provider.cancel_job(str(job["id"]))))

    async def _earlier_job(
        self, ledger: ProviderJobLedger | None, progress: ProgressReporter
    ) -> dict[str, Any] | None:
        """The job an earlier attempt of this run started, unless it ended without a model."""
        assert self.provider is not None
        job_id = ledger.previous_provider_job_id if ledger is not None else None
        if job_id is None:
            return None
        job = await self.provider.get_job(job_id)
        if job.get("status") in ("failed", "cancelled"):
            await progress(
                0.6,
                message=f"fine-tuning job {job_id} of an earlier attempt ended "
                f"{job.get('status')}; starting a new one",
            )
            return None
        await progress(
            0.8, message=f"following fine-tuning job {job_id} started by an earlier attempt"
        )
        return job

    async def _follow(
        self, job: dict[str, Any], poll: float, progress: ProgressReporter, cancel: CancelToken
    ) -> dict[str, Any]:
        assert self.provider is not None
        while job.get("status") not in TERMINAL_JOB_STATES:
            if await cancel.wait(poll):
                raise RunCancelled(f"cancelled while fine-tuning job {job['id']} ran")
            job = await self.provider.get_job(job["id"])
            await progress(0.9, message=None)
        if job["status"] != "succeeded":
            error = job.get("error") or {}
            reason = error.get("message") if isinstance(error, dict) else str(error)
            raise TrainingFailed(
                f"fine-tuning job {job['id']} ended {job['status']}: {reason or 'no reason given'}"
            )
        return job

    def _result(
        self,
        train: ExportedSplit,
        artifacts: list[Artifact],
        provider: dict[str, Any] | None,
        config: Mapping[str, Any],
    ) -> dict[str, Any]:
        model = (provider or {}).get("fineTunedModel")
        kind = (
            ResultKind.FILES_ONLY
            if provider is None
            else ResultKind.FINE_TUNED_MODEL
            if model
            else ResultKind.JOB_SUBMITTED
        )
        return {
            "kind": kind.value,
            "summary": f"{len(train.lines)} training {self.unit} from the TRAIN split",
            "files": [a.name for a in artifacts],
            "provider": provider,
            "deployable": {
                "baseModel": config["model"],
                "fineTunedModel": model,
                "providerJobId": (provider or {}).get("jobId"),
                "trainingFile": artifacts[0].name if artifacts else None,
            },
        }
