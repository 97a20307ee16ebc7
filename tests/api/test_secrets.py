"""API key secrets appear once, in createApiKey's payload: never in logs or any later result."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from learnloop.domain.roles import Role
from learnloop.logging import configure_logging
from tests.api.isolation_probes import QUERY_PROBES
from tests.conftest import Api


async def test_secret_never_logged_or_returned_again(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("DEBUG", json=True)
    try:
        admin = await api.org(Role.ADMIN)
        created = await admin.gql(
            'mutation { createApiKey(input: {name: "leak-check", role: MEMBER}) { secret apiKey { id } } }'
        )
        secret = created["createApiKey"]["secret"]
        # Use the key, fail with it, list keys, fetch it by id: the secret must not come back.
        await api.gql("{ viewer { role } }", token=secret)
        await api.raw("{ apiKeys(first: 5) { edges { node { id } } } }", token=secret)
        outputs = [await admin.raw(p) for p in QUERY_PROBES.values() if p]
        outputs.append(
            await admin.raw(
                "query($id: ID!) { node(id: $id) { ... on ApiKey { name prefix } } }",
                {"id": created["createApiKey"]["apiKey"]["id"]},
            )
        )
        for body in outputs:
            assert secret not in json.dumps(body)
            assert secret[len("ll_") + 6 :] not in json.dumps(body)
        logged = capsys.readouterr()
        assert "http.request" in logged.err  # logging was on and captured
        assert secret not in logged.err + logged.out
        assert admin.token not in logged.err + logged.out
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()


async def test_log_lines_carry_request_id_org_and_operation(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", json=True)
    try:
        org = await api.org(Role.VIEWER)
        response = await api.post(
            "query WhoAmI { viewer { role } }", token=org.token, headers={"x-request-id": "req-42"}
        )
        assert response.status_code == 200
        lines = [
            json.loads(line)
            for line in capsys.readouterr().err.splitlines()
            if line.startswith("{")
        ]
        request_line = next(
            li
            for li in lines
            if li.get("event") == "http.request" and li.get("request_id") == "req-42"
        )
        assert request_line["org"] == str(org.org_id)
        assert request_line["operation"] == "WhoAmI"
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
