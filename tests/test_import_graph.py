"""The layer map as a test: which package may import what, read from the source with ast."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "learnloop"

# The domain decides and does no I/O: no framework, no driver, no HTTP client.
DOMAIN_FORBIDDEN = ("sqlalchemy", "strawberry", "starlette", "httpx", "asyncpg", "uvicorn")
# Nor does it reach into a layer built on top of it (they implement its protocols instead).
DOMAIN_FORBIDDEN_LAYERS = ("schema", "resolvers", "http", "storage", "llm", "worker", "app", "cli")
# GraphQL, resolvers and storage are composed by app.py / cli.py and the worker, never the reverse
# (the worker's engine registry, for one, is handed to the resolvers' AppState by app.py).
COMPOSED = ("schema", "resolvers", "storage")
COMPOSERS = ("http", "worker", "app", "cli")
# The one resolvers module that may see the HTTP request: it builds the per-request context.
RESOLVERS_REQUEST_CONTEXT = "learnloop.resolvers.context"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, root: Path) -> list[tuple[int, list[str]]]:
    """Each import statement anywhere in the file (TYPE_CHECKING blocks and functions too), as
    its line and the modules it may load: `from a import b` loads a, and a.b if b is a module."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[int, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, [alias.name]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing package
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, [module, *(f"{module}.{a.name}" for a in node.names)]))
    return sorted(found)


def _is(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(root: Path) -> list[str]:
    """Every broken rule of the layer map in the package at `root`, as readable lines."""
    top = root.name
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        if path.name.endswith("_root.py"):
            found.append(
                f"{path.relative_to(root.parent)}: *_root.py modules belong in their concept"
            )
        name = module_name(path, root)
        for line, modules in imports(path, root):
            for imported in modules:
                rule = _broken_rule(top, name, imported)
                if rule:
                    found.append(f"{name}:{line} imports {imported}: {rule}")
                    break
    return found


def _broken_rule(top: str, name: str, imported: str) -> str | None:
    if _is(name, f"{top}.domain"):
        if any(_is(imported, lib) for lib in DOMAIN_FORBIDDEN):
            return "the domain imports no framework or I/O library"
        if any(_is(imported, f"{top}.{layer}") for layer in DOMAIN_FORBIDDEN_LAYERS):
            return "the domain imports no other layer"
    if any(_is(name, f"{top}.{layer}") for layer in COMPOSED) and any(
        _is(imported, f"{top}.{composer}") for composer in COMPOSERS
    ):
        return "the composition root (app.py, cli.py, worker/) wires layers together, not them"
    if _is(name, f"{top}.schema") and _is(imported, f"{top}.storage"):
        return "schema goes through resolvers, never to storage"
    if (
        _is(name, f"{top}.resolvers")
        and name != RESOLVERS_REQUEST_CONTEXT.replace("learnloop", top, 1)
        and _is(imported, "starlette")
    ):
        return "HTTP belongs in http/; only resolvers/context.py sees the request"
    return None


def test_the_package_follows_the_layer_map() -> None:
    assert violations(PACKAGE) == []


def _write(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(root.parent).parents:
        init = root.parent / parent / "__init__.py"
        if parent != Path(".") and not init.exists():
            init.write_text("")
    path.write_text(source)


@pytest.mark.parametrize(
    ("relative", "source", "expected"),
    [
        ("domain/rules.py", "import sqlalchemy\n", "the domain imports no framework"),
        ("domain/rules.py", "from strawberry import relay\n", "the domain imports no framework"),
        ("domain/rules.py", "import httpx.x\n", "the domain imports no framework"),
        (
            "domain/engines/rules.py",
            "def f():\n    import asyncpg\n",
            "the domain imports no framework",
        ),
        (
            "domain/rules.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from starlette.requests import Request\n",
            "the domain imports no framework",
        ),
        ("domain/rules.py", "from learnloop.storage import datasets\n", "no other layer"),
        ("domain/engines/rules.py", "from ...llm import client\n", "no other layer"),
        ("schema/things.py", "from learnloop.storage.datasets import page\n", "never to storage"),
        ("schema/things.py", "from learnloop import storage\n", "never to storage"),
        (
            "resolvers/things.py",
            "from starlette.responses import Response\n",
            "only resolvers/context.py",
        ),
        ("resolvers/loaders/things.py", "import starlette\n", "only resolvers/context.py"),
        (
            "resolvers/state.py",
            "from learnloop.worker.registry import build_registry\n",
            "the composition root",
        ),
        (
            "storage/things.py",
            "from learnloop.http.errors import error_response\n",
            "composition root",
        ),
        ("schema/things_root.py", "", "*_root.py modules belong in their concept"),
        ("storage/deep/old_root.py", "", "*_root.py modules belong in their concept"),
    ],
)
def test_each_rule_fails_on_a_module_that_breaks_it(
    tmp_path: Path, relative: str, source: str, expected: str
) -> None:
    root = tmp_path / "learnloop"
    _write(root, "resolvers/context.py", "from starlette.requests import Request\n")
    _write(root, "domain/fine.py", "from learnloop.domain.errors import Problem\nimport json\n")
    assert violations(root) == []
    _write(root, relative, source)
    found = violations(root)
    assert len(found) == 1, found
    assert expected in found[0]
