"""`hallq screen-sim` stopped by a service manager (SIGTERM) or Ctrl-C (SIGINT).

Tried: the real command in its own process, its pty path waited for (it makes no link: it prints
the pty's own path), then SIGTERM, and again with SIGINT. It was: SIGTERM killed it (exit -15),
unlike Ctrl-C and unlike `hallq pad-sim` now. Kept: either signal is a clean exit 0 with no
traceback.
"""
from __future__ import annotations

import signal
import subprocess

import pytest

from tests.hub_process import HALLQ


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stopped_screen_sim_exits_cleanly(stop: signal.Signals) -> None:
    process = subprocess.Popen([HALLQ, "screen-sim", "--dialect", "candle"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        assert process.stdout is not None
        path = process.stdout.readline().strip()
        assert path.startswith("/dev/pts/"), (path, process.poll())
        process.send_signal(stop)
        _, errors = process.communicate(timeout=60)
        assert process.returncode == 0, errors
        assert "Traceback" not in errors
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
