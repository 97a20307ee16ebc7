"""GraphQL over HTTP: media types, status codes, GET queries, GraphiQL, health and readiness."""

from __future__ import annotations

from tests.conftest import Api

GRAPHQL_RESPONSE = "application/graphql-response+json"


async def test_typename_over_post(api: Api) -> None:
    response = await api.post("{ __typename }")
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-request-id"]


async def test_graphql_response_media_type_is_negotiated(api: Api) -> None:
    response = await api.post("{ __typename }", headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)


async def test_invalid_document_is_400_with_graphql_response_json(api: Api) -> None:
    response = await api.post("{ noSuchField }", headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400
    assert "noSuchField" in response.json()["errors"][0]["message"]


async def test_invalid_document_is_200_with_legacy_json(api: Api) -> None:
    response = await api.post("{ noSuchField }", headers={"accept": "application/json"})
    assert response.status_code == 200
    assert response.json()["errors"]


async def test_unacceptable_accept_header_is_406(api: Api) -> None:
    response = await api.post("{ __typename }", headers={"accept": "text/csv"})
    assert response.status_code == 406


async def test_query_over_get(api: Api) -> None:
    response = await api.client.get("/graphql", params={"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.json()["data"]["__typename"] == "Query"


async def test_mutation_over_get_is_refused(api: Api) -> None:
    response = await api.client.get(
        "/graphql",
        params={
            "query": 'mutation { revokeApiKey(input: {apiKeyId: "x"}) { userErrors { message } } }'
        },
    )
    assert response.status_code == 405


async def test_graphiql_served_to_browsers(api: Api) -> None:
    response = await api.client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_health_and_readiness(api: Api) -> None:
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"


async def test_caller_request_id_is_echoed(api: Api) -> None:
    response = await api.post("{ __typename }", headers={"x-request-id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


async def test_metrics_count_requests(api: Api) -> None:
    await api.post("{ __typename }")
    text = (await api.client.get("/metrics")).text
    line = next(li for li in text.splitlines() if li.startswith("learnloop_http_requests_total"))
    assert int(line.split()[1]) >= 1
