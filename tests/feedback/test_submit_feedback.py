"""submitFeedback: the seed example, validation, corrections, one person one opinion, stubs."""

from __future__ import annotations

from learnloop.domain.roles import Role
from tests.conftest import Api
from tests.feedback.ops import SEED, feedback_of, record, submit, submit_ok


async def test_seed_example_creates_feedback_and_pending_correction_example(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    await record(org, "agent-456", "exec-123", input="What is 3 x $500?", output="$1,200")
    payload = await submit_ok(org, **SEED)
    feedback = payload["feedback"]
    assert feedback["feedbackType"] == "CORRECTION"
    assert feedback["rating"] == 3
    assert feedback["feedbackText"] == "The calculation was wrong"
    assert feedback["correctionText"] == "The correct answer is $1,500"
    assert feedback["issueCategories"] == ["INCORRECT"]
    assert feedback["dimensions"] == {
        "accuracy": 2,
        "helpfulness": 4,
        "clarity": 4,
        "completeness": 3,
    }
    example = payload["learningExample"]
    assert example["exampleType"] == "CORRECTION"
    assert example["reviewStatus"] == "PENDING"
    assert example["inputText"] == "What is 3 x $500?"
    assert example["originalOutput"] == "$1,200"
    assert example["expectedOutput"] == "The correct answer is $1,500"
    assert example["sourceFeedback"] == {"id": feedback["id"]}
    assert example["execution"] == {"key": "exec-123"}
    assert example["agent"] == {"key": "agent-456"}
    assert example["authorKey"] == feedback["authorKey"] == f"user:{org.user_id}"
