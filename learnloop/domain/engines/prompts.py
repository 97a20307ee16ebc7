"""A deployable prompt (system text and demonstrations) and the exact messages it renders to.

Evaluation and agents render prompts with the same function, so what was measured is what runs:
the system message, then each demonstration as a user/assistant turn pair, then the input.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from learnloop.domain.engines.llm import ChatMessage


@dataclass(frozen=True)
class Demo:
    input: str
    output: str


@dataclass(frozen=True)
class Prompt:
    system: str
    demos: tuple[Demo, ...] = ()

    @property
    def key(self) -> str:
        """Identity of the prompt's content (two variants with equal text are one prompt)."""
        body = json.dumps([self.system, [[d.input, d.output] for d in self.demos]])
        return hashlib.sha256(body.encode()).hexdigest()[:16]

    def as_result(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "demos": [{"input": d.input, "output": d.output} for d in self.demos],
            "format": "openai_chat",
        }

    @classmethod
    def from_result(cls, raw: Mapping[str, Any]) -> Prompt:
        demos = tuple(
            Demo(str(d.get("input", "")), str(d.get("output", "")))
            for d in raw.get("demos") or []
            if isinstance(d, Mapping)
        )
        return cls(str(raw.get("system") or ""), demos)


def render_messages(prompt: Prompt, user_input: str) -> list[ChatMessage]:
    """The chat messages to send for one input: exactly what the optimiser evaluated."""
    messages = [ChatMessage("system", prompt.system)] if prompt.system.strip() else []
    for demo in prompt.demos:
        messages += [ChatMessage("user", demo.input), ChatMessage("assistant", demo.output)]
    messages.append(ChatMessage("user", user_input))
    return messages


def deployed_prompt(config: Mapping[str, Any] | None) -> dict[str, Any] | str | None:
    """The prompt a deployment config carries (`deployable.prompt`), if any."""
    deployable = (config or {}).get("deployable")
    prompt = deployable.get("prompt") if isinstance(deployable, Mapping) else None
    if isinstance(prompt, Mapping):
        return Prompt.from_result(prompt).as_result()
    return prompt if isinstance(prompt, str) else None
