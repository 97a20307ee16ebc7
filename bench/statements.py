"""SQL statements one GraphQL request runs, counted in-process on the real app (no HTTP)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import create_async_engine

from bench.servers import BenchDb
from learnloop.app import create_app
from learnloop.config import Settings
from learnloop.logging import configure_logging


async def count(db: BenchDb, token: str, payloads: list[dict[str, Any]]) -> list[int]:
    """Statements per payload (each a GraphQL request body), in order; a failed request raises."""
    configure_logging("WARNING")  # the in-process app must not print every request
    engine = create_async_engine(db.target.app_url, pool_size=2)
    counted = {"n": 0}

    def seen(*_: object) -> None:
        counted["n"] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    settings = Settings(
        jwt_secret=db.tokens.secret,
        database_url="postgresql://unused/x",
        worker_in_process=False,
        rate_limit_per_minute=1_000_000_000,
    )
    app = create_app(settings, engine=engine)
    counts = []
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://x"
        ) as client:
            for payload in payloads:
                counted["n"] = 0
                r = await client.post(
                    "/graphql", json=payload, headers={"authorization": f"Bearer {token}"}
                )
                body = r.json()
                assert not body.get("errors"), r.text
                counts.append(counted["n"])
    finally:
        await engine.dispose()
    return counts
