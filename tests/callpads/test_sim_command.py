"""`hallq pad-sim` stopped by a service manager (SIGTERM) or Ctrl-C (SIGINT).

Tried: the real command in its own process, its port link (the symlink it prints, to the pty it
owns) waited for, then SIGTERM, and again with SIGINT. It was: SIGTERM killed it (exit -15) with
the link and its temporary folder left behind, pointing at a pty nobody owned; only Ctrl-C
removed them. Kept: either signal removes the link and its folder, and the command exits 0.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess

import pytest

from tests.hub_process import HALLQ


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stopped_pad_sim_removes_its_port_link(stop: signal.Signals) -> None:
    process = subprocess.Popen([HALLQ, "pad-sim", "--pads", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # printed once the link is there
        found = re.search(r" on (/\S+)$", first.strip())
        assert found, (first, process.poll())
        link = found[1]
        assert os.path.islink(link) and os.readlink(link).startswith("/dev/pts/")
        process.send_signal(stop)
        _, errors = process.communicate(timeout=60)
        assert process.returncode == 0, errors
        assert not os.path.lexists(link) and not os.path.exists(os.path.dirname(link)), link
        assert "Traceback" not in errors
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
