"""Export formatters as pure functions: what each format keeps, skips and names."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from strawberry import relay

from learnloop.domain.dataset_card import dataset_card
from learnloop.domain.datasets import DatasetRecord, DatasetStats, DatasetStatus
from learnloop.domain.exports import HF_COLUMNS, ExportFormat, ExportRecord, iter_lines
from learnloop.domain.splits import Split, SplitRatios

DATASET = uuid.uuid4()


def record(**overrides) -> ExportRecord:
    values = {
        "dataset_id": DATASET,
        "dataset_version": 3,
        "example_id": uuid.uuid4(),
        "split": Split.TRAIN,
        "weight": 1.0,
        "example_type": "CORRECTION",
        "input_text": "q",
        "expected_output": "good",
        "original_output": "bad",
        **overrides,
    }
    return ExportRecord(**values)  # type: ignore[arg-type]


def rows(fmt: ExportFormat, *records: ExportRecord) -> list[dict]:
    return [json.loads(line) for line in iter_lines(fmt, records)]


def test_openai_chat_skips_records_without_both_turns() -> None:
    out = rows(
        ExportFormat.OPENAI_CHAT,
        record(metadata={"system_prompt": "Be brief."}),
        record(expected_output="  ", example_type="NEGATIVE"),
        record(input_text=""),
    )
    assert out == [
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "q"},
                {"role": "assistant", "content": "good"},
            ]
        }
    ]


def test_dpo_skips_equal_or_missing_sides() -> None:
    kept = record()
    out = rows(
        ExportFormat.DPO,
        kept,
        record(original_output="good "),
        record(original_output=None),
        record(expected_output=None),
    )
    assert out == [
        {
            "prompt": "q",
            "chosen": "good",
            "rejected": "bad",
            "example_id": str(relay.GlobalID("LearningExample", str(kept.example_id))),
            "dataset_id": str(relay.GlobalID("TrainingDataset", str(DATASET))),
            "dataset_version": 3,
        }
    ]


def test_kto_labels_by_example_type() -> None:
    out = rows(ExportFormat.KTO, record(), record(example_type="POSITIVE", expected_output=None))
    assert [(r["completion"], r["label"]) for r in out] == [
        ("good", True),
        ("bad", False),
        ("bad", True),
    ]


def test_hf_rows_have_fixed_non_null_columns() -> None:
    out = rows(ExportFormat.HF, record(), record(expected_output=None, original_output=None))
    assert all(tuple(r) == HF_COLUMNS for r in out)
    assert out[1]["completion"] == "" and out[1]["split"] == "train"


def test_every_non_chat_format_names_the_example_by_its_global_id() -> None:
    """README promise: every line except openai_chat carries dataset_id/dataset_version/example_id."""
    r = record(execution_id=uuid.uuid4())
    gid = str(relay.GlobalID("LearningExample", str(r.example_id)))
    for fmt in (ExportFormat.DPO, ExportFormat.KTO, ExportFormat.JSONL, ExportFormat.HF):
        for row in rows(fmt, r):
            assert row["example_id"] == gid, fmt
            assert row["dataset_id"] == str(relay.GlobalID("TrainingDataset", str(DATASET)))
            assert row["dataset_version"] == 3
            assert "id" not in row
    (raw,) = rows(ExportFormat.JSONL, r)
    assert raw["example_uuid"] == str(r.example_id) and raw["dataset_uuid"] == str(DATASET)
    assert raw["execution_id"] == str(relay.GlobalID("Execution", str(r.execution_id)))


def card_record(**overrides) -> DatasetRecord:
    now = datetime(2026, 1, 2, tzinfo=UTC)
    values = dict(
        id=DATASET,
        org_id=uuid.uuid4(),
        lineage_id=uuid.uuid4(),
        version=3,
        parent_id=uuid.uuid4(),
        name="Support",
        description="Corrections",
        status=DatasetStatus.FROZEN,
        agent_ids=(),
        domains=(),
        task_types=(),
        ratios=SplitRatios(),
        allow_pending=False,
        stratify_by_type=False,
        total_examples=10,
        avg_quality_score=0.9,
        stats=DatasetStats(
            {Split.TRAIN: 8, Split.VALIDATION: 1, Split.TEST: 1}, {"CORRECTION": 10}
        ),
        frozen_at=now,
        created_by_user_id=None,
        created_at=now,
        updated_at=now,
    )
    return DatasetRecord(**{**values, **overrides})  # type: ignore[arg-type]


def test_dataset_card_names_version_sizes_and_provenance() -> None:
    d = card_record()
    card = dataset_card(d, {Split.TRAIN: "https://x/train"}, pii_redacted=True)
    assert card.startswith("---\n")
    assert "  split_sizes:\n    train: 8\n    validation: 1\n    test: 1\n" in card
    assert "| train | 8 | train.jsonl |" in card
    gid = str(relay.GlobalID("TrainingDataset", str(DATASET)))
    assert "version: 3" in card and f'dataset_id: "{gid}"' in card
    assert f'dataset_uuid: "{DATASET}"' in card
    assert d.parent_id is not None
    parent = str(relay.GlobalID("TrainingDataset", str(d.parent_id)))
    assert f"forked from `{parent}`" in card and "https://x/train" in card
    assert "pii_redacted: true" in card
    assert "PII redaction: applied" in card and "`<EMAIL>`" in card
    off = dataset_card(d, {}, pii_redacted=False)
    assert "pii_redacted: false" in off and "PII redaction: off" in off


def test_dataset_card_escapes_user_text() -> None:
    d = card_record(
        name="<script>alert(1)</script>\n---\nlicense: evil",
        description="Line one\n\n# Injected heading\n<img src=x onerror=alert(1)> [x](javascript:y)",
    )
    card = dataset_card(d, {}, pii_redacted=True)
    assert "<script>" not in card and "<img" not in card
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in card
    assert "\n# Injected heading" not in card and "\nlicense: evil" not in card
    assert "\\[x\\]\\(javascript:y\\)" in card
    # The front matter still has exactly its two fences.
    assert card.split("\n").count("---") == 2
