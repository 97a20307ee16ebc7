"""setLearningPolicy / learningPolicies: roles, validation with paths, replace, audit."""

from __future__ import annotations

from learnloop.domain.roles import Role
from tests.conftest import Api
from tests.learning_policies.ops import LIST, SET, set_policy
from tests.training.ops import audit_actions


def _errors(payload: dict) -> list[tuple[list[str], str]]:  # type: ignore[type-arg]
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


async def test_a_manager_sets_and_replaces_a_policy_and_viewers_read_it(api: Api) -> None:
    manager = await api.org(Role.MANAGER)
    first = await set_policy(
        manager,
        trainingType="FINE_TUNING",
        minNewApprovedExamples=3,
        config={"nEpochs": 2},
        autoExperiment=True,
        treatmentPercentage=20,
    )
    assert first["userErrors"] == []
    policy = first["policy"]
    assert policy["agentId"] == "support-bot" and policy["minNewApprovedExamples"] == 3
    assert policy["config"] == {"nEpochs": 2} and policy["autoExperiment"] is True
    assert policy["treatmentPercentage"] == 20 and policy["enabled"] is True
    assert policy["lastRun"] is None and policy["lastTriggeredAt"] is None

    again = await set_policy(
        manager, trainingType="FINE_TUNING", minNewApprovedExamples=7, enabled=False
    )
    assert again["policy"]["id"] == policy["id"]  # one policy per agent: replaced
    assert again["policy"]["minNewApprovedExamples"] == 7 and not again["policy"]["enabled"]

    viewer = await manager.user(Role.VIEWER)
    listed = (await viewer.gql(LIST))["learningPolicies"]
    assert [(p["id"], p["minNewApprovedExamples"]) for p in listed] == [(policy["id"], 7)]
    assert (await viewer.gql(LIST, {"a": "other-bot"}))["learningPolicies"] == []
    actions = [a for a, _ in await audit_actions(api, manager.org_id)]
    assert actions.count("learning_policy.set") == 2


async def test_invalid_input_is_refused_with_paths_and_writes_nothing(api: Api) -> None:
    manager = await api.org(Role.MANAGER)
    payload = await set_policy(
        manager,
        agentId=" ",
        trainingType="FINE_TUNING",
        minNewApprovedExamples=0,
        treatmentPercentage=100,
        config={"nonsense": 1},
    )
    assert payload["policy"] is None
    found = _errors(payload)
    assert (["input", "agentId"], "REQUIRED") in found
    assert (["input", "minNewApprovedExamples"], "OUT_OF_RANGE") in found
    assert (["input", "treatmentPercentage"], "OUT_OF_RANGE") in found
    assert any(path[:2] == ["input", "config"] for path, _ in found)
    assert (await manager.gql(LIST))["learningPolicies"] == []
    listed = await set_policy(manager, trainingType="FINE_TUNING", config=[1, 2])
    assert _errors(listed) == [(["input", "config"], "INVALID")]
    assert "learning_policy.set" not in [a for a, _ in await audit_actions(api, manager.org_id)]


async def test_only_managers_set_policies(api: Api) -> None:
    manager = await api.org(Role.MANAGER)
    member = await manager.user(Role.MEMBER)
    body = await member.raw(
        SET,
        {
            "input": {
                "agentId": "a",
                "trainingType": "PROMPT_OPTIMIZATION",
                "minNewApprovedExamples": 1,
            }
        },
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await manager.gql(LIST))["learningPolicies"] == []


async def test_an_llm_engine_without_an_llm_is_refused_with_provider_required(api: Api) -> None:
    manager = await api.org(Role.MANAGER)
    for training_type in ("PROMPT_OPTIMIZATION", "BEHAVIOR_CLONING"):
        payload = await set_policy(manager, trainingType=training_type)
        assert payload["policy"] is None
        assert _errors(payload) == [(["input", "trainingType"], "PROVIDER_REQUIRED")]
        assert "LEARNLOOP_LLM_BASE_URL" in payload["userErrors"][0]["message"]
