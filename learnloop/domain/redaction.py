"""PII redaction before training: e-mails, phones, cards, IBANs and secrets become placeholders."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from stdnum import iban, luhn

from learnloop.domain.exports import ExportRecord

EMAIL, PHONE, CARD, IBAN, SECRET = "<EMAIL>", "<PHONE>", "<CARD>", "<IBAN>", "<SECRET>"
PLACEHOLDERS = (EMAIL, PHONE, CARD, IBAN, SECRET)
# The snapshot/export fields that hold free text (metadata is walked recursively).
TEXT_FIELDS = ("input_text", "expected_output", "original_output")

# Secrets: shapes that are credentials whatever surrounds them.
_SECRET_SHAPES = re.compile(
    r"""
    \bll_[A-Za-z0-9_-]{16,}                                   # learnloop API keys
  | \bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}                    # OpenAI / Anthropic style keys
  | \b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}             # Stripe keys
  | \beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{8,}  # JWTs
  | \b(?:AKIA|ASIA)[A-Z0-9]{16}\b                             # AWS access key ids
  | \bgh[pousr]_[A-Za-z0-9]{30,}                              # GitHub tokens
  | \bgithub_pat_[A-Za-z0-9_]{30,}
  | \bglpat-[A-Za-z0-9_-]{20,}                                # GitLab tokens
  | \bxox[abprs]-[A-Za-z0-9-]{10,}                            # Slack tokens
  | \bAIza[0-9A-Za-z_-]{35}                                   # Google API keys
    """,
    re.VERBOSE,
)
# Long hex/base64 values behind a credential-like prefix ("api_key=...", "Bearer ...").
_PREFIXED_SECRET = re.compile(
    r"""(?ix)
    (\b(?:bearer|api[_-]?key|apikey|access[_-]?key|secret(?:[_-]?key)?|token|password|passwd)
     ["']?\s*[:=]?\s*["']?)
    ([A-Za-z0-9+/_.~-]{20,}={0,2})
    """
)
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
)
# Two letters, two check digits, then 11-30 alphanumerics, optionally in groups of four.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
# 13-19 digits, optionally grouped by single spaces or dashes.
_CARD = re.compile(r"(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w.-]|-\d)")
# International (+CC ...) or a national shape: (0xx) / 0xx-prefixed, or 3-3-4 groups. Dots are
# never separators here, so dates (12.03.2024), versions (1.2.3) and IP addresses stay.
_PHONE = re.compile(
    r"""
    (?<![\w+])\+\d{1,3}(?:[ -]?\(\d{1,4}\))?(?:[ -]?\d{1,5}){2,5}(?![\w-])
  | (?<![\w-])\(\d{2,5}\)[ -]?\d{3,4}[ -]?\d{3,5}(?![\w-])
  | (?<![\w-])\d{3}[ -]\d{3}[ -]\d{4}(?![\w-])
  | (?<![\w-])0\d{2,4}[ /-]\d{3,4}(?:[ -]?\d{2,5})?(?![\w-])
    """,
    re.VERBOSE,
)


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _secret(match: re.Match[str]) -> str:
    return SECRET


def _prefixed_secret(match: re.Match[str]) -> str:
    value = match.group(2)
    # A credential mixes letters and digits; a long plain word after "token" is prose.
    if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
        return match.group(1) + SECRET
    return match.group(0)


def _card(match: re.Match[str]) -> str:
    digits = _digits(match.group(0))
    return CARD if 13 <= len(digits) <= 19 and luhn.is_valid(digits) else match.group(0)


def _phone(match: re.Match[str]) -> str:
    # E.164 allows at most 15 digits; fewer than 8 is an extension or a short code.
    return PHONE if 8 <= len(_digits(match.group(0))) <= 15 else match.group(0)


# Cheap gates (substring tests, one simple character class) so that text without any hint of a
# rule's target skips that rule's regular expression: most text has none of them.
_SECRET_HINTS = (
    "ll_",
    "sk-",
    "_live_",
    "_test_",
    "eyJ",
    "AKIA",
    "ASIA",
    "gh",
    "glpat-",
    "xox",
    "AIza",
)
_CREDENTIAL_WORDS = ("bearer", "key", "secret", "token", "passw")
_NUMBERISH = re.compile(r"\d[\d ()/-]{5,}\d")


def _has_secret_shape(text: str) -> bool:
    return any(hint in text for hint in _SECRET_HINTS)


def _has_credential_word(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in _CREDENTIAL_WORDS)


Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str], Callable[[str], bool]]
_TEXT_RULES: tuple[Rule, ...] = (
    (_SECRET_SHAPES, _secret, _has_secret_shape),
    (_PREFIXED_SECRET, _prefixed_secret, _has_credential_word),
    (_EMAIL, lambda _m: EMAIL, lambda text: "@" in text),
)
_NUMBER_RULES = ((_CARD, _card), (_PHONE, _phone))


def _numbers(text: str) -> str:
    for pattern, replace_match in _NUMBER_RULES:
        text = pattern.sub(replace_match, text)
    return text


def _numbers_and_ibans(text: str) -> str:
    # IBAN-shaped strings are settled first, valid or not: the digits of one whose checksum
    # fails must not be read as a card or phone number by the rules after it.
    out, last = [], 0
    for match in _IBAN.finditer(text):
        out.append(_numbers(text[last : match.start()]))
        out.append(IBAN if iban.is_valid(match.group(0)) else match.group(0))
        last = match.end()
    out.append(_numbers(text[last:]))
    return "".join(out)


# Characters of context kept around a run of digits: a whole IBAN (at most 34 characters, its
# country code and bank letters come before the digits), a leading "+" or "(", and the
# neighbours the rules' look-behinds and look-aheads inspect.
_BEFORE, _AFTER = 40, 2


def _digit_windows(text: str) -> list[tuple[int, int]]:
    """Merged spans around every run of 7+ digits and separators: the only places numbers hide."""
    windows: list[tuple[int, int]] = []
    for match in _NUMBERISH.finditer(text):
        start, end = max(0, match.start() - _BEFORE), min(len(text), match.end() + _AFTER)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def redact_text(text: str) -> str:
    """The text with every recognised piece of PII or secret replaced by its placeholder.

    Idempotent: placeholders match no rule, so redacting twice changes nothing.
    """
    for pattern, replace_match, applies in _TEXT_RULES:
        if applies(text):
            text = pattern.sub(replace_match, text)
    # Cards, IBANs and phones all hold 7+ digits: only the windows around such runs are read.
    out, last = [], 0
    for start, end in _digit_windows(text):
        out += [text[last:start], _numbers_and_ibans(text[start:end])]
        last = end
    out.append(text[last:])
    return "".join(out)


def redact_value(value: Any) -> Any:
    """Strings redacted, lists and objects walked (keys kept), everything else unchanged."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    return value


def _optional(text: str | None) -> str | None:
    return None if text is None else redact_text(text)


def redact_snapshot(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """A frozen example's content with its free text (and metadata strings) redacted."""
    cleaned = dict(snapshot)
    for key in TEXT_FIELDS:
        if isinstance(cleaned.get(key), str):
            cleaned[key] = redact_text(cleaned[key])
    if "metadata" in cleaned:
        cleaned["metadata"] = redact_value(cleaned["metadata"])
    return cleaned


def redact_record(record: ExportRecord) -> ExportRecord:
    """An export record with its free text and metadata strings redacted."""
    return replace(
        record,
        input_text=redact_text(record.input_text),
        expected_output=_optional(record.expected_output),
        original_output=_optional(record.original_output),
        metadata=redact_value(record.metadata),
    )
