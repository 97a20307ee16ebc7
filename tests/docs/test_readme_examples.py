"""The README's GraphQL examples run, in order, against a fresh server and succeed as written.

Convention (also stated in the README): a string `"<operation.path.to.value>"` stands for that
value in the latest response of that root field, e.g. `"<createDataset.dataset.id>"`. An HTML
comment right before a block steers it: `<!-- readme-test: skip (why) -->` leaves it out and
`<!-- readme-test: expect CODE -->` expects that one user error code instead of success.
Each operation runs with a token of exactly the role OPERATION_ROLES says it needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import OperationDefinitionNode, OperationType, parse, print_ast

from learnloop.domain.permissions import required_role
from learnloop.domain.roles import Role
from tests.conftest import Api, OrgHandle
from tests.training.conftest import running_worker
from tests.training.ops import wait_for
from tests.training.ws import graphql_ws

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(
    r"(?:<!-- readme-test: (?P<mark>[^>]*?) -->\n)?```graphql\n(?P<body>.*?)```", re.S
)
PLACEHOLDER = re.compile(r'"<([A-Za-z]+(?:\.[A-Za-z]+)+)>"')


@dataclass
class Example:
    text: str
    kind: OperationType
    roots: list[str]
    expect: str | None  # a user error code, or None for success


def readme_examples() -> list[Example]:
    examples: list[Example] = []
    for match in BLOCK.finditer(README.read_text()):
        mark = (match["mark"] or "").strip()
        if mark.startswith("skip"):
            continue
        expect = mark.removeprefix("expect ").strip() if mark.startswith("expect ") else None
        for op in parse(match["body"]).definitions:
            assert isinstance(op, OperationDefinitionNode)
            roots = [s.name.value for s in op.selection_set.selections]  # type: ignore[attr-defined]
            examples.append(Example(print_ast(op), op.operation, roots, expect))
    return examples


def fill(text: str, responses: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        root, *path = match[1].split(".")
        assert root in responses, f"{match[0]} names {root}, which no earlier example ran"
        found = responses[root]
        for key in path:
            found = found[key]
        assert isinstance(found, str), f"{match[0]} is {found!r}"
        return f'"{found}"'

    filled = PLACEHOLDER.sub(value, text)
    left = re.findall(r'"<[^"]*>"', filled)
    assert not left, (
        f'{left} in a README example: write placeholders as "<operation.path.to.value>" '
        "(a value an earlier example returned) or mark the block <!-- readme-test: skip -->"
    )
    return filled


def user_errors(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e
        for payload in data.values()
        if isinstance(payload, dict)
        for e in payload.get("userErrors", [])
    ]


async def run_subscription(api: Api, member: OrgHandle, text: str) -> dict[str, Any]:
    """The first event of a subscription (its current state), over the real WebSocket route."""
    async with graphql_ws(api.app, member.token) as ws:
        await ws.subscribe("1", text)
        message = await ws.receive()
        assert message["type"] == "next", message
        payload: dict[str, Any] = message["payload"]
        assert not payload.get("errors"), payload
        await ws.stop("1")
        data: dict[str, Any] = payload["data"]
        return data


async def test_readme_graphql_examples_run_as_written(fresh_api: Api) -> None:
    examples = readme_examples()
    assert len(examples) >= 14, "the README lost its examples"
    admin = await fresh_api.org(Role.ADMIN)
    members = {Role.ADMIN: admin} | {r: await admin.user(r) for r in Role if r is not Role.ADMIN}
    responses: dict[str, Any] = {}
    try:
        await run_in_order(fresh_api, examples, members, responses)
    finally:
        # The subscription started the app's LISTEN connection; no lifespan stops it here.
        await fresh_api.app.state.learnloop.bus.stop()


async def run_in_order(
    api: Api, examples: list[Example], members: dict[Role, OrgHandle], responses: dict[str, Any]
) -> None:
    admin = members[Role.ADMIN]
    async with running_worker(api):
        for example in examples:
            roles = [required_role(r) or Role.VIEWER for r in example.roots]
            member = members[max(roles, key=lambda r: list(Role).index(r))]
            text = fill(example.text, responses)
            if "reviewTrainingRun" in example.roots:  # a person reviews only a finished run
                await wait_for(
                    admin, responses["createTrainingRun"]["trainingRun"]["id"], {"COMPLETED"}
                )
            if example.kind is OperationType.SUBSCRIPTION:
                data = await run_subscription(api, member, text)
            else:
                body = await member.raw(text)
                assert not body.get("errors"), f"{text}\n-> {body['errors']}"
                data = body["data"]
            errors = user_errors(data)
            if example.expect:
                assert [e["code"] for e in errors] == [example.expect], f"{text}\n-> {data}"
            else:
                assert errors == [], f"{text}\n-> {errors}"
                assert all(v is not None for v in data.values()), f"{text}\n-> {data}"
            responses |= data
