"""Export formatters as pure functions: what each format keeps, skips and names."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

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
            "example_id": str(kept.example_id),
            "dataset_id": str(DATASET),
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


def test_dataset_card_names_version_sizes_and_provenance() -> None:
    now = datetime(2026, 1, 2, tzinfo=UTC)
    d = DatasetRecord(
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
    card = dataset_card(d, {Split.TRAIN: "https://x/train"})
    assert card.startswith("---\n")
    assert "  split_sizes:\n    train: 8\n    validation: 1\n    test: 1\n" in card
    assert "| train | 8 | train.jsonl |" in card
    assert "version: 3" in card and f'dataset_id: "{DATASET}"' in card
    assert f"forked from `{d.parent_id}`" in card and "https://x/train" in card
