"""``hallq board``: the pygame TV board of a zone, live from the hub's event stream.

Start-up reads the zone's state once (``HubClient.state``), then follows ``EventStream`` from that
state's ``last_seq``: the stream replays whatever happened while the board was away, so nothing
polls and no call is missed. While the stream is down the board keeps showing what it knows under
a red "connection lost" bar. With ``--voice`` the board PC speaks its zone's calls itself (for
halls whose zone speaker hangs off the TV PC), as the hub's voice.toml says: the board asks the hub
for its zone's settings (wording, repeats, chime, rate, voice) and stays silent, saying why, unless
the file gives the zone's speaker to the board, so a zone is never announced twice. Calls replayed
after a reconnect are shown but not spoken late.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pygame

from display.board.model import BoardModel
from display.board.render import BoardRenderer
from display.board.voice import call_for_event
from display.fonts import load_cjk_font
from display.voice import Announcer, SpeechRules, Synthesizer, SynthConfig, VoiceTextError, ensure_chime, open_player
from display.voice.synth import cache_problem
from server.hub_client import (
    EventStream,
    HubClient,
    HubError,
    HubEvent,
    HubTlsError,
    HubUnreachable,
    RetryPolicy,
    StreamState,
    ZoneVoice,
)
from server.tls import check_ca, client_context

log = logging.getLogger(__name__)
FRAME_S = 1 / 30
DAY_RECHECK_S = 60.0  # after the board's day changes, how often it asks the hub whether its day has too
ALIVE_EVERY_S = 60.0  # how often a board tells the hub it is up (the technician's device status)
DEFAULT_NOTICE = "请留意屏幕与语音叫号，过号请到窗口咨询；请保管好随身物品，文明有序办事。"
def default_voice_cache() -> Path:
    """The user's cache folder ($XDG_CACHE_HOME, else ~/.cache), hallq/voice in it: the clips are
    re-made at will. It was var/voice-cache under whatever folder the board started in, which under
    a service manager is / (a folder the board's user may not write)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hallq" / "voice"


SIZES = {"1920x1080": (1920, 1080), "1280x720": (1280, 720), "1080x1920": (1080, 1920)}  # the last: a TV hung upright


@dataclass(frozen=True)
class BoardOptions:
    hub: str
    token: str | None
    zone: str | None = None
    size: tuple[int, int] = (1920, 1080)
    fullscreen: bool = True
    voice: bool = False
    voice_cache: Path = field(default_factory=lambda: default_voice_cache())
    notice: str = DEFAULT_NOTICE
    timezone: str = "Asia/Shanghai"
    ca: Path | None = None  # the hall's CA for an https:// hub; None: the system's trust store


class BoardApp:
    """A running board: model + renderer + stream. Tests drive ``start``, ``handle`` and ``render``."""

    def __init__(self, options: BoardOptions, surface: pygame.Surface,
                 open_voice: Callable[[ZoneVoice], Announcer] | None = None,
                 policy: RetryPolicy | None = None, clock: Callable[[], float] = time.time) -> None:
        """`open_voice` makes the zone's announcer from the hub's settings for it (``--voice``)."""
        self.options = options
        self.surface = surface
        self.model = BoardModel(notice=options.notice)
        self.renderer = BoardRenderer(surface, load_cjk_font(48), title=f"{options.zone}区" if options.zone else "")
        self.open_voice = open_voice
        self.announcer: Announcer | None = None
        self.voice: ZoneVoice | None = None
        self.policy = policy or RetryPolicy()
        self.clock = clock
        self.ssl_context = client_context(options.ca)
        self.hub = HubClient(options.hub, options.token, self.policy, ssl_context=self.ssl_context)
        self.tls_problem: str | None = None  # why the hub's HTTPS failed at start (its certificate, …)
        self.stream: EventStream | None = None
        self.running = True
        self.applied = asyncio.Event()
        """Set whenever an event changed the model (tests and the benchmark wait on it)."""
        self._started = clock()
        self._day_reload: asyncio.Task[None] | None = None
        self._day_checked_at = float("-inf")
        self._alive: asyncio.Task[None] | None = None
        self._alive_said_at = float("-inf")

    @property
    def online(self) -> bool:
        return self.stream is not None and self.stream.state is StreamState.ONLINE

    async def start(self) -> None:
        """Read the title and the state; raises HubUnreachable/HubError if the hub cannot answer."""
        zone = self.options.zone
        if zone:
            names = {z.code: z.name for z in await self.hub.zones()}
            if zone not in names:
                raise HubError(404, "not_found", f"没有分区 {zone}", f"the hub has no zone {zone!r}")
            self.renderer.title = f"{zone}区 {names[zone]}"
        else:
            self.renderer.title = (await self.hub.hall()).name
        if zone and self.open_voice is not None and self.voice is None:
            await self._take_the_zones_voice(zone, self.open_voice)
        state = await self.hub.state(zone)
        self.model.load(state.last_seq, state.hall_day, state.queues, state.windows, state.recent_calls)
        self.stream = EventStream(self.options.hub, self.options.token, zone=zone, since=state.last_seq, policy=self.policy,
                                  ssl_context=self.ssl_context)

    def start_failed(self, exc: HubUnreachable | HubError) -> None:
        """`start` could not read the hub, and will be tried again: down, up and failing (5xx), or
        its certificate not trusted here (no or the wrong --ca), which the screen then says."""
        self.tls_problem = str(exc) if isinstance(exc, HubTlsError) else None  # the client logged it as an ERROR
        if self.tls_problem is None:
            log.warning("hub not ready for the board yet: %s", exc)

    async def _take_the_zones_voice(self, zone: str, open_voice: Callable[[ZoneVoice], Announcer]) -> None:
        """Speak the zone's calls only if voice.toml gives its speaker to the board: where the hub
        speaks the zone too, both would announce every call."""
        try:
            voice = await self.hub.zone_voice(zone)
        except HubError as exc:  # an older hub, or one running without its voice plan
            log.error("voice: the hub did not say how zone %s is spoken (%s); this board stays silent", zone, exc)
            return
        self.voice = voice
        if voice.where != "board":
            log.warning('voice: voice.toml gives zone %s\'s calls to "%s", not to its board; this board stays silent '
                        '(set where = "board" for the zone to speak them here)', zone, voice.where)
            return
        self.announcer = open_voice(voice)
        log.info("voice: this board speaks zone %s's calls (%d times each)", zone, voice.repeat)

    async def follow(self) -> None:
        """Apply events until the stream is closed (reconnects are the stream's own business)."""
        assert self.stream is not None, "start() first"
        async for event in self.stream:
            self.handle(event)

    def handle(self, event: HubEvent) -> None:
        """Show, and speak if the zone is given to this board, each event of the zone's stream: the
        hub sends the zone the calls that belong to it (``HallConfig.call_zones``), a call of this
        zone's window to another zone's ticket included, as the hub's own voice speaks them."""
        if self.model.apply(event):
            self.applied.set()
        if self.announcer is not None and self.voice is not None and not event.replay:
            call = call_for_event(event.kind, event.number, event.payload, repeat=self.voice.repeat, chime=self.voice.chime)
            if call is not None:
                try:
                    self.announcer.enqueue(call)
                except VoiceTextError as exc:  # shown on the board all the same
                    log.error("cannot word the call %s: %s", event.number, exc)

    def render(self, now: float | None = None) -> None:
        at = self.clock() if now is None else now
        local = datetime.fromtimestamp(at, ZoneInfo(self.options.timezone))
        self._follow_the_day(local.date().isoformat(), at)
        self._say_alive(at)
        refused = self.stream is not None and self.stream.refused
        untrusted = bool(self.stream.tls_problem if self.stream is not None else self.tls_problem)
        self.renderer.draw(self.model, local, self.online, at - self._started, refused=refused, untrusted=untrusted)

    def _follow_the_day(self, today: str, at: float) -> None:
        """A board runs for weeks: once the hall day has changed on its clock, take the new day's
        state from the hub, so the morning does not open with yesterday's last calls on screen.
        Asked at most once a minute until the hub's own day has changed too."""
        if not self.model.hall_day or today == self.model.hall_day or self._day_reload is not None:
            return
        if at - self._day_checked_at < DAY_RECHECK_S:
            return
        self._day_checked_at = at
        self._day_reload = asyncio.get_running_loop().create_task(self._load_new_day())

    def _say_alive(self, at: float) -> None:
        """Once a minute, tell the hub this board is up: a TV switched off or cut off the network
        says nothing itself, and the technician's device status shows it silent after a while."""
        if self._alive is not None or at - self._alive_said_at < ALIVE_EVERY_S or self.stream is None:
            return
        self._alive_said_at = at
        self._alive = asyncio.get_running_loop().create_task(self._tell_the_hub())

    async def _tell_the_hub(self) -> None:
        try:
            await self.hub.report_state("ok")
        except (HubUnreachable, HubError) as exc:  # an older hub, or the network: the board goes on
            log.debug("could not tell the hub this board is up: %s", exc)
        finally:
            self._alive = None

    async def _load_new_day(self) -> None:
        try:
            state = await self.hub.state(self.options.zone)
            if state.hall_day != self.model.hall_day:
                self.model.load(state.last_seq, state.hall_day, state.queues, state.windows, state.recent_calls)
                self.applied.set()
        except (HubUnreachable, HubError) as exc:
            log.warning("new hall day: the hub's state could not be read (%s); trying again", exc)
        finally:
            self._day_reload = None

    async def run(self) -> None:
        """Frame loop: input (quit keys), draw, flip, yield to the stream task."""
        follower = asyncio.create_task(self.follow())
        try:
            while self.running and not follower.done():
                for event in pygame.event.get():
                    if _closes_the_board(event):
                        self.running = False
                self.render()
                pygame.display.flip()
                await asyncio.sleep(FRAME_S)
        finally:
            await self.close()
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower

    async def close(self) -> None:
        for task in (self._day_reload, self._alive):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.stream is not None:
            await self.stream.close()
        await self.hub.close()
        if self.announcer is not None:
            await self.announcer.close(drain=False)


def _closes_the_board(event: pygame.event.Event) -> bool:
    return event.type == pygame.QUIT or (event.type == pygame.KEYDOWN and event.key in (pygame.K_ESCAPE, pygame.K_q))


def parse_args(argv: list[str]) -> BoardOptions:
    parser = argparse.ArgumentParser(prog="hallq board", description="HallQ zone TV board (pygame)")
    parser.add_argument("--hub", required=True, help="hub base URL, e.g. https://10.0.0.2:8443")
    parser.add_argument("--ca", type=Path, default=None, metavar="FILE",
                        help="trust the hub's certificate from this CA file (the hall's CA, PEM); default: the system's")
    parser.add_argument("--zone", default=None, help="zone code (A, B, …); without it the whole hall")
    parser.add_argument("--token", default=os.environ.get("HALLQ_BOARD_TOKEN"), help="display device token (or env HALLQ_BOARD_TOKEN)")
    parser.add_argument("--size", default="1920x1080", choices=sorted(SIZES), help="screen size")
    parser.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    parser.add_argument("--voice", action="store_true",
                        help="this PC speaks the zone's calls, as the hub's voice.toml says (where = \"board\")")
    parser.add_argument("--voice-cache", type=Path, default=default_voice_cache(),
                        help="folder for synthesized clips (default: the user's cache folder, hallq/voice in it)")
    parser.add_argument("--notice", default=DEFAULT_NOTICE, help="the scrolling notice")
    parser.add_argument("--timezone", default="Asia/Shanghai")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("a display token is required: --token or HALLQ_BOARD_TOKEN")
    if args.voice and not args.zone:
        parser.error("--voice speaks one zone's calls: give its --zone")
    check_ca(parser, args.ca)
    problem = cache_problem(args.voice_cache) if args.voice else None
    if problem:
        parser.error(f"--voice-cache {args.voice_cache}: {problem}: give a folder this PC's user may write "
                     "(语音缓存文件夹不可用，请指定本机用户可写入的文件夹)")
    return BoardOptions(args.hub, args.token, args.zone, SIZES[args.size], not args.windowed, args.voice,
                        args.voice_cache, args.notice, args.timezone, args.ca)


def open_announcer(voice: ZoneVoice, cache: Path) -> Announcer:
    """The zone's announcer on this PC, worded and paced as voice.toml says: bundled espeak-ng,
    the mixer if there is a sound device."""
    synth = Synthesizer(SynthConfig(cache_dir=cache, voice=voice.voice, rate=voice.rate))
    chime = ensure_chime(cache)
    return Announcer(voice.zone, synth, open_player(), SpeechRules(template=voice.template), chime_path=chime)


async def run(options: BoardOptions) -> int:
    pygame.init()
    flags = pygame.FULLSCREEN if options.fullscreen else 0
    surface = pygame.display.set_mode(options.size, flags)
    pygame.display.set_caption("HallQ 叫号屏")
    pygame.mouse.set_visible(not options.fullscreen)
    app = BoardApp(options, surface, (lambda voice: open_announcer(voice, options.voice_cache)) if options.voice else None)
    delay = 1.0
    while True:  # the TV PC may boot before the hub: show "connection lost" and keep trying
        try:
            await app.start()
            break
        except (HubUnreachable, HubError) as exc:
            if isinstance(exc, HubError) and exc.status < 500:  # a refusal (token, zone): no retry mends it
                log.error("the hub refused the board: %s", exc)
                await app.close()
                return 2
            app.start_failed(exc)
            app.render()
            pygame.display.flip()
            # Waiting, the board still heeds Esc, Q and a stop (SDL turns SIGTERM into a QUIT
            # event): a systemd stop of a board whose hub was down used to go unanswered.
            for _ in range(round(delay / 0.1)):
                if any(_closes_the_board(event) for event in pygame.event.get()):
                    await app.close()
                    pygame.quit()
                    return 0
                await asyncio.sleep(0.1)
            delay = min(delay * 2, 30.0)
    await app.run()
    pygame.quit()
    return 0


def main(argv: list[str] | None = None) -> int:
    import sys

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    options = parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        return asyncio.run(run(options))
    except KeyboardInterrupt:
        return 0
