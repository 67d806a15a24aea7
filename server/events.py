"""In-process event bus: committed hall events fan out to WebSockets, screens, voice and pads.

Listeners are plain callables that must not block (they typically put the event on their own
asyncio queue). A failing listener is logged and isolated so one broken screen driver never stops
the call from reaching the others (Home Assistant's EventBus does the same).
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from server.engine.views import HallEvent

Listener = Callable[[HallEvent], None]
log = logging.getLogger(__name__)


class EventBus:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Subscribe; returns the function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def publish(self, event: HallEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # noqa: BLE001 - isolation is the point
                log.exception("event listener %r failed on %s #%d", listener, event.kind, event.seq)

    @property
    def listener_count(self) -> int:
        return len(self._listeners)
