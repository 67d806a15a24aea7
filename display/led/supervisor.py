"""One supervised reconnect task per device link: open, wait until it drops, back off, retry.

Same job as caller/supervisor.py (written in parallel); the two should become one shared
module. Interface kept minimal on purpose: an open-coroutine factory, a state callback,
start() and stop(). States: ONLINE while a link is open; DEGRADED after a drop or failed open
while fewer than `offline_after` attempts in a row have failed (a blip: the hub keeps
promising content); OFFLINE after that. A fault is logged once when it is new, not on every
retry, and recovery is logged once.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol


class LinkState(str, enum.Enum):
    ONLINE = "online"
    DEGRADED = "degraded"
    OFFLINE = "offline"


class Link(Protocol):
    """What the open coroutine returns: something that can be closed and awaited until closed."""

    async def wait_closed(self) -> BaseException | None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Backoff:
    """Retry delays: initial, multiplied by factor after each failure, capped at maximum."""

    initial_s: float = 0.5
    factor: float = 2.0
    maximum_s: float = 30.0

    def delay(self, failures: int) -> float:
        return min(self.maximum_s, self.initial_s * self.factor ** max(0, failures - 1))


StateCallback = Callable[[LinkState, BaseException | None], None]


class Supervisor:
    """Keeps one link open for as long as it runs."""

    def __init__(
        self,
        name: str,
        open_link: Callable[[], Awaitable[Link]],
        on_state: StateCallback | None = None,
        *,
        backoff: Backoff = Backoff(),
        offline_after: int = 3,
        logger: logging.Logger | None = None,
    ) -> None:
        self.name = name
        self._open_link = open_link
        self._on_state = on_state
        self._backoff = backoff
        self._offline_after = offline_after
        self._log = logger or logging.getLogger(__name__)
        self._task: asyncio.Task[None] | None = None
        self._link: Link | None = None
        self._last_fault: str | None = None
        self.state = LinkState.OFFLINE
        self.connects = 0

    @property
    def reconnects(self) -> int:
        """Opens after the first one: 0 for a link that never dropped (pad buses count the same way)."""
        return max(0, self.connects - 1)

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"supervise {self.name}")

    async def stop(self) -> None:
        """Stop retrying and close the current link; returns when the task has ended."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._link is not None:
            self._link.close()
            self._link = None

    def _set_state(self, state: LinkState, fault: BaseException | None) -> None:
        if state is not self.state:
            self.state = state
            if self._on_state is not None:
                self._on_state(state, fault)

    def _fault(self, failures: int, fault: BaseException | None) -> None:
        key = f"{type(fault).__name__}: {fault}" if fault is not None else "link closed"
        if key != self._last_fault:
            self._log.warning("%s: %s (retrying)", self.name, key)
            self._last_fault = key
        self._set_state(LinkState.OFFLINE if failures >= self._offline_after else LinkState.DEGRADED, fault)

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                self._link = await self._open_link()
            except Exception as exc:  # any open failure is a device fault to retry
                failures += 1
                self._fault(failures, exc)
                await asyncio.sleep(self._backoff.delay(failures))
                continue
            if self._last_fault is not None:
                self._log.info("%s: online again", self.name)
                self._last_fault = None
            failures = 0
            self.connects += 1
            self._set_state(LinkState.ONLINE, None)
            fault = await self._link.wait_closed()
            self._link = None
            failures += 1
            self._fault(failures, fault)
            await asyncio.sleep(self._backoff.delay(failures))
