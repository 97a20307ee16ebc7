"""Delivers due webhook deliveries: claim (SKIP LOCKED, leased), check the target, sign, POST."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections import Counter
from urllib.parse import urlsplit
from uuid import UUID

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from learnloop.config import Settings
from learnloop.domain import webhooks as rules
from learnloop.domain.webhooks import HostResolver
from learnloop.metrics import WorkerMetrics
from learnloop.storage import webhooks as store
from learnloop.storage.unit_of_work import unit_of_work
from learnloop.tracing import Attributes, Tracing

log = structlog.get_logger("learnloop.webhooks")


async def resolve_host(host: str) -> list[str]:
    """The system resolver's addresses for `host` (an IP literal resolves to itself)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class WebhookSender:
    """Every worker runs one; the claim's lease makes each attempt happen once."""

    def __init__(
        self,
        engine: AsyncEngine,
        settings: Settings,
        *,
        batch: int = 20,
        poll: float = 1.0,
        metrics: WorkerMetrics | None = None,
        resolver: HostResolver = resolve_host,
        tracing: Tracing | None = None,
    ) -> None:
        self.tracing = tracing or Tracing()
        self.engine = engine
        self.resolve = resolver
        self.schedule = rules.retry_schedule(settings.webhook_retry_seconds)
        self.allow_private = settings.webhook_allow_private
        self.timeout = settings.webhook_timeout_seconds
        self.batch = batch
        self.poll = poll
        self.metrics = metrics or WorkerMetrics()
        self.counters: Counter[str] = self.metrics.counters

    async def deliver_due(self) -> int:
        """Attempt every due delivery once (those other workers hold are skipped)."""
        claimed = await store.claim(self.engine, self.batch, self.timeout * 3 + 5)
        if not claimed:
            return 0
        # Redirects are not followed: a public URL must not bounce a delivery to a private one.
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as http:
            await asyncio.gather(*(self._attempt(http, *c) for c in claimed))
        return len(claimed)

    async def _attempt(
        self, http: httpx.AsyncClient, delivery_id: UUID, org_id: UUID, attempt: int
    ) -> None:
        attributes: Attributes = {
            "learnloop.delivery_id": str(delivery_id),
            "learnloop.org_id": str(org_id),
            "learnloop.attempt": attempt,
        }
        # The URL stays out of the span: it may carry the receiver's own credentials.
        with self.tracing.span("webhook.deliver", attributes) as span:
            async with unit_of_work(self.engine, org_id) as uow:
                found = await store.to_send(uow, delivery_id)
            if found is None:
                return
            url, secrets, message_id, body = found
            status_code, error = await self._post(http, url, secrets, message_id, body.encode())
            result = rules.outcome(self.schedule, attempt, status_code, error)
            if span is not None:
                span.set_attribute("learnloop.outcome", result.status)
                if status_code is not None:
                    span.set_attribute("http.response.status_code", status_code)
            if result.status is rules.DeliveryStatus.DELIVERED:
                self.counters["webhook_deliveries"] += 1
            else:
                self.counters["webhook_failures"] += 1
                log.info(
                    "webhook.attempt_failed",
                    delivery=str(delivery_id),
                    attempt=attempt,
                    status_code=status_code,
                    error=error,
                    next=result.status,
                )
            async with unit_of_work(self.engine, org_id) as uow:
                await store.finish(uow, delivery_id, attempt, result)

    async def _post(
        self, http: httpx.AsyncClient, url: str, secrets: list[str], message_id: str, body: bytes
    ) -> tuple[int | None, str | None]:
        host = urlsplit(url).hostname or ""
        try:
            addresses = await self.resolve(host)
        except OSError as exc:
            return None, f"cannot resolve {host}: {exc}"
        if not addresses:
            return None, f"cannot resolve {host}"
        refused = rules.refused_address(addresses, self.allow_private)
        if refused is not None:
            return None, f"refused: {host} resolves to the non-public address {refused}"
        # Connect to the address just checked: a second lookup could answer differently.
        target = rules.pinned_target(url, addresses[0])
        headers = rules.headers(secrets, message_id, int(time.time()), body)
        headers["host"] = target.host_header
        try:
            response = await http.post(
                target.url,
                content=body,
                headers=headers,
                extensions={"sni_hostname": target.server_name},
            )
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:500]
        return response.status_code, None if response.is_success else f"HTTP {response.status_code}"

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                while await self.deliver_due() == self.batch:
                    pass
            except Exception:
                log.warning("webhook.delivery_failed", exc_info=True)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll):
                    await stopping.wait()
