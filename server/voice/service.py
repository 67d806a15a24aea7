"""The hub's voice: one announcer per zone whose speaker hangs off the hub.

Listens to the event bus (the listener only enqueues: it never blocks the engine's publish) for
calls, recalls and parked cases called back, and hands them to the zone's
:class:`display.voice.Announcer`, which speaks them in order, ``repeat`` times, never overlapping.
Back-office calls reach the announcer as silent calls: recorded, never spoken. The announcers and
the one speech engine they share live in an aiohttp cleanup context, so the hub starts them with
the storage and stops them (finishing what is being said) on shutdown. Without a sound device the
announcer still synthesizes and logs, and says so once.
"""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from display.board.voice import call_for_event
from display.voice import (
    Announcer,
    AnnouncerClosed,
    Player,
    SpeechRules,
    SynthConfig,
    SynthesisError,
    Synthesizer,
    VoiceTextError,
    ensure_chime,
    open_player,
)
from server.api.keys import BUS, CONFIG, SETTINGS
from server.config.models import HallConfig
from server.engine.views import HallEvent
from server.voice.config import VoicePlan, load_voice_plan

log = logging.getLogger(__name__)
Extension = Callable[[web.Application], None]


@dataclass
class VoiceService:
    """The running announcers of the hub's zones; ``announcers`` is keyed by zone code."""

    plan: VoicePlan
    hall: HallConfig
    synthesizer: Synthesizer
    player: Player
    announcers: dict[str, Announcer] = field(default_factory=dict)
    refused: int = 0
    """Calls that could not be worded or came after close (logged; the board still shows them)."""
    start_error: str = ""
    """Why the speech engine did not start, if it did not."""

    def speech_down(self) -> dict[str, str]:
        """Zone -> why its calls are not heard now: its last call failed, the speech engine is not
        running, or the hub has no sound device. The health check reports these: it said ok while
        a hall's calls went unheard."""
        down = {}
        for zone, announcer in self.announcers.items():
            failed = next((r.error for r in reversed(announcer.played) if not r.call.silent), None)
            if failed:
                down[zone] = f"the last call was not spoken: {failed}"
            elif not self.synthesizer.ready:
                down[zone] = f"the speech engine is not running: {self.start_error or 'not started'}"
            elif not self.player.has_device:
                down[zone] = f"no sound device ({self.player.reason}): calls are synthesized, not heard"
        return down

    def on_event(self, event: HallEvent) -> None:
        """Bus listener: turn a call into an announcement in the zone the ticket waits in (the
        event's zone, where its kiosk sent the citizen and its boards show the call) and in the
        calling window's zone when that is another one. Only the window's zone spoke: a citizen
        waiting in zone C for a zone-A window serving C's queue never heard the call."""
        for zone in self.hall.call_zones(event.zone, event.window_id):
            announcer = self.announcers.get(zone)
            if announcer is None:
                continue
            plan = self.plan.zones[announcer.zone]
            call = call_for_event(event.kind, event.number, event.payload, repeat=plan.repeat, chime=plan.chime)
            if call is None:
                return
            try:
                announcer.enqueue(call)
            except (VoiceTextError, AnnouncerClosed) as error:
                self.refused += 1
                log.error("zone %s: call %s #%d not announced: %s", zone, event.number, event.seq, error)

    async def close(self) -> None:
        for announcer in self.announcers.values():
            await announcer.close(drain=True)
        self.synthesizer.close()


VOICE = web.AppKey("voice", VoiceService)
VOICE_PLAN = web.AppKey("voice_plan", VoicePlan)
"""The hub's plan, set by the voice extension: what it speaks itself and what it tells boards."""


def voice_extension(plan: VoicePlan | None = None, player_factory: Callable[[], Player] = open_player,
                    cache_dir: Path | None = None) -> Extension:
    """An extension speaking the hub's zones; tests pass their own plan (else config/voice.toml)."""

    def setup_voice(app: web.Application) -> None:
        settings, hall = app[SETTINGS], app[CONFIG]
        resolved = plan or load_voice_plan(settings.config_dir, hall)  # a bad file stops the hub here
        app[VOICE_PLAN] = resolved  # boards ask for their zone's part (GET /api/v1/zones/{zone}/voice)
        clips = cache_dir or settings.data_dir / "voice-cache"

        async def voice_ctx(app: web.Application) -> AsyncIterator[None]:
            zones = resolved.on("hub")
            if not zones:
                log.info("voice: no zone is spoken on the hub")
                yield
                return
            synth = Synthesizer(SynthConfig(cache_dir=clips, voice=zones[0].voice, rate=zones[0].rate))
            player = player_factory()  # one for all zones: the sound device is the machine's
            service = VoiceService(resolved, hall, synth, player)
            try:
                await synth.async_start()
            except SynthesisError as error:  # the hall still runs; each call's failure is recorded
                log.error("voice: speech engine unavailable, calls will not be heard: %s", error)
                service.start_error = str(error)
            chime = ensure_chime(clips)
            for zone in zones:
                service.announcers[zone.zone] = Announcer(
                    zone.zone, synth, player, SpeechRules(template=zone.template), chime_path=chime
                )
            app[VOICE] = service
            unsubscribe = app[BUS].listen(service.on_event)
            log.info("voice: speaking zones %s on the hub", ", ".join(z.zone for z in zones))
            try:
                yield
            finally:
                unsubscribe()
                await service.close()

        app.cleanup_ctx.append(voice_ctx)

    return setup_voice


def setup(app: web.Application) -> None:
    """The hub's voice from config/voice.toml (see server/voice/config.py)."""
    voice_extension()(app)
