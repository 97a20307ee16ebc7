"""PII redaction rules: real-looking samples become placeholders, near-misses stay as written."""

from __future__ import annotations

import pytest

from learnloop.domain.redaction import redact_snapshot, redact_text, redact_value

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Write to jane.doe+billing@example.co.uk today", "Write to <EMAIL> today"),
        ("mail: J_Smith@mail.example.com.", "mail: <EMAIL>."),
        ("Call +1 (415) 555-2671 now", "Call <PHONE> now"),
        ("Ruf an: +49 30 12345678", "Ruf an: <PHONE>"),
        ("+44 20 7946 0958", "<PHONE>"),
        ("phone 415-555-2671.", "phone <PHONE>."),
        ("(030) 1234 5678", "<PHONE>"),
        ("Tel. 0171 2345678", "Tel. <PHONE>"),
        ("card 4111 1111 1111 1111 expired", "card <CARD> expired"),
        ("paid with 5500-0000-0000-0004", "paid with <CARD>"),
        ("number 378282246310005", "number <CARD>"),
        ("IBAN DE89 3704 0044 0532 0130 00 please", "IBAN <IBAN> please"),
        ("to GB82WEST12345698765432", "to <IBAN>"),
        ("Konto NL91ABNA0417164300, danke", "Konto <IBAN>, danke"),
        ("my key is ll_Zx9kQ2mP7vR4tY8wE1uI3oA5sD6fG0hJ", "my key is <SECRET>"),
        ("OPENAI sk-proj-abcDEF1234567890ghijKLMN", "OPENAI <SECRET>"),
        (f"Authorization: Bearer {JWT}", "Authorization: Bearer <SECRET>"),
        ("aws AKIAIOSFODNN7EXAMPLE key", "aws <SECRET> key"),
        ("api_key=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b", "api_key=<SECRET>"),
        ('"token": "dGhpcyBpcyBhIHNlY3JldCB0b2tlbjEyMw=="', '"token": "<SECRET>"'),
        ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "<SECRET>"),
    ],
)
def test_real_looking_pii_is_replaced(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112 is not a card",  # Luhn-invalid 16 digits
        "ref 1234567812345678",  # Luhn-invalid
        "IBAN DE89 3704 0044 0532 0130 01",  # wrong check digits
        "GB00WEST12345698765432",
        "Due 2024-03-15, or 15.03.2024, or 03/15/2024 at 10:30",
        "Upgrade to version 1.2.3 or v2.10.14, build 4.0.0-rc.1",
        "Order ORD-2024-000123 and order #A7-55321, ticket 12345",
        "Invoice 2024-0001-77 for 1,500.00 EUR",
        "server 192.168.10.254 port 8080",
        "the total was $1,500 (about 1 500 EUR)",
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",  # bare hash: no credential prefix
        "the token authentication mechanism is described elsewhere",
        "a@b is not an address, nor is user@localhost",
        "already <EMAIL> and <PHONE> and <CARD> and <IBAN> and <SECRET>",
    ],
)
def test_near_misses_stay(text: str) -> None:
    assert redact_text(text) == text


def test_long_text_with_many_numbers_is_redacted_everywhere() -> None:
    line = "Ticket 2024-03-15 v1.2.3: jane@example.com paid 4111 1111 1111 1111 from NL91ABNA0417164300. "
    out = redact_text(line * 200)
    assert out == "Ticket 2024-03-15 v1.2.3: <EMAIL> paid <CARD> from <IBAN>. " * 200


def test_redaction_is_idempotent_and_walks_metadata() -> None:
    text = f"jane@example.com +1 415 555 2671 4111111111111111 {JWT}"
    once = redact_text(text)
    assert once == "<EMAIL> <PHONE> <CARD> <SECRET>"
    assert redact_text(once) == once
    meta = {"system_prompt": "Reply to ops@example.com", "n": 3, "tags": ["415-555-2671"]}
    assert redact_value(meta) == {"system_prompt": "Reply to <EMAIL>", "n": 3, "tags": ["<PHONE>"]}
    snap = {"input_text": "I am bob@example.org", "expected_output": None, "quality_score": 0.5}
    assert redact_snapshot(snap) == {**snap, "input_text": "I am <EMAIL>"}
