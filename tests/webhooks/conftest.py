"""Webhook tests each get a database of their own: workers claim due deliveries of every org."""

from __future__ import annotations

import pytest

from tests.conftest import Api


@pytest.fixture
async def api(fresh_api: Api) -> Api:
    return fresh_api
