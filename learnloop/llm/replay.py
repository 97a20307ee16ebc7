"""Record/replay: answer a chat request from the organisation's cache, else call and record it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from learnloop.domain.engines.llm import CallBudget, ChatModel, ChatRequest, ChatResponse
from learnloop.llm.client import ClientSettings, OpenAIChatClient
from learnloop.storage import llm_cache


class ReplayingModel:
    """A ChatModel that calls `inner` only for requests the organisation never recorded.

    Engines `prefetch` a batch's requests (one lookup) and `flush` its new answers (one insert),
    so a batch costs two statements, not two per call.
    """

    def __init__(self, inner: ChatModel, model: str, db: AsyncEngine | None, org_id: UUID | None):
        self.inner = inner
        self.model = model
        self.db = db if org_id is not None else None
        self.org_id = org_id
        self._known: dict[str, ChatResponse] = {}  # this session's answers, all replayable
        self._pending: list[tuple[str, ChatRequest, ChatResponse]] = []
        self._looked_up: set[str] = set()  # keys the database was already asked about

    async def prefetch(self, requests: Sequence[ChatRequest]) -> None:
        keys = [k for k in (r.cache_key(self.model) for r in requests) if k not in self._known]
        keys = [k for k in dict.fromkeys(keys) if k not in self._looked_up]
        if not keys or self.db is None or self.org_id is None:
            return
        self._looked_up.update(keys)
        for key, found in (await llm_cache.lookup(self.db, self.org_id, keys)).items():
            self._known[key] = ChatResponse(
                text=str(found.get("text", "")),
                prompt_tokens=int(found.get("promptTokens", 0)),
                completion_tokens=int(found.get("completionTokens", 0)),
                cached=True,
                attempts=int(found.get("attempts", 1)),
            )

    async def complete(self, request: ChatRequest) -> ChatResponse:
        key = request.cache_key(self.model)
        if key not in self._known and key not in self._looked_up:
            await self.prefetch([request])
        if key in self._known:
            return replace(self._known[key], cached=True)
        response = await self.inner.complete(request)
        self._known[key] = response
        self._pending.append((key, request, response))
        return response

    async def flush(self) -> None:
        """Record the answers got since the last flush."""
        pending, self._pending = self._pending, []
        if not pending or self.db is None or self.org_id is None:
            return
        rows = [
            llm_cache.Entry(
                key,
                request.canonical(self.model),
                {
                    "text": response.text,
                    "promptTokens": response.prompt_tokens,
                    "completionTokens": response.completion_tokens,
                    "attempts": response.attempts,
                },
            )
            for key, request, response in pending
        ]
        await llm_cache.record(self.db, self.org_id, self.model, rows)


class LlmSessions:
    """ChatModelFactory from settings: one HTTP pool per run, the org's replay cache in front."""

    def __init__(self, settings: ClientSettings, db: AsyncEngine | None = None) -> None:
        self.settings = settings
        self.model = settings.model
        self.concurrency = settings.concurrency
        self.db = db

    @asynccontextmanager
    async def session(
        self, org_id: UUID | None, budget: CallBudget | None = None
    ) -> AsyncIterator[ChatModel]:
        async with OpenAIChatClient(self.settings, budget=budget) as client:
            replaying = ReplayingModel(client, self.model, self.db, org_id)
            try:
                yield replaying
            finally:
                await replaying.flush()
