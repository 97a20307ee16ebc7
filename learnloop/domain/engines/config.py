"""Config checks shared by engines; each reports problems at ("config", key)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from learnloop.domain.errors import ErrorCode, Problem, UserInputError

Check = Callable[[Mapping[str, Any]], list[Problem]]


def _at(key: str) -> tuple[str, ...]:
    return ("config", key)


def unknown_keys(allowed: set[str]) -> Check:
    def check(config: Mapping[str, Any]) -> list[Problem]:
        listed = ", ".join(sorted(allowed)) or "none"
        return [
            Problem(_at(k), f"unknown option '{k}'; this training type accepts: {listed}")
            for k in config
            if k not in allowed
        ]

    return check


def text(key: str, *, max_length: int, required: bool = False) -> Check:
    def check(config: Mapping[str, Any]) -> list[Problem]:
        value = config.get(key)
        if value is None:
            return (
                [Problem(_at(key), f"'{key}' is required", ErrorCode.REQUIRED)] if required else []
            )
        if not isinstance(value, str) or (required and not value.strip()):
            return [Problem(_at(key), f"'{key}' must be a non-empty string")]
        if len(value) > max_length:
            return [
                Problem(_at(key), f"'{key}' is at most {max_length} characters", ErrorCode.TOO_LONG)
            ]
        return []

    return check


def integer(key: str, low: int, high: int) -> Check:
    def check(config: Mapping[str, Any]) -> list[Problem]:
        value = config.get(key)
        if value is None:
            return []
        if isinstance(value, bool) or not isinstance(value, int):
            return [Problem(_at(key), f"'{key}' must be a whole number")]
        if not low <= value <= high:
            return [
                Problem(
                    _at(key), f"'{key}' must be between {low} and {high}", ErrorCode.OUT_OF_RANGE
                )
            ]
        return []

    return check


def number(key: str, low: float, high: float, *, exclusive_low: bool = False) -> Check:
    def check(config: Mapping[str, Any]) -> list[Problem]:
        value = config.get(key)
        if value is None:
            return []
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [Problem(_at(key), f"'{key}' must be a number")]
        too_low = value <= low if exclusive_low else value < low
        if too_low or value > high:
            bound = "above" if exclusive_low else "at least"
            return [
                Problem(
                    _at(key),
                    f"'{key}' must be {bound} {low} and at most {high}",
                    ErrorCode.OUT_OF_RANGE,
                )
            ]
        return []

    return check


def boolean(key: str) -> Check:
    def check(config: Mapping[str, Any]) -> list[Problem]:
        value = config.get(key)
        if value is None or isinstance(value, bool):
            return []
        return [Problem(_at(key), f"'{key}' must be true or false")]

    return check


def one_of(key: str, choices: tuple[str, ...]) -> Check:
    def check(config: Mapping[str, Any]) -> list[Problem]:
        value = config.get(key)
        if value is None or value in choices:
            return []
        return [Problem(_at(key), f"'{key}' must be one of {', '.join(choices)}")]

    return check


def needs_llm(training_type: str, configured: bool) -> Check:
    """Refuse at creation when the engine needs an LLM endpoint and none is configured."""

    def check(config: Mapping[str, Any]) -> list[Problem]:
        if configured:
            return []
        return [
            Problem(
                ("trainingType",),
                f"{training_type} needs an LLM endpoint: set LEARNLOOP_LLM_BASE_URL "
                "(and LEARNLOOP_LLM_MODEL, LEARNLOOP_LLM_API_KEY) for the server and its workers",
                # The same code as every other option that needs a provider (fine-tuning's submit).
                ErrorCode.PROVIDER_REQUIRED,
            )
        ]

    return check


def validate(
    config: Mapping[str, Any] | None, checks: list[Check], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """Run every check; raise all problems together, else return defaults overlaid with config."""
    if config is not None and not isinstance(config, Mapping):
        raise UserInputError.single(("config",), "config must be a JSON object")
    given = dict(config or {})
    problems = [p for check in checks for p in check(given)]
    if problems:
        raise UserInputError(problems)
    return {**defaults, **{k: v for k, v in given.items() if v is not None}}
