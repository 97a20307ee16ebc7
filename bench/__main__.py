"""`make bench`: every benchmark in turn (each is also runnable alone: python -m bench.<name>)."""

from __future__ import annotations

import asyncio
import importlib
import sys

BENCHMARKS = [
    "ingest",
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
    for name in chosen:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                print(f"bench: skipping {name} (not written yet)")
                continue
            raise
        print(f"\n=== bench.{name}")
        asyncio.run(module.main())


if __name__ == "__main__":
    main()
