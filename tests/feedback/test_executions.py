"""recordExecution, agent/agents/execution queries, roles, isolation between organisations."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from strawberry import relay

from learnloop.domain.roles import Role
from tests.conftest import Api
from tests.feedback.ops import RECORD, count_rows, owner_sql, record, submit_ok

AGENTS_PAGE = """
query($after: String) {
  agents(first: 2, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { key } }
  }
}
"""


async def test_record_creates_the_agent_and_is_idempotent(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    first = await record(
        org, "agent-1", "run-1", input="hi", output="hello", metadata={"model": "m1"}
    )
    assert first["outcome"] == "CREATED"
    assert first["execution"]["agent"] == {"key": "agent-1"}
    assert first["execution"]["metadata"] == {"model": "m1"}
    again = await record(org, "agent-1", "run-1", input="changed", output="changed")
    assert again["outcome"] == "EXISTING"
    assert again["execution"] == first["execution"]
    found = await org.gql(
        '{ execution(agentId: "agent-1", executionId: "run-1") { input output isStub }'
        ' agent(key: "agent-1") { key executions(first: 5) { totalCount } } }'
    )
    assert found["execution"] == {"input": "hi", "output": "hello", "isStub": False}
    assert found["agent"] == {"key": "agent-1", "executions": {"totalCount": 1}}
    assert await count_rows(org, "executions") == 1


async def test_record_validation(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    data = await org.gql(
        RECORD, {"input": {"agentId": " ", "executionId": "r", "metadata": [1, 2]}}
    )
    errors = data["recordExecution"]["userErrors"]
    assert sorted((tuple(e["field"]), e["code"]) for e in errors) == [
        (("input", "agentId"), "REQUIRED"),
        (("input", "metadata"), "INVALID"),
    ]
    assert await count_rows(org, "agents") == 0


async def test_unknown_experiment_is_a_user_error(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    experiment = str(relay.GlobalID("Experiment", str(uuid.uuid4())))
    data = await org.gql(
        RECORD, {"input": {"agentId": "a", "executionId": "r", "experimentId": experiment}}
    )
    errors = data["recordExecution"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [(["input", "experimentId"], "NOT_FOUND")]
    wrong_type = str(relay.GlobalID("Agent", str(uuid.uuid4())))
    data = await org.gql(
        RECORD, {"input": {"agentId": "a", "executionId": "r", "experimentId": wrong_type}}
    )
    errors = data["recordExecution"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [(["input", "experimentId"], "NOT_FOUND")]
    assert await count_rows(org, "executions") == 0


async def test_viewer_reads_but_cannot_record(api: Api) -> None:
    member = await api.org(Role.MEMBER)
    await record(member, "agent-v", "run-v")
    viewer = await member.user(Role.VIEWER)
    body = await viewer.raw(RECORD, {"input": {"agentId": "agent-v", "executionId": "run-2"}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    found = await viewer.gql('{ agent(key: "agent-v") { key } }')
    assert found["agent"] == {"key": "agent-v"}


async def test_anonymous_callers_are_unauthenticated(api: Api) -> None:
    for document in ['{ agent(key: "x") { id } }', '{ node(id: "QWdlbnQ6eA==") { id } }']:
        body = await api.raw(document)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", body


async def test_organisations_never_see_each_others_agents(api: Api) -> None:
    a = await api.org(Role.MEMBER)
    b = await api.org(Role.MEMBER)
    mine = await record(a, "same-key", "run-1", input="secret of a")
    theirs = await record(b, "same-key", "run-1", input="secret of b")
    assert mine["execution"]["id"] != theirs["execution"]["id"]
    seen = await b.gql(
        'query($id: ID!) { node(id: $id) { id } execution(agentId: "same-key", executionId: "run-1")'
        " { input } agents(first: 10) { totalCount } }",
        {"id": mine["execution"]["id"]},
    )
    assert seen == {
        "node": None,
        "execution": {"input": "secret of b"},
        "agents": {"totalCount": 1},
    }


async def test_agents_pages_have_stable_cursors(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    for i in range(5):
        await record(org, f"agent-{i}", "run")
    first = (await org.gql(AGENTS_PAGE))["agents"]
    assert first["totalCount"] == 5
    assert [e["node"]["key"] for e in first["edges"]] == ["agent-4", "agent-3"]
    await record(org, "agent-new", "run")  # newer rows do not shift later pages
    cursor = first["pageInfo"]["endCursor"]
    second = (await org.gql(AGENTS_PAGE, {"after": cursor}))["agents"]
    assert [e["node"]["key"] for e in second["edges"]] == ["agent-2", "agent-1"]
    third = (await org.gql(AGENTS_PAGE, {"after": second["pageInfo"]["endCursor"]}))["agents"]
    assert [e["node"]["key"] for e in third["edges"]] == ["agent-0"]
    assert third["pageInfo"]["hasNextPage"] is False


async def test_bad_cursors_are_bad_user_input(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    await record(org, "agent-c", "run")
    wrong_shape = "WyJhIiwiYiIsImMiXQ"  # base64 of ["a","b","c"]
    for document in [
        "query($a: String) { agents(first: 2, after: $a) { totalCount } }",
        'query($a: String) { agent(key: "agent-c") { executions(first: 2, after: $a) { totalCount } } }',
    ]:
        body = await org.raw(document, {"a": wrong_shape})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body


async def test_first_is_bounded_on_nested_lists(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    await record(org, "agent-f", "run")
    body = await org.raw('{ agent(key: "agent-f") { executions(first: 101) { totalCount } } }')
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_idempotency_keys_table_is_org_scoped_at_the_database_level(api: Api) -> None:
    a = await api.org(Role.MEMBER)
    b = await api.org(Role.MEMBER)
    for org in (a, b):
        await submit_ok(
            org, agentId="k", executionId="e", feedbackType="THUMBS_UP", idempotencyKey="shared-key"
        )
    feedback_of_b = await owner_sql(
        b, "SELECT id FROM agent_feedback WHERE org_id = :o", {"o": b.org_id}
    )
    async with api.engine.begin() as conn:  # the app role, as requests run
        await conn.execute(text("SELECT set_config('app.org_id', :o, true)"), {"o": str(a.org_id)})
        visible = (await conn.execute(text("SELECT org_id FROM feedback_idempotency_keys"))).all()
        assert visible == [(a.org_id,)]
        with pytest.raises(DBAPIError, match="row-level security"):
            async with conn.begin_nested():
                await conn.execute(
                    text(
                        "INSERT INTO feedback_idempotency_keys (org_id, key, feedback_id)"
                        " VALUES (:o, 'forged', :f)"
                    ),
                    {"o": b.org_id, "f": feedback_of_b[0][0]},
                )


async def test_execution_recorded_in_an_experiment_keeps_the_link(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    await record(org, "agent-x", "warmup")
    rows = await owner_sql(
        org,
        "INSERT INTO learning_experiments (org_id, agent_id, name, primary_metric)"
        " SELECT org_id, id, 'exp', 'satisfaction' FROM agents WHERE org_id = :o RETURNING id",
        {"o": org.org_id},
    )
    experiment = str(relay.GlobalID("Experiment", str(rows[0][0])))
    await record(org, "agent-x", "run", experimentId=experiment)
    linked = await owner_sql(
        org,
        "SELECT experiment_id FROM executions WHERE org_id = :o AND key = 'run'",
        {"o": org.org_id},
    )
    assert linked == [(rows[0][0],)]
