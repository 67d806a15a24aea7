"""A real `hallq serve` process per test, stopped at the end whatever the test did to it."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hub_process import HubProcess


@pytest.fixture
def hub_process(tmp_path: Path) -> Iterator[HubProcess]:
    hub = HubProcess(tmp_path)
    yield hub
    hub.stop()
