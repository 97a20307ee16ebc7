"""`make bench`: every benchmark in turn; `make bench BENCH_ARGS="ingest pages"` runs a subset
(also `.venv/bin/python -m bench ingest`)."""

from __future__ import annotations

import asyncio
import importlib
import sys

BENCHMARKS = [
    "ingest",
    "pages",
    "reads",
    "stats",
    "subscriptions",
    "claims",
    "agent_config",
    "prompt_eval",
    "retrieval",
]


def main() -> None:
    chosen = sys.argv[1:] or BENCHMARKS
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        raise SystemExit(
            f"bench: unknown {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}"
        )
    for name in chosen:
        module = importlib.import_module(f"bench.{name}")
        print(f"\n=== bench.{name}")
        asyncio.run(module.main())


if __name__ == "__main__":
    main()
