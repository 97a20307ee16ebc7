"""Retrieval feedback: recordRetrievalFeedback vs submitFeedback at the same concurrency in one run
(F12), and RAG_TUNING's analysis over 100,000 executions (600,000 chunk impressions).

Run alone: `.venv/bin/python -m bench retrieval` (after `make bench` installed wrk).
"""

from __future__ import annotations

import json
import os
import time

from bench import load, statements
from bench.cpu import CpuMeter
from bench.harness import Table, ratio
from bench.ingest import SUBMIT, graphql_headers, org_and_token
from bench.servers import admin_dsn, analyze, bench_database, learnloop_server
from learnloop.domain.engines import rag_trainer
from learnloop.domain.engines.retrieval_log import RetrievalLog
from tests.training.retrieval_synth import generate

SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
EXECUTIONS = int(os.environ.get("BENCH_RAG_EXECUTIONS", "100000"))
QUERY = (
    "mutation($i: RecordRetrievalFeedbackInput!) { recordRetrievalFeedback(input: $i) "
    "{ storedChunks userErrors { code field message } } }"
)
CHUNKS = [
    {"chunkId": f"kb-{n}", "rank": n + 1, "helpful": n == 2, "tokenCount": 200} for n in range(5)
]
ITEM = {
    "agentId": "bench-agent",
    "executionId": "{key}",
    "query": "reset password",
    "chunks": CHUNKS,
}
RECORD = json.dumps({"query": QUERY, "variables": {"i": ITEM}})


def rag_tuning_seconds() -> tuple[float, float, int]:
    rows = generate(EXECUTIONS, seed=11).rows
    started = time.perf_counter()
    log = RetrievalLog.from_rows(rows)
    loaded = time.perf_counter()
    rag_trainer.analyse(log, rag_trainer.validate({}))
    return loaded - started, time.perf_counter() - loaded, log.size


async def main() -> None:
    async with bench_database() as db:
        _, token = await org_and_token(db)
        body = {"query": QUERY, "variables": {"i": {**ITEM, "executionId": "stmt-1"}}}
        (n_record,) = await statements.count(db, token, [body])
        table = Table(
            "Retrieval feedback: recordRetrievalFeedback (5 chunks) vs submitFeedback, same run",
            ["operation", *load.COLUMNS, "recordRetrievalFeedback vs submitFeedback"],
        )
        with learnloop_server(db) as ours:
            meter = CpuMeter([ours.pid], admin_dsn(db), db.name)
            url, headers = f"{ours.url}/graphql", graphql_headers(token)
            await load.with_wrk(meter, "warm-up", url, RECORD, headers, 4, 3)
            await load.with_wrk(meter, "warm-up", url, SUBMIT, headers, 4, 3)
            await analyze(db)
            for clients in (8, 32):
                rec = await load.with_wrk(
                    meter, "learnloop", url, RECORD, headers, clients, SECONDS
                )
                fb = await load.with_wrk(meter, "learnloop", url, SUBMIT, headers, clients, SECONDS)
                table.add("recordRetrievalFeedback", *rec.cells(), ratio(rec.ok_per_s, fb.ok_per_s))
                table.add("submitFeedback", *fb.cells(), "—")
                for m in (rec, fb):
                    if m.first_failure:
                        table.notes.append(
                            f"First failure at {clients} clients: `{m.first_failure[:300]}`"
                        )
        table.notes += [
            f"recordRetrievalFeedback runs {n_record} SQL statements (one execution key per request, "
            "never reused). Target: recordRetrievalFeedback ≥ submitFeedback (ratio ≥ 1).",
        ]
        table.publish()
    load_s, analyse_s, impressions = rag_tuning_seconds()
    rag = Table(
        f"RAG_TUNING analysis over {EXECUTIONS:,} executions (one process, no server)",
        [
            "impressions",
            "columns built s",
            "EM + posteriors + NDCG + size + expansions s",
            "total s",
            "load1",
        ],
    )
    rag.add(impressions, load_s, analyse_s, load_s + analyse_s, os.getloadavg()[0])
    rag.notes.append("Target: under 60 s. Synthetic log of tests/training/retrieval_synth.py.")
    rag.publish()
