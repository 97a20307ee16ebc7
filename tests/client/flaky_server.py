"""The real app under uvicorn, in its own process, able to answer 503 for a while.

`python -m tests.client.flaky_server PORT APP_DATABASE_URL`. POST /_fail?seconds=N makes
/graphql answer 503 for N seconds: every other such request is refused before the app sees it,
the rest are executed and their answer replaced by a 503 (a lost response: retries must not
store twice).
"""

from __future__ import annotations

import sys
import time
from typing import Any

import uvicorn
from sqlalchemy.ext.asyncio import create_async_engine

from learnloop.app import create_app
from tests.conftest import test_settings


class Flaky:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.until = 0.0
        self.count = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/_fail":
            seconds = float(scope["query_string"].decode().split("=")[1])
            self.until = time.monotonic() + seconds
            await self._answer(send, 200)
            return
        if scope["type"] != "http" or scope["path"] != "/graphql" or time.monotonic() > self.until:
            await self.app(scope, receive, send)
            return
        self.count += 1
        if self.count % 2 == 0:

            async def swallow(message: Any) -> None:
                return None

            await self.app(scope, receive, swallow)
        await self._answer(send, 503)

    @staticmethod
    async def _answer(send: Any, status: int) -> None:
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def main() -> None:
    port, app_url = int(sys.argv[1]), sys.argv[2]
    engine = create_async_engine(app_url, pool_size=5)
    # No in-process worker: it would claim other tests' webhook deliveries in the shared database.
    app = Flaky(create_app(test_settings(worker_in_process=False), engine=engine))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
