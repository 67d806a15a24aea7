"""Device state as the technician sees it: the last state, detail and fault of every bus.

Why a recorder with its own queue: supervisors report state changes from synchronous callbacks,
but storing them (engine.record_device_state: stored + streamed as a device.state event) is a
database write. Queuing them and writing them in order from one task keeps the callbacks
non-blocking and the stream faithful (offline is never stored after the online that followed it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from server.storage.outage import told_by_the_storage

LOG = logging.getLogger(__name__)
Recorder = Callable[[str, str, str, str | None], Awaitable[object]]


@dataclass(frozen=True)
class DeviceStatus:
    """One bus's state for the status API."""

    name: str
    state: str
    detail: str
    changed_at: float | None
    last_fault: str | None
    last_fault_at: float | None


@dataclass(frozen=True)
class _Change:
    name: str
    state: str
    detail: str
    zone: str | None


class DeviceHealth:
    """Collects state changes; ``run()`` stores them through ``record`` one by one."""

    def __init__(self, record: Recorder, clock: Callable[[], float]) -> None:
        self._record = record
        self._clock = clock
        self._status: dict[str, DeviceStatus] = {}
        self._queue: asyncio.Queue[_Change] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def register(self, name: str) -> None:
        self._status[name] = DeviceStatus(name, "offline", "not started", None, None, None)

    def report(self, name: str, state: str, detail: str = "", zone: str | None = None) -> None:
        """Called from a supervisor's state callback: never blocks, never raises."""
        now = self._clock()
        old = self._status.get(name)
        fault, fault_at = (old.last_fault, old.last_fault_at) if old else (None, None)
        if state != "online" and detail:
            fault, fault_at = detail, now
        self._status[name] = DeviceStatus(name, state, detail, now, fault, fault_at)
        self._queue.put_nowait(_Change(name, state, detail, zone))

    def status(self, name: str) -> DeviceStatus:
        return self._status[name]

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="device health recorder")

    async def stop(self) -> None:
        """Store what is still queued (the final 'stopped' states), then end."""
        if self._task is None:
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._queue.join(), 5.0)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            change = await self._queue.get()
            try:
                await self._record(change.name, change.state, change.detail, change.zone)
            except Exception as error:  # noqa: BLE001 - a failed write must not stop later ones
                if not told_by_the_storage(error):
                    LOG.exception("could not store device state %s", change)
            finally:
                self._queue.task_done()
