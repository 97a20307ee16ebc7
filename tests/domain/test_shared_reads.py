"""Subscribers woken by one notification share one read per org; other keys read on their own."""

from __future__ import annotations

import asyncio
import uuid

from learnloop.resolvers.shared_reads import SharedReads


async def test_concurrent_readers_of_one_key_share_one_read() -> None:
    shared = SharedReads()
    calls: list[object] = []

    async def read(tag: object) -> object:
        calls.append(tag)
        await asyncio.sleep(0.01)
        return tag

    org_a, org_b, run = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    results = await asyncio.gather(
        *(shared.get((1, org_a, run), lambda: read("a")) for _ in range(100)),
        *(shared.get((1, org_b, run), lambda: read("b")) for _ in range(100)),
    )
    assert results == ["a"] * 100 + ["b"] * 100
    assert sorted(calls) == ["a", "b"]  # one read per org, never one org's row for the other
    assert (
        await shared.get((2, org_a, run), lambda: read("a2")) == "a2"
    )  # a new notification reads again
