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


def rag_tuning_seconds() -> tuple[float, float, int]:
    rows = generate(EXECUTIONS, seed=11).rows
    started = time.perf_counter()
    log = RetrievalLog.from_rows(rows)
    loaded = time.perf_counter()
    rag_trainer.analyse(log, rag_trainer.validate({}))
    return loaded - started, time.perf_counter() - loaded, log.size


async def main() -> None:
    load_s, analyse_s, impressions = rag_tuning_seconds()
    rag = Table(
        f"RAG_TUNING analysis over {EXECUTIONS:,} executions",
        [
            "impressions",
            "columns built s",
            "EM + posteriors + NDCG + size + expansions s",
            "total s",
        ],
    )
    rag.add(impressions, load_s, analyse_s, load_s + analyse_s)
    rag.notes.append("Target: under 60 s. Synthetic log of tests/training/retrieval_synth.py.")
    rag.publish()
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
