"""OpenTelemetry: spans per operation with SQL children, worker job spans, no secrets; off = no import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from learnloop.domain.roles import Role
from learnloop.storage.database import DatabaseTarget
from learnloop.tracing import tracing_wanted
from learnloop.worker.webhooks import WebhookSender
from tests.conftest import TEST_SECRET, close_api, make_api
from tests.conftest import test_settings as settings_for_tests
from tests.otlp_receiver import otlp_receiver
from tests.webhooks.ops import receiving

KEY = 'mutation MakeKey { createApiKey(input: {name: "traced", role: ADMIN}) { secret } }'
HOOK = """mutation CreateHook($u: String!) { createWebhookEndpoint(input: {url: $u,
  events: ["feedback.created"]}) { secret userErrors { code } } }"""
FEEDBACK = """mutation SendFeedback { submitFeedback(input: {agentId: "agent-t", executionId: "e1",
  feedbackType: THUMBS_UP}) { userErrors { code } } }"""


async def test_operations_sql_and_webhook_jobs_are_traced_without_secrets(
    fresh_db: DatabaseTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with otlp_receiver() as collector, receiving() as hooks:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint)
        monkeypatch.setenv("OTEL_SERVICE_NAME", "learnloop-under-test")
        monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
        api, engines = await make_api(fresh_db)
        try:
            org = await api.org(Role.ADMIN)
            key = (await org.gql(KEY))["createApiKey"]["secret"]
            viewer = await api.gql("query TracedViewer { viewer { role } }", token=key)
            assert viewer["viewer"]["role"] == "ADMIN"
            hook = (await api.gql(HOOK, {"u": hooks.url}, token=key))["createWebhookEndpoint"]
            await api.gql(FEEDBACK, token=key)
            refused = await api.raw("query Anonymous { viewer { role } }")
            assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            state = api.app.state.learnloop
            sender = WebhookSender(api.engine, settings_for_tests(), tracing=state.tracing)
            await sender.deliver_due()
            assert len(hooks.got) == 1
        finally:
            await close_api(api, engines)  # shuts the provider down: everything is exported

    [op] = collector.named("query TracedViewer")
    assert op.service == "learnloop-under-test"
    assert op.attributes["graphql.operation.name"] == "TracedViewer"
    assert op.attributes["graphql.operation.type"] == "query"
    assert op.attributes["learnloop.org_id"] == str(org.org_id)
    assert op.attributes["learnloop.role"] == "ADMIN"
    sql = collector.children(op)
    assert sql and all(s.attributes["db.system"] == "postgresql" for s in sql)
    assert any("set_config" in s.attributes["db.statement"] for s in sql)
    assert {s.trace_id for s in sql} == {op.trace_id}
    [write] = collector.named("mutation SendFeedback")
    assert any(s.name.startswith("INSERT") for s in collector.children(write))
    [anonymous] = collector.named("query Anonymous")
    assert anonymous.attributes["graphql.error_codes"] == ["UNAUTHENTICATED"]
    assert anonymous.status_code == 2  # ERROR
    [delivery] = collector.named("webhook.deliver")
    assert delivery.attributes["learnloop.outcome"] == "DELIVERED"
    assert delivery.attributes["http.response.status_code"] == 204
    assert delivery.attributes["learnloop.org_id"] == str(org.org_id)
    assert any(s.name.startswith("SELECT") for s in collector.children(delivery))
    # No credential in any attribute: API key, user token, JWT secret, webhook secret.
    dumped = json.dumps([(s.name, s.attributes) for s in collector.spans])
    for secret in (key, org.token, TEST_SECRET, hook["secret"], "Bearer"):
        assert secret not in dumped


def test_tracing_is_off_unless_configured() -> None:
    settings = settings_for_tests()
    assert not tracing_wanted(settings, {})
    assert tracing_wanted(settings, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert tracing_wanted(settings, {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c/v1/traces"})
    assert not tracing_wanted(
        settings, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}
    )
    assert not tracing_wanted(
        settings, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}
    )
    forced = settings_for_tests(tracing=True)
    assert tracing_wanted(forced, {})
    off = settings_for_tests(tracing=False)
    assert not tracing_wanted(off, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"})


def test_without_tracing_opentelemetry_is_never_imported() -> None:
    probe = (
        "import sys\n"
        "from sqlalchemy.ext.asyncio import create_async_engine\n"
        "from learnloop.app import create_app\n"
        "from tests.conftest import test_settings\n"
        "engine = create_async_engine('postgresql+asyncpg://u@127.0.0.1:1/none')\n"
        "create_app(test_settings(), engine=engine)\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "OTEL_EXPORTER_OTLP_ENDPOINT": ""}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
