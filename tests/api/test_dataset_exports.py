"""Dataset exports over HTTP: formats trainers accept, provenance, auth, and frozen content."""

from __future__ import annotations

import json
import re

from sqlalchemy import text

from learnloop.domain.roles import Role
from tests.api.test_datasets import FREEZE, add, create
from tests.conftest import Api, OrgHandle, make_api
from tests.datasets_seed import example_gid, seed_examples

URL = "query($id: ID!, $f: ExportFormat!, $s: DatasetSplit) { dataset(id: $id) { exportUrl(format: $f, split: $s) datasetCardUrl } }"

EXAMPLES = [
    {
        "example_type": "CORRECTION",
        "input_text": "2+2?",
        "expected_output": "4",
        "original_output": "5",
    },
    {
        "example_type": "DEMONSTRATION",
        "input_text": "Greet me",
        "expected_output": "Hello!",
        "original_output": None,
        "metadata": {"system_prompt": "You are polite."},
    },
    {
        "example_type": "PREFERENCE",
        "input_text": "Same?",
        "expected_output": "yes",
        "original_output": " yes ",
    },
    {
        "example_type": "NEGATIVE",
        "input_text": "Capital of France?",
        "expected_output": None,
        "original_output": "Berlin",
    },
    {
        "example_type": "POSITIVE",
        "input_text": "Thanks",
        "expected_output": "",
        "original_output": "You're welcome",
    },
]


async def _dataset(api: Api, freeze: bool = True) -> tuple[OrgHandle, str, list]:
    h = await api.org(Role.MANAGER)
    ids = await seed_examples(api, h.org_id, EXAMPLES)
    dataset = await create(h, name="Support bot / chat")
    await add(h, dataset["id"], exampleIds=[example_gid(i) for i in ids])
    if freeze:
        assert (await h.gql(FREEZE, {"id": dataset["id"]}))["freezeDataset"]["userErrors"] == []
    return h, dataset["id"], ids


async def _export(h: OrgHandle, dataset_id: str, fmt: str, split: str | None = None):
    data = await h.gql(URL, {"id": dataset_id, "f": fmt, "s": split})
    url = data["dataset"]["exportUrl"]
    assert url.startswith("http://testserver/exports/datasets/")
    response = await h.api.client.get(url, headers={"authorization": f"Bearer {h.token}"})
    assert response.status_code == 200, response.text
    return response, [json.loads(line) for line in response.text.splitlines()]


def chat_format_problems(row: dict) -> list[str]:
    """OpenAI chat fine-tuning format: {"messages": [system?, user, assistant]}, non-empty text."""
    problems = []
    if set(row) != {"messages"} or not isinstance(row["messages"], list):
        return ["a line is an object with exactly one key, messages (a list)"]
    roles = "".join(m.get("role", "?")[0] for m in row["messages"])
    if not re.fullmatch(r"s?ua", roles):
        problems.append(f"roles must be system?/user/assistant, got {roles}")
    for m in row["messages"]:
        if set(m) != {"role", "content"}:
            problems.append(f"message keys {sorted(m)}")
        if not isinstance(m.get("content"), str) or not m["content"].strip():
            problems.append("empty content")
    return problems


async def test_openai_chat_export_is_valid_fine_tuning_data(api: Api) -> None:
    h, dataset_id, _ = await _dataset(api)
    response, rows = await _export(h, dataset_id, "OPENAI_CHAT")
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert response.headers["x-learnloop-dataset-version"] == "1"
    assert response.headers["x-learnloop-dataset-id"] == dataset_id
    assert (
        'filename="Support-bot-chat-v1-all.openai_chat.jsonl"'
        in response.headers["content-disposition"]
    )
    assert [chat_format_problems(r) for r in rows] == [[]] * len(rows)
    # NEGATIVE has no good answer; POSITIVE falls back to its (good) original output.
    assert len(rows) == 4
    assert {"role": "system", "content": "You are polite."} in [
        m for r in rows for m in r["messages"]
    ]


async def test_dpo_lines_always_differ(api: Api) -> None:
    h, dataset_id, ids = await _dataset(api)
    _, rows = await _export(h, dataset_id, "DPO")
    assert rows and all(r["chosen"].strip() != r["rejected"].strip() for r in rows)
    assert [(r["prompt"], r["chosen"], r["rejected"]) for r in rows] == [("2+2?", "4", "5")]
    assert rows[0]["dataset_version"] == 1 and rows[0]["example_id"] == example_gid(ids[0])


async def test_kto_and_raw_jsonl(api: Api) -> None:
    h, dataset_id, ids = await _dataset(api)
    _, kto = await _export(h, dataset_id, "KTO")
    labelled = sorted((r["completion"], r["label"]) for r in kto)
    assert labelled == [
        ("4", True),
        ("5", False),
        ("Berlin", False),
        ("Hello!", True),
        ("You're welcome", True),
        ("yes", True),
    ]
    _, raw = await _export(h, dataset_id, "JSONL")
    assert sorted(r["example_id"] for r in raw) == sorted(example_gid(i) for i in ids)
    assert sorted(r["example_uuid"] for r in raw) == sorted(str(i) for i in ids)
    assert {r["dataset_id"] for r in raw} == {dataset_id}
    assert {r["dataset_version"] for r in raw} == {1}
    assert {r["review_status"] for r in raw} == {"APPROVED"}


async def test_hf_rows_card_and_split_filter(api: Api) -> None:
    h, dataset_id, _ = await _dataset(api)
    response, rows = await _export(h, dataset_id, "HF")
    assert len({tuple(r) for r in rows}) == 1  # one column set on every line
    assert all(v is not None for r in rows for v in r.values())
    card_url = re.search(r"<([^>]+)>", response.headers["link"]).group(1)  # type: ignore[union-attr]
    card = await api.client.get(card_url, headers={"authorization": f"Bearer {h.token}"})
    assert card.status_code == 200 and card.headers["content-type"].startswith("text/markdown")
    counts = {r["split"]: 0 for r in rows}
    for r in rows:
        counts[r["split"]] += 1
    for split, n in counts.items():
        assert f"    {split}: {n}\n" in card.text
    assert "version: 1" in card.text and "status: FROZEN" in card.text
    _train, train_rows = await _export(h, dataset_id, "HF", "TRAIN")
    assert {r["split"] for r in train_rows} <= {"train"} and len(train_rows) == counts.get(
        "train", 0
    )


async def test_frozen_export_ignores_later_edits(api: Api) -> None:
    h, dataset_id, ids = await _dataset(api)
    _, before = await _export(h, dataset_id, "JSONL")
    async with api.owner_engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE learning_examples SET expected_output = 'edited', quality_score = 0.1 WHERE id = :i"
            ),
            {"i": ids[0]},
        )
    _, after = await _export(h, dataset_id, "JSONL")
    assert after == before
    stats = await h.gql(
        "query($id: ID!) { dataset(id: $id) { avgQualityScore } }", {"id": dataset_id}
    )
    assert abs(stats["dataset"]["avgQualityScore"] - 0.8) < 1e-9


async def test_draft_stats_follow_example_edits(api: Api) -> None:
    h, dataset_id, ids = await _dataset(api, freeze=False)
    async with api.owner_engine.begin() as conn:
        await conn.execute(
            text("UPDATE learning_examples SET quality_score = 0.3 WHERE id = ANY(:i)"), {"i": ids}
        )
    stats = await h.gql(
        "query($id: ID!) { dataset(id: $id) { avgQualityScore } }", {"id": dataset_id}
    )
    assert abs(stats["dataset"]["avgQualityScore"] - 0.3) < 1e-9


async def test_export_auth(api: Api) -> None:
    h, dataset_id, _ = await _dataset(api)
    url = (await h.gql(URL, {"id": dataset_id, "f": "JSONL"}))["dataset"]["exportUrl"]
    missing = await api.client.get(url)
    assert (
        missing.status_code == 401
        and missing.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    )
    forged = await api.client.get(url, headers={"authorization": "Bearer nope"})
    assert forged.status_code == 401
    stranger = await api.org(Role.ADMIN)
    hidden = await api.client.get(url, headers={"authorization": f"Bearer {stranger.token}"})
    assert hidden.status_code == 404
    viewer = await h.user(Role.VIEWER)
    seen = await api.client.get(url, headers={"authorization": f"Bearer {viewer.token}"})
    assert seen.status_code == 200 and len(seen.text.splitlines()) == len(EXAMPLES)
    bad = await api.client.get(
        url.replace("format=jsonl", "format=csv"),
        headers={"authorization": f"Bearer {viewer.token}"},
    )
    assert bad.status_code == 400
    admin = await h.user(Role.ADMIN)
    key = await admin.gql(
        'mutation { createApiKey(input: {name: "trainer", role: VIEWER}) { secret } }'
    )
    by_key = await api.client.get(
        url, headers={"authorization": f"Bearer {key['createApiKey']['secret']}"}
    )
    assert by_key.status_code == 200
    not_a_dataset = await api.client.get(
        "/exports/datasets/bm9wZTox.jsonl", headers={"authorization": f"Bearer {viewer.token}"}
    )
    assert not_a_dataset.status_code == 404


PII_EXAMPLES = [
    {
        "example_type": "CORRECTION",
        "input_text": "I am jane.doe@example.com, call +44 20 7946 0958",
        "expected_output": "Refunded to card 4111 1111 1111 1111 and IBAN DE89 3704 0044 0532 0130 00",
        "original_output": "Use key ll_Zx9kQ2mP7vR4tY8wE1uI3oA5sD6fG0hJ (order ORD-2024-000123, v1.2.3)",
        "metadata": {"system_prompt": "Escalate to ops@example.com"},
    },
]
REDACTED = {
    "input": "I am <EMAIL>, call <PHONE>",
    "expected_output": "Refunded to card <CARD> and IBAN <IBAN>",
    "original_output": "Use key <SECRET> (order ORD-2024-000123, v1.2.3)",
    "metadata": {"system_prompt": "Escalate to <EMAIL>"},
}
CONTENT = "query($id: ID!) { dataset(id: $id) { examples(first: 5) { edges { node { inputText expectedOutput } } } } }"


async def _pii_dataset(api: Api, freeze: bool) -> tuple[OrgHandle, str]:
    h = await api.org(Role.MANAGER)
    ids = await seed_examples(api, h.org_id, PII_EXAMPLES)
    dataset = await create(h, name="pii")
    await add(h, dataset["id"], exampleIds=[example_gid(i) for i in ids])
    if freeze:
        assert (await h.gql(FREEZE, {"id": dataset["id"]}))["freezeDataset"]["userErrors"] == []
    return h, dataset["id"]


def _content(row: dict) -> dict:
    return {k: row[k] for k in REDACTED}


async def test_frozen_versions_and_exports_carry_placeholders_not_pii(api: Api) -> None:
    h, frozen_id = await _pii_dataset(api, freeze=True)
    # The frozen snapshot itself is clean: what GraphQL and training runs read.
    data = await h.gql(CONTENT, {"id": frozen_id})
    node = data["dataset"]["examples"]["edges"][0]["node"]
    assert node == {
        "inputText": REDACTED["input"],
        "expectedOutput": REDACTED["expected_output"],
    }
    _, (raw,) = await _export(h, frozen_id, "JSONL")
    assert _content(raw) == REDACTED
    _, (chat,) = await _export(h, frozen_id, "OPENAI_CHAT")
    assert "@example.com" not in json.dumps(chat)
    # A draft reads live content, and its export is redacted on the way out.
    other, draft_id = await _pii_dataset(api, freeze=False)
    _, (draft,) = await _export(other, draft_id, "JSONL")
    assert _content(draft) == REDACTED
    card_url = (await h.gql(URL, {"id": frozen_id, "f": "HF"}))["dataset"]["datasetCardUrl"]
    card = await api.client.get(card_url, headers={"authorization": f"Bearer {h.token}"})
    assert "PII redaction: applied" in card.text and "pii_redacted: true" in card.text


async def test_redaction_can_be_turned_off(fresh_db) -> None:
    api, engines = await make_api(fresh_db, pii_redaction=False)
    try:
        h, frozen_id = await _pii_dataset(api, freeze=True)
        _, (raw,) = await _export(h, frozen_id, "JSONL")
        assert raw["input"] == PII_EXAMPLES[0]["input_text"]
        assert raw["metadata"] == PII_EXAMPLES[0]["metadata"]
    finally:
        await api.client.aclose()
        for engine in engines:
            await engine.dispose()
