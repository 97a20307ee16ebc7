"""A feedback widget token reads its own execution and its own feedback, through every path.

The walk starts at the submitFeedback payload and, level by level, selects every field of
every object the previous level returned (generated from the schema's introspection, so a
field added later is walked too), down to MAX_DEPTH object levels; every connection field of
every reached object is probed on its own. Whatever comes back must be the token's execution,
its feedback, or the example its correction made.
"""

from __future__ import annotations

import json
from typing import Any

from learnloop.domain.roles import Role
from tests.api.schema_walk import INTROSPECTION, LEAF_KINDS, Field, SchemaWalk
from tests.conftest import Api, OrgHandle
from tests.feedback.ops import CREATE_TOKEN, record, submit_ok

MAX_DEPTH = 5
AGENT = "agent-scope"
OWN = {"agentId": AGENT, "executionId": "exec-own"}
OTHER = {"agentId": AGENT, "executionId": "exec-other"}
# Text only other people's rows hold: none of it may ever reach the token.
SECRETS = ["OTHER-INPUT", "OTHER-OUTPUT", "NEIGHBOUR-OPINION", "NEIGHBOUR-FIX", "FAR-OPINION"]
PARTS = {"SubmitFeedbackPayload", "FeedbackDimensions", "UserError"}

Path = tuple[Field, ...]


async def arrange(api: Api) -> tuple[OrgHandle, str, str]:
    """Another member's feedback and corrections on both executions; a token for one of them."""
    org = await api.org(Role.ADMIN)
    neighbour = await org.user(Role.MEMBER, email=f"neighbour@{org.slug}.test")
    await record(org, AGENT, OWN["executionId"], input="OWN-INPUT", output="OWN-OUTPUT")
    await record(org, AGENT, OTHER["executionId"], input="OTHER-INPUT", output="OTHER-OUTPUT")
    for ref, text in ((OWN, "NEIGHBOUR-OPINION"), (OTHER, "FAR-OPINION")):
        await submit_ok(
            neighbour,
            **ref,
            feedbackType="CORRECTION",
            feedbackText=text,
            correctionText="NEIGHBOUR-FIX",
        )
        await submit_ok(neighbour, **ref, feedbackType="THUMBS_DOWN", feedbackText=text)
    issued = await org.gql(CREATE_TOKEN, {"input": {**OWN, "endUserId": "visitor-1"}})
    data = await org.gql(f'{{ execution(agentId: "{AGENT}", executionId: "exec-own") {{ id }} }}')
    return neighbour, issued["createFeedbackToken"]["token"], data["execution"]["id"]


def wrap(path: Path, inner: str) -> str:
    for field in reversed(path):
        inner = f"{field.name}{field.arguments} {{ {inner} }}"
    return inner


def objects(value: Any) -> list[dict[str, Any]]:
    """Every object (it carries __typename) anywhere in a response's data."""
    if isinstance(value, list):
        return [o for item in value for o in objects(item)]
    if isinstance(value, dict):
        found = [value] if "__typename" in value else []
        return found + [o for v in value.values() for o in objects(v)]
    return []


def at(data: Any, path: Path) -> list[Any]:
    """The values at `path` (lists fan out)."""
    values = [data]
    for field in path:
        nxt: list[Any] = []
        for v in values:
            for item in v if isinstance(v, list) else [v]:
                if isinstance(item, dict) and item.get(field.name) is not None:
                    nxt.append(item[field.name])
        values = nxt
    return values


class Walk:
    def __init__(self, schema: SchemaWalk) -> None:
        self.schema = schema
        self.live: dict[Path, str] = {(): "SubmitFeedbackPayload"}
        self.probed: set[Path] = set()

    def children(self, type_name: str) -> list[Field]:
        return [f for f in self.schema.fields(type_name) if f.kind not in LEAF_KINDS]

    def render(self, path: Path, type_name: str) -> str:
        parts = [self.schema.leaves(type_name)]
        for field in self.children(type_name):
            child = (*path, field)
            if field.connection or len(child) > MAX_DEPTH:
                continue
            inner = (
                self.render(child, field.type_name)
                if child in self.live
                else self.schema.leaves(field.type_name)
            )
            parts.append(f"{field.name}{field.arguments} {{ {inner} }}")
        return " ".join(parts)

    def document(self) -> tuple[str, list[Path]]:
        """The whole live tree plus one level below it, and each new connection on its own."""
        probes = [f"live: submitFeedback(input: $input) {{ {self.render((), self.live[()])} }}"]
        connections: list[Path] = []
        for path, type_name in list(self.live.items()):
            if path in self.probed:
                continue
            self.probed.add(path)
            for field in self.children(type_name):
                if field.connection:
                    inner = wrap(path, f"__typename {self.schema.connection(field)}")
                    probes.append(
                        f"c{len(connections)}: submitFeedback(input: $input) {{ {inner} }}"
                    )
                    connections.append((*path, field))
        document = "mutation($input: SubmitFeedbackInput!) { " + " ".join(probes) + " }"
        return document, connections

    def grow(self, data: Any) -> bool:
        """Add every non-null object field below the live tree; True when something was added."""
        added = False
        for path, type_name in list(self.live.items()):
            for field in self.children(type_name):
                child = (*path, field)
                if field.connection or child in self.live or len(child) > MAX_DEPTH:
                    continue
                if any(v not in (None, []) for v in at(data, child)):
                    self.live[child] = field.type_name
                    added = True
        return added


async def test_a_widget_token_reaches_only_its_execution_and_its_own_feedback(api: Api) -> None:
    neighbour, token, own_execution = await arrange(api)
    correction = {
        **OWN,
        "feedbackType": "CORRECTION",
        "correctionText": "MY-FIX",
        "idempotencyKey": "w-1",
    }
    first = await api.gql(
        "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) {"
        " feedback { id } learningExample { id } userErrors { code } } }",
        {"input": correction},
        token,
    )
    own = {
        "Execution": own_execution,
        "Feedback": first["submitFeedback"]["feedback"]["id"],
        "LearningExample": first["submitFeedback"]["learningExample"]["id"],
    }
    schema = SchemaWalk(await api.gql(INTROSPECTION))
    walk = Walk(schema)
    refused: list[Path] = []
    seen: set[str] = set()
    for _ in range(MAX_DEPTH + 1):
        document, connections = walk.document()
        body = await api.raw(document, {"input": correction}, token)
        text = json.dumps(body)
        assert not [s for s in [*SECRETS, neighbour.slug, "@"] if s in text], text
        for error in body.get("errors") or []:
            assert error["extensions"]["code"] == "FORBIDDEN", error
        for obj in objects(body["data"]):
            kind = obj["__typename"]
            seen.add(kind)
            assert kind in PARTS or obj.get("id") == own.get(kind), obj
        for index, path in enumerate(connections):
            # The connection's holder reads as null, with a FORBIDDEN error at the connection.
            assert at(body["data"][f"c{index}"], path) == []
            refused.append(path)
        if not walk.grow(body["data"]["live"]):
            break
    assert max(len(p) for p in walk.live) >= 4
    assert seen >= {"Execution", "Feedback", "LearningExample", "FeedbackDimensions"}
    assert {p[-1].name for p in refused} >= {"feedback", "history", "annotations", "datasets"}


async def test_organisation_wide_principals_still_read_everything(api: Api) -> None:
    """The guard narrows only narrow principals: a VIEWER sees the neighbour's feedback."""
    neighbour, _, _ = await arrange(api)
    viewer = await neighbour.user(Role.VIEWER)
    data = await viewer.gql(
        f'{{ agent(key: "{AGENT}") {{ executions(first: 5) {{ totalCount }}'
        " feedback(first: 10) { edges { node { feedbackText author { email } } } } } }"
    )
    agent = data["agent"]
    assert agent["executions"]["totalCount"] == 2
    emails = {e["node"]["author"]["email"] for e in agent["feedback"]["edges"]}
    assert emails == {f"neighbour@{neighbour.slug}.test"}
