"""Durable before acknowledged: the hub syncs SQLite's WAL to disk before it answers a write.

A power cut cannot be staged in a test; what makes a commit survive one can be watched. Tried: a
real `hallq serve` process with strace attached, five tickets issued one after another over HTTP.
Kept: between one 201 answer and the next, the hub called fdatasync (or fsync) on the database's
WAL file, every time. With synchronous=NORMAL, as until the sixth session, no sync comes between
the answers: a power cut then lost tickets whose numbers were already printed, and the hub issued
those numbers again.
"""
from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
from pathlib import Path

import aiohttp
import pytest

from tests.hub_process import HubProcess

pytestmark = pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace (.ci/run installs it)")


async def test_every_acknowledged_issue_was_synced_to_disk_first(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path)
    kiosk = hub.cli("device", "add", "kiosk-1", "--role", "kiosk")
    await hub.start()
    trace = tmp_path / "strace.txt"
    assert hub.process is not None
    tracer = subprocess.Popen(
        ["strace", "-f", "-y", "-s", "24", "-e", "trace=fdatasync,fsync,sendto", "-o", str(trace), "-p", str(hub.process.pid)],
        stderr=subprocess.PIPE, text=True,
    )
    try:
        assert tracer.stderr is not None
        attached = await asyncio.wait_for(asyncio.to_thread(tracer.stderr.readline), 30)
        assert "attached" in attached, attached
        async with aiohttp.ClientSession() as session:
            for n in range(5):
                async with session.post(f"{hub.url}/api/v1/tickets", json={"queue": "C1"},
                                        headers={"Authorization": f"Bearer {kiosk}", "Idempotency-Key": f"durable-{n}"}) as r:
                    assert r.status == 201
    finally:
        tracer.send_signal(signal.SIGINT)  # detaches; the hub goes on
        tracer.wait(timeout=30)
        hub.stop()

    syncs_since_answer, answers = 0, []
    for line in trace.read_text(encoding="utf-8", errors="replace").splitlines():
        if ("fdatasync(" in line or "fsync(" in line) and "hallq.db-wal>" in line:
            syncs_since_answer += 1
        elif "sendto(" in line and "HTTP/1.1 201" in line:
            answers.append(syncs_since_answer)
            syncs_since_answer = 0
    assert len(answers) == 5, trace.read_text()[-3000:]
    assert all(syncs >= 1 for syncs in answers), f"WAL syncs before each 201 answer: {answers}"
