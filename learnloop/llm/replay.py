"""Record/replay: answer a chat request from the organisation's cache, else call and record it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from learnloop.domain.engines.llm import ChatModel, ChatRequest, ChatResponse
from learnloop.llm.client import ClientSettings, OpenAIChatClient
from learnloop.storage import llm_cache


class ReplayingModel:
    """A ChatModel that calls `inner` only for requests the organisation never recorded."""

    def __init__(self, inner: ChatModel, model: str, db: AsyncEngine | None, org_id: UUID | None):
        self.inner = inner
        self.model = model
        self.db = db if org_id is not None else None
        self.org_id = org_id
        self._memory: dict[str, ChatResponse] = {}  # this session's answers (no database)

    async def complete(self, request: ChatRequest) -> ChatResponse:
        key = request.cache_key(self.model)
        if key in self._memory:
            return replace(self._memory[key], cached=True)
        if self.db is not None and self.org_id is not None:
            found = (await llm_cache.lookup(self.db, self.org_id, [key])).get(key)
            if found is not None:
                response = ChatResponse(
                    text=str(found.get("text", "")),
                    prompt_tokens=int(found.get("promptTokens", 0)),
                    completion_tokens=int(found.get("completionTokens", 0)),
                    cached=True,
                )
                self._memory[key] = response
                return response
        response = await self.inner.complete(request)
        self._memory[key] = response
        if self.db is not None and self.org_id is not None:
            recorded = {
                "text": response.text,
                "promptTokens": response.prompt_tokens,
                "completionTokens": response.completion_tokens,
            }
            await llm_cache.record(
                self.db, self.org_id, key, self.model, request.canonical(self.model), recorded
            )
        return response


class LlmSessions:
    """ChatModelFactory from settings: one HTTP pool per run, the org's replay cache in front."""

    def __init__(self, settings: ClientSettings, db: AsyncEngine | None = None) -> None:
        self.settings = settings
        self.model = settings.model
        self.concurrency = settings.concurrency
        self.db = db

    @asynccontextmanager
    async def session(self, org_id: UUID | None) -> AsyncIterator[ChatModel]:
        async with OpenAIChatClient(self.settings) as client:
            yield ReplayingModel(client, self.model, self.db, org_id)
