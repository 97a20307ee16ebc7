"""Retrieval feedback: recordRetrievalFeedback vs submitFeedback req/s in one run, and RAG_TUNING's
analysis over 100,000 executions (600,000 chunk impressions).

Run alone: `.venv/bin/python -m bench.retrieval` (after `make bench` installed wrk).
"""

from __future__ import annotations

import os
import time

from bench import wrk
from bench.harness import Table, ratio
from bench.ingest import SUBMIT, lua_multi, org_and_token
from bench.servers import analyze, bench_database, learnloop_server
from learnloop.domain.engines import rag_trainer
from learnloop.domain.engines.retrieval_log import RetrievalLog
from tests.training.retrieval_synth import generate

SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
EXECUTIONS = int(os.environ.get("BENCH_RAG_EXECUTIONS", "100000"))
CHUNKS = ",".join(
    f'{{"chunkId":"kb-{n}","rank":{n + 1},"helpful":{"true" if n == 2 else "false"},"tokenCount":200}}'
    for n in range(5)
)
RECORD = (
    '{"query":"mutation($i: RecordRetrievalFeedbackInput!) { recordRetrievalFeedback(input: $i) '
    '{ storedChunks userErrors { code } } }",'
    '"variables":{"i":{"agentId":"bench-agent","executionId":"rexec-%d","query":"reset password",'
    f'"chunks":[{CHUNKS}]}}}}}}'
)


STEPS = ("split", "clickModel", "ndcg", "chunkSize", "expansions", "triplets")


def rag_tuning_table() -> Table:
    """The analysis step by step, as the engine times them into a run's `stepSeconds`."""
    rows = generate(EXECUTIONS, seed=11).rows
    started = time.perf_counter()
    log = RetrievalLog.from_rows(rows)
    loaded = time.perf_counter() - started
    seconds = rag_trainer.analyse(log, rag_trainer.validate({})).metrics["stepSeconds"]
    table = Table(
        f"RAG_TUNING analysis over {EXECUTIONS:,} executions, per step",
        ["impressions", "columns built s", *(f"{s} s" for s in STEPS), "total s"],
    )
    table.add(log.size, loaded, *(seconds[s] for s in STEPS), loaded + sum(seconds.values()))
    table.notes.append(
        "Target: under 60 s. Synthetic log of tests/training/retrieval_synth.py. "
        "A run reports the same steps (plus `load`, the database read) in metrics.stepSeconds."
    )
    return table


async def main() -> None:
    rag_tuning_table().publish()
    async with bench_database() as db:
        _, token = await org_and_token(db)
        table = Table(
            "Retrieval feedback: recordRetrievalFeedback (5 chunks) vs submitFeedback, same run",
            [
                "clients",
                "recordRetrievalFeedback req/s",
                "p99 ms",
                "submitFeedback req/s",
                "p99 ms",
                "ratio",
                "errors",
            ],
        )
        with learnloop_server(db) as url:
            wrk.run(f"{url}/graphql", lua_multi(RECORD, 1, token), 4, 2)
            wrk.run(f"{url}/graphql", lua_multi(SUBMIT, 1, token), 4, 2)
            await analyze(db)
            for clients in (8, 32):
                ours = wrk.run(f"{url}/graphql", lua_multi(RECORD, 1, token), clients, SECONDS)
                base = wrk.run(f"{url}/graphql", lua_multi(SUBMIT, 1, token), clients, SECONDS)
                table.add(
                    clients,
                    ours.requests_per_s,
                    ours.p99_ms,
                    base.requests_per_s,
                    base.p99_ms,
                    ratio(ours.requests_per_s, base.requests_per_s),
                    ours.errors + base.errors,
                )
        table.notes.append("Target: recordRetrievalFeedback ≥ submitFeedback (ratio ≥ 1).")
        table.publish()
