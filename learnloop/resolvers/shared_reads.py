"""One read per notification and organisation, shared by every subscriber of this process.

A thousand dashboard subscribers of one org would otherwise each open a unit of work to re-read
the same row for the same notification. The read still runs under that org's row-level security,
and the key includes the org, so subscribers of different organisations never share a read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

# How long a finished read stays shareable: subscribers woken by one notification arrive within
# milliseconds; a later notification has a new sequence number and reads again.
LINGER_SECONDS = 1.0


class SharedReads:
    def __init__(self) -> None:
        self._reads: dict[Hashable, asyncio.Future[Any]] = {}

    async def get(self, key: Hashable, read: Callable[[], Awaitable[Any]]) -> Any:
        future = self._reads.get(key)
        if future is None:
            future = asyncio.ensure_future(read())
            self._reads[key] = future
            loop = asyncio.get_running_loop()
            future.add_done_callback(
                lambda _: loop.call_later(LINGER_SECONDS, self._reads.pop, key, None)
            )
        return await asyncio.shield(future)
