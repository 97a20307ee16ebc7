"""The client's documents match the committed schema, its import is light, its calls are typed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from graphql import build_schema, parse, validate

from learnloop.client import LearnloopClient, UserErrors
from learnloop.client.operations import ALL_DOCUMENTS
from tests.client.conftest import KeyedOrg, Served

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = build_schema((ROOT / "schema.graphql").read_text())


@pytest.mark.parametrize("name", sorted(ALL_DOCUMENTS))
def test_every_document_validates_against_the_committed_schema(name: str) -> None:
    if name == "agentConfig" and "agentConfig" not in SCHEMA.query_type.fields:
        pytest.skip("agentConfig is not in schema.graphql yet (experiments feature)")
    assert validate(SCHEMA, parse(ALL_DOCUMENTS[name])) == []


def test_importing_the_client_pulls_in_no_server_code() -> None:
    guard = (
        "import sys, learnloop.client\n"
        "server = ('strawberry', 'sqlalchemy', 'starlette', 'asyncpg', 'uvicorn', 'pydantic',"
        " 'structlog', 'alembic', 'scipy', 'numpy', 'graphql')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in server"
        " or (m.startswith('learnloop.') and not m.startswith('learnloop.client')))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", guard], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


async def test_blocking_calls_return_typed_results(served: Served, keyed: KeyedOrg) -> None:
    with LearnloopClient(served.url, keyed.api_key) as client:
        first = client.record_execution(
            "agent-t", "e1", input="q", output="a", domain="billing", background=False
        )
        again = client.record_execution("agent-t", "e1", input="other", background=False)
        assert first is not None and again is not None
        assert (first.execution_id, first.outcome, again.outcome) == ("e1", "CREATED", "EXISTING")
        assert first.id == again.id
        feedback = client.submit_feedback(
            "agent-t", "e1", "CORRECTION", correction_text="b", background=False
        )
        assert feedback is not None and feedback.feedback_type == "CORRECTION"
        with pytest.raises(UserErrors) as refused:
            client.submit_feedback("agent-t", "e1", "STAR_RATING", rating=0, background=False)
        assert refused.value.errors[0].field == ("input", "rating")
        token = client.create_feedback_token("agent-t", "e1", expires_in_seconds=120)
        assert token.token and token.expires_at


async def test_agent_config_is_cached_briefly(served: Served, keyed: KeyedOrg) -> None:
    if "agentConfig" not in SCHEMA.query_type.fields:
        pytest.skip("agentConfig is not in schema.graphql yet (experiments feature)")
    with LearnloopClient(served.url, keyed.api_key, config_ttl=60) as client:
        first = client.agent_config("agent-c", "user-1")
        assert isinstance(first.config, dict)
        assert client.agent_config("agent-c", "user-1") is first
