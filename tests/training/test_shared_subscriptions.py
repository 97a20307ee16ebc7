"""Shared subscription streams: one execution per principal, document and event; same bytes for all."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

import pytest
from sqlalchemy import text

from learnloop.domain.roles import Role
from learnloop.schema.training_runs.operations import TrainingRun
from tests.conftest import Api
from tests.training.ops import ORG_UPDATED, UPDATED, create_run, eventually, run_uuid
from tests.training.ws import Session, graphql_ws

# Enough selection that a per-socket execution would show: nested agent, events page.
DASHBOARD = (
    "subscription { trainingRunsUpdated { id status progress agentKey"
    " events(first: 2) { edges { node { message } } } } }"
)


class Executions:
    """Counts how often a run is turned into a GraphQL object for delivery (once per execution)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = TrainingRun.from_record

        def counting(record: Any) -> Any:
            self.count += 1
            return original(record)

        monkeypatch.setattr(TrainingRun, "from_record", counting)


async def _progress(api: Api, run_id: str, value: float) -> None:
    async with api.owner_engine.begin() as conn:
        await conn.execute(
            text("UPDATE training_runs SET progress = :p WHERE id = :id"),
            {"p": value, "id": run_uuid(run_id)},
        )


async def _raw(ws: Session, within: float = 10) -> str:
    return await ws.ws.receive_text(timeout=within)


async def test_same_principal_same_document_is_executed_once_per_event(
    training_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = training_api
    a = await api.org(Role.MANAGER)
    viewer = await a.user(Role.VIEWER)  # same org, another principal
    b = await api.org(Role.ADMIN)
    run = await create_run(a)
    executions = Executions(monkeypatch)
    bus = api.app.state.learnloop.bus
    async with AsyncExitStack() as stack:
        mine = [await stack.enter_async_context(graphql_ws(api.app, a.token)) for _ in range(5)]
        other_principal = await stack.enter_async_context(graphql_ws(api.app, viewer.token))
        other_org = await stack.enter_async_context(graphql_ws(api.app, b.token))
        for ws in [*mine, other_principal, other_org]:
            await ws.subscribe("dash", DASHBOARD)
        # Three streams (A's manager, A's viewer, B), not seven: one bus inbox each.
        await eventually(lambda: len(bus._inboxes) == 3)
        assert len(api.app.state.learnloop.shared_streams) == 3

        before = api.app.state.learnloop.counters["subscription_executions"]
        await _progress(api, run["id"], 0.25)
        frames = await asyncio.gather(*[_raw(ws) for ws in mine])
        assert len(set(frames)) == 1, frames  # the very same bytes on every socket
        assert '"progress":0.25' in frames[0]
        theirs = await _raw(other_principal)
        assert '"progress":0.25' in theirs
        with pytest.raises(TimeoutError):
            await _raw(other_org, within=0.5)  # another organisation's run: nothing at all
        # Once for the five sockets of A's manager, once for A's viewer; never once per socket.
        assert executions.count == 2
        assert api.app.state.learnloop.counters["subscription_executions"] - before == 2
        metrics = (await api.client.get("/metrics")).text.splitlines()
        assert "learnloop_subscription_streams 3" in metrics

        # A socket that leaves does not end the stream for the others.
        await mine[0].stop("dash")
        await _progress(api, run["id"], 0.5)
        frames = await asyncio.gather(*[_raw(ws) for ws in mine[1:]])
        assert len(set(frames)) == 1 and '"progress":0.5' in frames[0]
        assert executions.count == 4
    await eventually(lambda: not bus._inboxes)
    assert len(api.app.state.learnloop.shared_streams) == 0


async def test_a_late_joiner_starts_with_the_current_state(training_api: Api) -> None:
    api = training_api
    org = await api.org(Role.MANAGER)
    run = await create_run(org)
    counters = api.app.state.learnloop.counters
    async with graphql_ws(api.app, org.token) as first, graphql_ws(api.app, org.token) as late:
        await first.subscribe("1", UPDATED, {"id": run["id"]})
        state = await _raw(first)
        assert '"status":"PENDING"' in state
        executed = counters["subscription_executions"]
        await late.subscribe("1", UPDATED, {"id": run["id"]})
        assert await _raw(late) == state  # the state, without executing the document again
        assert counters["subscription_executions"] == executed
        await org.gql(
            "mutation($id: ID!) { cancelTrainingRun(input: {runId: $id}) { userErrors { code } } }",
            {"id": run["id"]},
        )
        cancelled = await asyncio.gather(_raw(first), _raw(late))
        assert cancelled[0] == cancelled[1] and '"status":"CANCELLED"' in cancelled[0]
        assert counters["subscription_executions"] == executed + 1
        for ws in (first, late):
            assert (await ws.receive())["type"] == "complete"


async def test_an_org_stream_does_not_replay_old_events_to_a_late_joiner(
    training_api: Api,
) -> None:
    api = training_api
    org = await api.org(Role.MANAGER)
    run = await create_run(org)
    async with graphql_ws(api.app, org.token) as first:
        await first.subscribe("all", ORG_UPDATED)
        await eventually(lambda: len(api.app.state.learnloop.bus._inboxes) == 1)
        await _progress(api, run["id"], 0.1)
        assert '"progress":0.1' in await _raw(first)
        async with graphql_ws(api.app, org.token) as late:
            await late.subscribe("all", ORG_UPDATED)
            with pytest.raises(TimeoutError):
                await _raw(late, within=0.5)  # nothing happened since it joined
            await _progress(api, run["id"], 0.2)
            assert await _raw(late) == await _raw(first)


async def test_queries_sent_over_the_socket_are_never_shared(training_api: Api) -> None:
    org = await training_api.org(Role.MANAGER)
    async with graphql_ws(training_api.app, org.token) as ws:
        await ws.subscribe("q", "{ viewer { role } }")
        assert (await ws.receive())["payload"]["data"] == {"viewer": {"role": "MANAGER"}}
        assert (await ws.receive())["type"] == "complete"
    assert len(training_api.app.state.learnloop.shared_streams) == 0
