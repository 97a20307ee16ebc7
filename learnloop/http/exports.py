"""GET /exports/datasets/{global id}.jsonl|.md: streamed dataset exports with the /graphql bearer auth."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar
from uuid import UUID

import structlog
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from strawberry import relay

from learnloop.domain.dataset_card import dataset_card
from learnloop.domain.datasets import DatasetRecord
from learnloop.domain.errors import Forbidden, NotAuthenticated
from learnloop.domain.exports import ExportFormat, iter_lines
from learnloop.domain.redaction import redact_record
from learnloop.domain.roles import Role
from learnloop.domain.splits import Split
from learnloop.http.errors import error_response
from learnloop.resolvers.authentication import authenticate
from learnloop.resolvers.datasets import card_path, export_path
from learnloop.resolvers.state import AppState
from learnloop.storage import dataset_examples, datasets
from learnloop.storage.unit_of_work import UnitOfWork

log = structlog.get_logger("learnloop.exports")

BATCH_SIZE = 2000
NDJSON = "application/x-ndjson"
DATASET_TYPE = "TrainingDataset"
E = TypeVar("E", bound=StrEnum)


class ExportRefused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> Response:
        return error_response(self.status, self.message, self.code)


@dataclass(frozen=True)
class ExportRequest:
    global_id: str
    dataset_id: UUID
    card: bool
    format: ExportFormat
    split: Split | None


def _not_found() -> ExportRefused:
    return ExportRefused(404, "NOT_FOUND", "no such dataset in this organisation")


def _dataset_id(raw: str) -> UUID:
    try:
        gid = relay.GlobalID.from_id(raw)
    except Exception:
        raise _not_found() from None
    if gid.type_name != DATASET_TYPE:
        raise _not_found()
    try:
        return UUID(gid.node_id)
    except ValueError:
        raise _not_found() from None


def _choice(enum: type[E], raw: str | None, name: str, default: E | None) -> E | None:
    if raw is None or raw == "":
        return default
    for member in enum:
        if raw.lower() in (member.value.lower(), member.name.lower()):
            return member
    allowed = "|".join(m.value.lower() for m in enum)
    raise ExportRefused(400, "BAD_REQUEST", f"`{name}` must be one of {allowed}, got '{raw}'")


def parse_request(request: Request) -> ExportRequest:
    filename: str = request.path_params["filename"]
    stem, dot, suffix = filename.rpartition(".")
    if not dot or suffix not in ("jsonl", "md"):
        raise _not_found()
    fmt = _choice(ExportFormat, request.query_params.get("format"), "format", ExportFormat.JSONL)
    split = _choice(Split, request.query_params.get("split"), "split", None)
    assert fmt is not None
    return ExportRequest(stem, _dataset_id(stem), suffix == "md", fmt, split)


async def _authorised_dataset(
    uow: UnitOfWork, state: AppState, request: Request, dataset_id: UUID
) -> DatasetRecord:
    principal = await authenticate(uow, state.tokens, request.headers.get("authorization"))
    try:
        principal.require(Role.VIEWER)
    except NotAuthenticated as exc:
        raise ExportRefused(401, "UNAUTHENTICATED", str(exc)) from None
    except Forbidden as exc:
        raise ExportRefused(403, "FORBIDDEN", str(exc)) from None
    dataset = await datasets.get(uow, dataset_id)  # row-level security: other orgs' are None
    if dataset is None:
        raise _not_found()
    return dataset


def _file_name(d: DatasetRecord, fmt: ExportFormat, split: Split | None) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", d.name).strip("-")[:60] or "dataset"
    part = split.value.lower() if split else "all"
    return f"{name}-v{d.version}-{part}.{fmt.value}.jsonl"


def version_headers(gid: str, d: DatasetRecord) -> dict[str, str]:
    return {
        "x-learnloop-dataset-id": gid,
        "x-learnloop-dataset-version": str(d.version),
        "x-learnloop-dataset-status": d.status.value,
    }


async def stream_lines(
    uow: UnitOfWork,
    dataset: DatasetRecord,
    fmt: ExportFormat,
    split: Split | None,
    redact: bool = False,
) -> AsyncIterator[bytes]:
    """Cursor batches -> (PII redaction) -> formatter -> one chunk per batch; closes `uow`."""
    committed = False
    try:
        async for batch in dataset_examples.export_records(uow, dataset, split, BATCH_SIZE):
            records = [redact_record(r) for r in batch] if redact else batch
            chunk = "".join(f"{line}\n" for line in iter_lines(fmt, records))
            if chunk:
                yield chunk.encode()
        committed = True
    finally:
        await uow.close(commit=committed)


async def export_dataset(request: Request) -> Response:
    state: AppState = request.app.state.learnloop
    uow = UnitOfWork(state.engine, None)
    try:
        wanted = parse_request(request)
        dataset = await _authorised_dataset(uow, state, request, wanted.dataset_id)
    except ExportRefused as refused:
        await uow.close(commit=True)  # keeps an API key's last-used time
        return refused.response()
    except BaseException:
        await uow.close(commit=False)
        raise
    headers = version_headers(wanted.global_id, dataset)
    base = str(state.settings.public_url or request.base_url).rstrip("/")
    if wanted.card:
        await uow.close(commit=True)
        urls = {s: base + export_path(wanted.global_id, ExportFormat.HF, s) for s in Split}
        redacted = dataset.pii_redacted or state.settings.pii_redaction
        card = dataset_card(dataset, urls, pii_redacted=redacted)
        return PlainTextResponse(card, media_type="text/markdown", headers=headers)
    file_name = _file_name(dataset, wanted.format, wanted.split)
    headers["content-disposition"] = f'attachment; filename="{file_name}"'
    if wanted.format is ExportFormat.HF:
        headers["link"] = f'<{base}{card_path(wanted.global_id)}>; rel="describedby"'
    # A version frozen with redaction is clean already; drafts and others are cleaned on the way.
    redact = state.settings.pii_redaction and not dataset.pii_redacted
    log.info("export.start", dataset=str(dataset.id), format=wanted.format.value)
    return StreamingResponse(
        stream_lines(uow, dataset, wanted.format, wanted.split, redact),
        media_type=NDJSON,
        headers=headers,
    )
