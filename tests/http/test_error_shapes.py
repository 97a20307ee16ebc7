"""Every HTTP route answers errors as {"errors":[{"message","extensions":{"code"}}]} with its status."""

from __future__ import annotations

import re
import uuid

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from strawberry import relay

from learnloop.app import create_app
from learnloop.domain.roles import Role
from learnloop.domain.tokens import INVALID_TOKEN
from tests import conftest
from tests.api.test_dataset_exports import _dataset
from tests.conftest import Api, make_api

GRAPHQL_RESPONSE = "application/graphql-response+json"


def code_of(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"errors"}, body
    [error] = body["errors"]
    assert error["message"]
    code: str = error["extensions"]["code"]
    return code


def _dataset_url(suffix: str = ".jsonl") -> str:
    gid = relay.GlobalID("TrainingDataset", str(uuid.uuid4()))
    return f"/exports/datasets/{gid}{suffix}"


async def test_routes_share_the_graphql_error_envelope(api: Api) -> None:
    viewer = await api.org(Role.VIEWER)
    auth = {"authorization": f"Bearer {viewer.token}"}
    assert code_of(await api.client.get("/no/such/route"), 404) == "NOT_FOUND"
    assert code_of(await api.client.delete("/healthz"), 405) == "METHOD_NOT_ALLOWED"
    bad_json = await api.client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert code_of(bad_json, 400) == "BAD_REQUEST"
    refused = await api.client.post(
        "/graphql", json={"query": "{ viewer { role } }"}, headers={"accept": "text/csv"}
    )
    assert code_of(refused, 406) == "NOT_ACCEPTABLE"
    missing = await api.client.get(_dataset_url())
    assert code_of(missing, 401) == "UNAUTHENTICATED"
    assert missing.headers["www-authenticate"] == "Bearer"
    assert code_of(await api.client.get(_dataset_url(), headers=auth), 404) == "NOT_FOUND"
    bad_format = await api.client.get(_dataset_url() + "?format=csv", headers=auth)
    assert code_of(bad_format, 400) == "BAD_REQUEST"
    run = relay.GlobalID("TrainingRun", str(uuid.uuid4()))
    assert code_of(await api.client.get(f"/artifacts/training-runs/{run}/x"), 401) == (
        "UNAUTHENTICATED"
    )
    no_run = await api.client.get(f"/artifacts/training-runs/{run}/x", headers=auth)
    assert code_of(no_run, 404) == "NOT_FOUND"
    not_a_run = await api.client.get("/artifacts/training-runs/nope/x", headers=auth)
    assert code_of(not_a_run, 404) == "NOT_FOUND"


async def test_downloads_are_not_sniffed(api: Api) -> None:
    h, dataset_id, _ = await _dataset(api)
    auth = {"authorization": f"Bearer {h.token}"}
    for suffix in (".jsonl", ".md"):
        ok = await api.client.get(f"/exports/datasets/{dataset_id}{suffix}", headers=auth)
        assert ok.status_code == 200 and ok.headers["x-content-type-options"] == "nosniff"
    refused = await api.client.get(_dataset_url())
    assert refused.headers["x-content-type-options"] == "nosniff"
    run = relay.GlobalID("TrainingRun", str(uuid.uuid4()))
    artifact = await api.client.get(f"/artifacts/training-runs/{run}/x", headers=auth)
    assert artifact.headers["x-content-type-options"] == "nosniff"


async def test_metrics_token(api: Api) -> None:
    assert (await api.client.get("/metrics")).status_code == 200  # open when no token is set
    guarded, engines = await make_api(api.target, metrics_token="m-secret-1")
    try:
        assert code_of(await guarded.client.get("/metrics"), 401) == "UNAUTHENTICATED"
        wrong = await guarded.client.get("/metrics", headers={"authorization": "Bearer nope"})
        assert code_of(wrong, 401) == "UNAUTHENTICATED"
        right = await guarded.client.get("/metrics", headers={"authorization": "Bearer m-secret-1"})
        assert right.status_code == 200 and "learnloop_http_requests_total" in right.text
    finally:
        await guarded.client.aclose()
        for engine in engines:
            await engine.dispose()


async def test_database_unreachable_is_retryable(api: Api) -> None:
    """Port 1 refuses connections: 503 + Retry-After on plain HTTP, SERVICE_UNAVAILABLE in GraphQL."""
    org = await api.org(Role.VIEWER)
    dead = create_async_engine("postgresql+asyncpg://learnloop_app@127.0.0.1:1/none")
    app = create_app(conftest.test_settings(), engine=dead)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        auth = {"authorization": f"Bearer {org.token}"}
        export = await client.get(_dataset_url(), headers=auth)
        assert code_of(export, 503) == "SERVICE_UNAVAILABLE"
        assert int(export.headers["retry-after"]) > 0
        gql = await client.post("/graphql", json={"query": "{ viewer { role } }"}, headers=auth)
        assert gql.status_code == 200
        [error] = gql.json()["errors"]
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert error["extensions"]["retryAfter"] > 0
        assert "sqlalchemy" not in gql.text.lower() and "errno" not in gql.text.lower()
    await dead.dispose()


async def test_request_errors_have_no_data_entry(api: Api) -> None:
    org = await api.org(Role.VIEWER)
    headers = {"accept": GRAPHQL_RESPONSE}
    for document in ("{ viewer { role ", "{ viewer { noSuchField } }"):
        response = await api.post(document, token=org.token, headers=headers)
        assert response.status_code == 400, response.text
        body = response.json()
        assert "data" not in body and body["errors"], body
    # Plain JSON keeps the legacy shape; an executed operation keeps its data.
    legacy = await api.post("{ viewer { noSuchField } }", token=org.token)
    assert legacy.status_code == 200 and "data" in legacy.json()
    ok = await api.post("{ viewer { role } }", token=org.token, headers=headers)
    assert ok.json()["data"]["viewer"]["role"] == "VIEWER"


async def test_bad_tokens_get_one_clear_message(api: Api) -> None:
    org = await api.org(Role.VIEWER)
    header, payload, signature = org.token.split(".")
    for forged in (f"{header}.{payload}.{signature[::-1]}", f"{header}x.{payload}", "abc"):
        body = await api.raw("{ viewer { role } }", token=forged)
        [error] = body["errors"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert error["message"] == INVALID_TOKEN


async def test_api_key_last_use_survives_a_failed_first_mutation(api: Api) -> None:
    admin = await api.org(Role.ADMIN)
    created = await admin.gql(
        'mutation { createApiKey(input: {name: "k", role: MEMBER}) { secret apiKey { id } } }'
    )
    secret = created["createApiKey"]["secret"]
    key_id = relay.GlobalID.from_id(created["createApiKey"]["apiKey"]["id"]).node_id
    async with api.owner_engine.begin() as conn:
        await conn.execute(
            text("UPDATE api_keys SET last_used_at = NULL WHERE id = :id"), {"id": key_id}
        )
    bad = {"agentId": "a", "executionId": "e", "feedbackType": "STAR_RATING", "rating": 9}
    body = await api.raw(
        "mutation($i: SubmitFeedbackInput!) { submitFeedback(input: $i) { userErrors { code } } }",
        {"i": bad},
        token=secret,
    )
    assert body["data"]["submitFeedback"]["userErrors"], body
    async with api.owner_engine.connect() as conn:
        used = await conn.scalar(
            text("SELECT last_used_at FROM api_keys WHERE id = :id"), {"id": key_id}
        )
    assert used is not None


async def test_graphiql_works_offline(api: Api) -> None:
    page = await api.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page.text, re.I), page.text
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "<script>" not in page.text  # no inline script: the CSP forbids it
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(assets) >= 7
    for path in assets:
        served = await api.client.get(path)
        assert served.status_code == 200 and len(served.content) > 100, path
