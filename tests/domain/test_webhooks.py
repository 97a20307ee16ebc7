"""Webhook rules: Standard Webhooks signatures verified independently, schedule, SSRF checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from learnloop.domain import webhooks
from learnloop.domain.errors import UserInputError


def verify(secret: str, header_value: str, message_id: str, timestamp: str, body: bytes) -> bool:
    """As a receiver would, from the spec alone (no learnloop code)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(
        hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    ).decode()
    return any(part.split(",", 1) == ["v1", expected] for part in header_value.split(" ") if part)


def test_signatures_verify_with_the_spec_and_rotation_signs_with_both() -> None:
    old, new = webhooks.new_secret(), webhooks.new_secret()
    assert old.startswith("whsec_") and len(base64.b64decode(old[6:])) == 32
    payload = webhooks.body("feedback.created", datetime(2026, 1, 1, tzinfo=UTC), {"id": "f1"})
    assert payload.startswith(b'{"data":{"id":"f1"},"timestamp":"2026-01-01T00:00:00+00:00"')
    sent = webhooks.headers([old, new], "msg_1", 1767225600, payload)
    assert sent["webhook-id"] == "msg_1" and sent["webhook-timestamp"] == "1767225600"
    for secret in (old, new):
        assert verify(secret, sent["webhook-signature"], "msg_1", "1767225600", payload)
    assert not verify(old, sent["webhook-signature"], "msg_1", "1767225600", payload + b" ")
    assert not verify(
        webhooks.new_secret(), sent["webhook-signature"], "msg_1", "1767225600", payload
    )


def test_retry_schedule() -> None:
    assert webhooks.retry_schedule(None) == webhooks.DEFAULT_RETRY_SECONDS
    schedule = webhooks.retry_schedule("0.1, 0.2")
    assert [webhooks.next_delay(schedule, n) for n in (1, 2, 3)] == [0.1, 0.2, None]
    with pytest.raises(ValueError):
        webhooks.retry_schedule("soon")


@pytest.mark.parametrize(
    ("addresses", "refused"),
    [
        (["93.184.216.34"], None),
        (["93.184.216.34", "127.0.0.1"], "127.0.0.1"),
        (["10.1.2.3"], "10.1.2.3"),
        (["169.254.169.254"], "169.254.169.254"),
        (["::1"], "::1"),
        (["::ffff:192.168.0.1"], "192.168.0.1"),
        (["fe80::1%eth0"], "fe80::1"),
        (["2606:4700::1111"], None),
    ],
)
def test_private_targets_are_refused(addresses: list[str], refused: str | None) -> None:
    assert webhooks.refused_address(addresses, allow_private=False) == refused
    assert webhooks.refused_address(addresses, allow_private=True) is None


def test_endpoint_validation() -> None:
    ok = webhooks.validate_endpoint(
        webhooks.EndpointInput(" https://example.com/hook ", ("dataset.frozen", "dataset.frozen"))
    )
    assert ok.url == "https://example.com/hook" and ok.events == ("dataset.frozen",)
    with pytest.raises(UserInputError) as refused:
        webhooks.validate_endpoint(webhooks.EndpointInput("ftp://x", ("nope",)))
    assert sorted(p.field for p in refused.value.problems) == [("events",), ("url",)]


@pytest.mark.parametrize(
    ("url", "address", "pinned", "host"),
    [
        (
            "https://hooks.example.com/in?x=1",
            "93.184.216.34",
            "https://93.184.216.34/in?x=1",
            "hooks.example.com",
        ),
        (
            "http://h.example.com:8080/",
            "2606:4700::1111",
            "http://[2606:4700::1111]:8080/",
            "h.example.com:8080",
        ),
        (
            "https://u:p@h.example.com/x",
            "93.184.216.34",
            "https://u:p@93.184.216.34/x",
            "h.example.com",
        ),
    ],
)
def test_deliveries_are_pinned_to_the_checked_address(
    url: str, address: str, pinned: str, host: str
) -> None:
    target = webhooks.pinned_target(url, address)
    assert (target.url, target.host_header) == (pinned, host)
    assert target.server_name == host.split(":")[0]


def test_creation_refuses_non_public_answers_with_a_url_problem() -> None:
    assert webhooks.target_problem(["93.184.216.34"], allow_private=False) is None
    assert webhooks.target_problem(["10.0.0.1"], allow_private=True) is None
    problem = webhooks.target_problem(["93.184.216.34", "10.0.0.1"], allow_private=False)
    assert problem is not None and problem.field == ("url",) and "10.0.0.1" in problem.message
