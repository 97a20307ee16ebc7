"""The Hugging Face dataset card (README.md) of a dataset version: version, split sizes, provenance."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from datetime import datetime

from learnloop.domain.datasets import DatasetRecord
from learnloop.domain.exports import HF_COLUMNS
from learnloop.domain.global_ids import TRAINING_DATASET, global_id
from learnloop.domain.redaction import PLACEHOLDERS
from learnloop.domain.splits import Split

# Characters that start markdown constructs (links, emphasis, code, tables, headings).
# Inline ones anywhere, list markers only where a line starts.
_MARKDOWN = re.compile(r"([\\`*_\[\]{}()#|!~>]|^[+-])")


def _q(value: object) -> str:
    """A YAML scalar: JSON strings and numbers are valid YAML."""
    return json.dumps(value.isoformat() if isinstance(value, datetime) else value)


def plain_text(value: str | None) -> str:
    """User text as inert markdown: one line, HTML escaped, markdown syntax backslash-escaped.

    Dataset names and descriptions are typed by users; the card is rendered by the Hub and
    other markdown viewers, so nothing in them may become a tag, a link or a new block.
    """
    one_line = " ".join((value or "").split())
    return _MARKDOWN.sub(r"\\\1", html.escape(one_line, quote=False))


def hf_file_name(split: Split) -> str:
    return f"{split.value.lower()}.jsonl"


def _front_matter(d: DatasetRecord, pii_redacted: bool) -> list[str]:
    name = html.escape(" ".join(d.name.split()), quote=False)
    lines = ["---", f"pretty_name: {_q(name)}", "configs:", "- config_name: default"]
    lines.append("  data_files:")
    for split in Split:
        lines += [f"  - split: {split.value.lower()}", f"    path: {hf_file_name(split)}"]
    lines += [
        "learnloop:",
        f"  dataset_id: {_q(global_id(TRAINING_DATASET, d.id))}",
        f"  dataset_uuid: {_q(str(d.id))}",
        f"  lineage_id: {_q(str(d.lineage_id))}",
        f"  version: {d.version}",
        f"  status: {d.status.value}",
        f"  parent_id: {_q(str(d.parent_id) if d.parent_id else None)}",
        f"  frozen_at: {_q(d.frozen_at)}",
        f"  total_examples: {d.total_examples}",
        f"  pii_redacted: {_q(pii_redacted)}",
        "  split_sizes:",
        *(f"    {s.value.lower()}: {d.stats.splits.get(s, 0)}" for s in Split),
        "---",
    ]
    return lines


def _privacy(pii_redacted: bool) -> str:
    if not pii_redacted:
        return (
            "- PII redaction: off (LEARNLOOP_PII_REDACTION=false); the text is as people wrote it"
        )
    return (
        "- PII redaction: applied — e-mail addresses, phone numbers, card numbers (Luhn-valid), "
        "IBANs (checksum-valid) and API keys or tokens are replaced by "
        + ", ".join(f"`{p}`" for p in PLACEHOLDERS)
    )


def dataset_card(d: DatasetRecord, urls: Mapping[Split, str], *, pii_redacted: bool) -> str:
    """README.md for the `hf` export: YAML front matter the Hub reads, then prose for people.

    `urls` gives the `format=hf` download of each split (one file per split, named as the
    front matter's data_files say); `pii_redacted` says whether the files carry placeholders.
    """
    quality = f"{d.avg_quality_score:.3f}" if d.avg_quality_score is not None else "n/a"
    state = (
        f"FROZEN at {d.frozen_at.isoformat()} — this version never changes"
        if d.frozen and d.frozen_at
        else "DRAFT — still changing; freeze it for a reproducible export"
    )
    body = [
        "",
        f"# {plain_text(d.name)} (version {d.version})",
        "",
        plain_text(d.description),
        "",
        f"- Status: {state}",
        f"- Dataset id: `{global_id(TRAINING_DATASET, d.id)}` (uuid `{d.id}`); "
        f"lineage `{d.lineage_id}`; version {d.version}"
        + (f", forked from `{global_id(TRAINING_DATASET, d.parent_id)}`" if d.parent_id else ""),
        f"- Examples: {d.total_examples}; mean quality score {quality}",
        f"- Split ratios: train {d.ratios.train:g}, validation {d.ratios.validation:g}, "
        f"test {d.ratios.test:g} (deterministic per example, stable across versions)",
        _privacy(pii_redacted),
        "",
        "| split | examples | file |",
        "|---|---|---|",
        *(f"| {s.value.lower()} | {d.stats.splits.get(s, 0)} | {hf_file_name(s)} |" for s in Split),
        "",
        "| example type | examples |",
        "|---|---|",
        *(f"| {t} | {n} |" for t, n in sorted(d.stats.example_types.items())),
        "",
        "## Files",
        "",
        f"One JSON object per line, columns {', '.join(f'`{c}`' for c in HF_COLUMNS)}; "
        '`completion` is the desired answer, `rejected` a known-bad one ("" when none), and '
        "`dataset_id`/`dataset_version`/`example_id` (global ids, as the GraphQL API's `node(id:)` "
        "takes them) trace every row back to learnloop.",
        "",
        *(f"- `{hf_file_name(s)}`: {urls[s]}" for s in Split if s in urls),
        "",
        "## Loading",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        "ds = load_dataset(",
        '    "json",',
        "    data_files={"
        + ", ".join(f'"{s.value.lower()}": "{hf_file_name(s)}"' for s in Split)
        + "},",
        ")",
        "```",
        "",
        "Or put this README beside the three files in a directory and `load_dataset(<dir>)`.",
        "",
    ]
    return "\n".join([*_front_matter(d, pii_redacted), *body])
