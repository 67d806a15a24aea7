"""The kiosk program: a pygame loop on asyncio that never waits for the hub or the printer.

Each frame handles input, lets the flow time out, draws, and yields to the event loop; loading
the catalogue and issuing+printing run as asyncio tasks (printing itself on a worker thread), and
their results come back to the flow. ``hallq kiosk`` runs :func:`main`.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
from pathlib import Path
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import pygame

from display.fonts import load_cjk_font
from display.memo import Memo
from kiosk import screens
from kiosk.flow import Flow, Loading, Offline
from kiosk.printing import TicketPrinter
from kiosk.scanner import WedgeDetector
from kiosk.session import IssueJob, IssueResult, KioskSession
from kiosk.widgets import Op, Painter
from kiosk.layout import LayoutFileError, default_layout, load_layout
from printer_drivers import PrinterError, get_profile, open_printer
from server.hub_client import HubClient, HubError, HubTlsError, HubUnreachable
from server.tls import check_ca, client_context
from server.log_format import LOG_DATEFMT, LOG_FORMAT

log = logging.getLogger(__name__)
FRAME_S = 1 / 30
REFRESH_S = 30.0  # catalogue, queue counts and "issuing open?" are re-read this often when idle
# The printer's state as the hub names it (server/devices/reports.py); a printer that cannot
# report status counts as ok, as it does for issuing.
HUB_STATES = {"ready": "ok", "paper_near_end": "paper_near_end", "paper_out": "paper_out", "cover_open": "cover_open",
              "offline": "printer_offline", "error": "printer_error"}
# While the kiosk cannot load (hub down, a zone it does not have): the wait between two attempts,
# doubling from the first to the last. It tried on every frame, 127 requests in 5 s.
RETRY_FIRST_S, RETRY_MAX_S = 1.0, 30.0


@dataclass(frozen=True)
class KioskOptions:
    hub: str
    token: str | None
    printer: str
    profile: str = "XP-80C"
    zone: str | None = None
    fullscreen: bool = True
    size: tuple[int, int] = (1920, 1080)
    large_text: bool = False
    idle_timeout_s: float = 60.0
    status_base_url: str | None = None
    timezone: str = "Asia/Shanghai"
    layout_file: Path | None = None
    ca: Path | None = None  # the hall's CA for an https:// hub; None: the system's trust store
    # False: a printer that never answers status queries (DLE EOT; a cheap 58 mm one, a serial
    # cable without its return wire) prints unchecked. The kiosk took its silence for offline and
    # issued nothing, and the documented override reached no kiosk.
    printer_status: bool = True


class KioskApp:
    """The running kiosk. Tests construct it, post pygame events and ``await step()``."""

    def __init__(self, session: KioskSession, surface: pygame.Surface, flow: Flow, only_zone: str | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.session = session
        self.surface = surface  # the property: nothing is shown on it yet
        self.flow = flow
        self.only_zone = only_zone
        self.clock = clock
        self.font = load_cjk_font(32)
        self.memo = Memo()  # what one frame measured serves the next ones (see Memo)
        self.painter = Painter(surface, self.font, flow.large_text, self.memo)
        self.frames_drawn = 0  # frames drawn on the surface (render): once a change, not 30 a second
        self.flips = 0  # frames sent to the screen (step)
        self._to_flip = False  # drawn, or the window lost its content: flip at the end of the step
        self.scanner = WedgeDetector()
        self.tasks: set[asyncio.Task[None]] = set()
        self.results: list[IssueResult] = []
        self.running = True
        self._last_refresh = -REFRESH_S
        self._loading = False
        self._retry_s = RETRY_FIRST_S
        self._retry_after = 0.0  # how long after the last attempt the next may be made

    @property
    def surface(self) -> pygame.Surface:
        """What the kiosk draws on. Assigned (``set_mode`` again, a new size), the next frame is
        drawn whatever it shows: ``set_mode`` blanks even a surface of the same size."""
        return self._surface

    @surface.setter
    def surface(self, surface: pygame.Surface) -> None:
        self._surface = surface
        self._shown: tuple[tuple[int, int], tuple[Op, ...]] | None = None

    # ------------------------------------------------------------ background work
    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def refresh(self) -> None:
        if not self._loading:
            self._loading = True
            self._last_refresh = self.clock()
            self._spawn(self._load())

    async def _load(self) -> None:
        try:
            catalogue = await self.session.load_catalogue(self.only_zone)
        except (HubUnreachable, HubError) as exc:
            if not isinstance(exc, HubTlsError):  # the client said that one once, to the technician
                log.error("cannot load the catalogue: %s (next attempt in %.0f s)", exc, self._retry_s)
            self.flow.load_failed(getattr(exc, "message_zh", str(exc)))
            self._retry_s, self._retry_after = min(self._retry_s * 2, RETRY_MAX_S), self._retry_s
        else:
            self._retry_s, self._retry_after = RETRY_FIRST_S, 0.0
            self.flow.loaded(catalogue)
            problem, cause, state = await self._printer_problem()
            if problem != self.flow.printer_problem:  # logged once a change, not every re-read
                if problem:
                    log.warning("printer cannot print: %s; the start screen says 暂停取号 (%s)", cause, problem)
                else:
                    log.info("printer ready again: issuing resumes")
            self.flow.printer_checked(problem)
            await self._tell_the_hub(state, cause)
        finally:
            self._loading = False

    async def _printer_problem(self) -> tuple[str | None, str | None, str]:
        """(the citizen's Chinese message, the technician's English cause, the state the hub is
        told) if the printer cannot print now (paper out, cover open, gone); (None, None, state)
        if it can. The cause was dropped: a port that would not open logged only 打印机未连接."""
        try:
            readiness = await self.session.printer.readiness()
        except PrinterError as exc:
            return exc.message_zh, exc.message_en, "printer_offline"
        state = HUB_STATES.get(readiness.state, "ok")
        if readiness.ready:
            return None, None, state
        return readiness.message_zh or "打印机故障，请联系工作人员", readiness.cause_en or readiness.state, state

    async def _tell_the_hub(self, state: str, cause: str | None) -> None:
        """The printer's state to the hub at every re-read (every REFRESH_S): the technician sees a
        kiosk low on paper or stopped at the hub, and one gone quiet as silent. Never in the way of
        issuing: a hub that does not take it (an older version) or cannot be reached is logged only."""
        try:
            await self.session.hub.report_state(state, cause)
        except (HubUnreachable, HubError) as exc:
            log.debug("could not report the printer's state to the hub: %s", exc)

    def _run_job(self, job: IssueJob | None) -> None:
        if job is not None:
            self._spawn(self._issue(job))

    async def _issue(self, job: IssueJob) -> None:
        hall = self.flow.catalogue.hall.name if self.flow.catalogue else ""
        try:
            result = await self.session.issue_and_print(job, hall)
        except PrinterError as exc:  # the status query itself failed
            from kiosk.session import Outcome

            log.error("printer not ready, nothing issued: %s", exc)  # the citizen sees 暂停取号; the technician this
            result = IssueResult(Outcome.PRINTER_NOT_READY, job, message_zh=exc.message_zh, code="printer")
        self.results.append(result)
        self.flow.finished(result, self.clock())
        # The counts the next citizen reads include this ticket: they lagged up to a minute and
        # never counted the kiosk's own tickets ("前面还有 0 人" with two just taken here).
        self._last_refresh = -REFRESH_S

    async def settle(self) -> None:
        """Wait for background work (tests, shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    # ------------------------------------------------------------ input
    def handle(self, event: pygame.event.Event) -> None:
        now = self.clock()
        if event.type == pygame.QUIT:
            self.running = False
        elif event.type == pygame.MOUSEBUTTONUP and event.button == 1:
            self.touch(event.pos)
        elif event.type == pygame.FINGERUP:
            self.touch((int(event.x * self.surface.get_width()), int(event.y * self.surface.get_height())))
        elif event.type == pygame.TEXTINPUT:
            self._type(self.scanner.key(event.text, now), now)
        elif event.type in (pygame.VIDEOEXPOSE, pygame.WINDOWEXPOSED):
            self._to_flip = True  # the window must be shown again; the surface still holds the frame
        elif event.type == pygame.KEYDOWN:
            if event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
                code = self.scanner.enter(now)
                if code is not None:
                    self._run_job(self.flow.scanned(code, now))
            elif event.key == pygame.K_BACKSPACE:
                self._type(self.scanner.release(), now)
                self.flow.backspace(now)
            elif event.key == pygame.K_ESCAPE and event.mod & pygame.KMOD_CTRL:
                self.running = False  # technician's exit; a citizen's keyboard has no Ctrl

    def _type(self, text: str, now: float) -> None:
        """A person's typing, once the scanner detector knows it is not a scan."""
        if text:
            self.flow.typed(text, now)

    def touch(self, pos: tuple[int, int]) -> None:
        self._type(self.scanner.release(), self.clock())
        for button in reversed(self.painter.buttons):
            if button.hit(pos):
                self._run_job(self.flow.tap(button.action, self.clock()))
                return

    # ------------------------------------------------------------ frame
    def record(self) -> Painter:
        """The current screen recorded, not drawn: its buttons are what touches hit from now on."""
        self.painter = Painter(self.surface, self.font, self.flow.large_text, self.memo)
        screens.record(self.painter, self.flow)
        return self.painter

    def render(self) -> bool:
        """Record the current screen and draw it, only if it differs from the frame drawn on the
        surface last (or the surface is new or another size); True if drawn. Exact: a frame's ops
        are all its pixels depend on but the font (the app's, always) and the surface's size. It
        drew 30 frames a second, 10-30 ms each, of a screen that changes a few times a minute."""
        painter = self.record()
        frame = (self.surface.get_size(), tuple(painter.ops))
        if frame == self._shown:
            return False
        painter.paint()
        self._shown = frame
        self.frames_drawn += 1
        self._to_flip = True
        return True

    async def step(self) -> None:
        """One frame: input, timers, drawing; then yield so hub and printer tasks progress."""
        for event in pygame.event.get():
            self.handle(event)
            self.record()  # later touches in the same batch hit what this one showed; drawn below
        now = self.clock()
        self._type(self.scanner.due(now), now)
        self.flow.tick(now)
        waiting = isinstance(self.flow.screen, (Loading, Offline)) and now - self._last_refresh >= self._retry_after
        idle = waiting or now - self._last_refresh >= REFRESH_S
        if idle and not self.flow.busy:
            self.refresh()
        self.render()
        if self._to_flip:  # nothing changed: the screen shows the frame already
            pygame.display.flip()
            self.flips += 1
            self._to_flip = False
        await asyncio.sleep(0)

    async def run(self) -> None:
        self.refresh()
        while self.running:
            await self.step()
            await asyncio.sleep(FRAME_S)
        await self.settle()


def parse_args(argv: list[str]) -> KioskOptions:
    parser = argparse.ArgumentParser(prog="hallq kiosk", description="HallQ ticket kiosk (pygame touch screen)")
    parser.add_argument("--hub", required=True, help="hub base URL, e.g. https://10.0.0.2:8443")
    parser.add_argument("--ca", type=Path, default=None, metavar="FILE",
                        help="trust the hub's certificate from this CA file (the hall's CA, PEM); default: the system's")
    parser.add_argument("--token", default=os.environ.get("HALLQ_KIOSK_TOKEN"), help="kiosk device token (or env HALLQ_KIOSK_TOKEN)")
    parser.add_argument("--printer", default=None,
                        help="printer spec (docs/printing.md), e.g. serial:/dev/ttyUSB0?baud=19200; required")
    parser.add_argument("--demo", action="store_true",
                        help="demo or simulation: allow the in-memory dummy: printer (the default with --demo); no paper comes out")
    parser.add_argument("--profile", default="XP-80C", help="printer profile: TM-T88, XP-80C, POS-5890, ZJ-5870")
    parser.add_argument("--no-printer-status", dest="printer_status", action="store_false",
                        help="the printer never answers status queries (DLE EOT): print without checking it "
                             "(paper out is then noticed by nobody; without this the kiosk takes the silence "
                             "for a printer offline and stops issuing)")
    parser.add_argument("--zone", default=None, help="offer only this zone's services")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--fullscreen", dest="fullscreen", action="store_true", default=True)
    mode.add_argument("--windowed", dest="fullscreen", action="store_false")
    parser.add_argument("--size", default="1920x1080", help="window size WxH (windowed, or the dummy driver)")
    parser.add_argument("--large-text", action="store_true", help="start in large-text mode")
    parser.add_argument("--idle-timeout", type=float, default=60.0, help="seconds before returning to the start")
    parser.add_argument("--status-base-url", default=None, help="QR prefix if the hub does not publish hall.status_base_url")
    parser.add_argument("--timezone", default="Asia/Shanghai")
    parser.add_argument("--layout", type=Path, default=None, help="ticket layout file (e.g. config/ticket.toml)")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("a kiosk token is required: --token or HALLQ_KIOSK_TOKEN")
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        parser.error(f"--size must look like 1920x1080, got {args.size!r}")
    printer = _printer_spec(parser, args.printer, args.demo)
    check_ca(parser, args.ca)
    return KioskOptions(args.hub, args.token, printer, args.profile, args.zone, args.fullscreen, (w, h),
                        args.large_text, args.idle_timeout, args.status_base_url, args.timezone, args.layout, args.ca,
                        args.printer_status)


def _printer_spec(parser: argparse.ArgumentParser, spec: str | None, demo: bool) -> str:
    """The printer a kiosk prints on. A real kiosk must name it: an in-memory default showed
    请取走您的票 while no paper came out, and nobody was told. ``dummy:`` only for a demo."""
    if spec is None:
        if not demo:
            parser.error("a kiosk must name its printer: --printer serial:/dev/ttyUSB0?baud=19200 "
                         "(usb:, network:, file:, see docs/printing.md); --demo prints into memory")
        return "dummy:"
    if spec.startswith("dummy:") and not demo:
        parser.error(f"--printer {spec} prints into memory and no paper comes out: "
                     "name the kiosk's real printer, or add --demo for a demo or simulation")
    return spec


def build(options: KioskOptions, surface: pygame.Surface) -> KioskApp:
    """Wire hub client, printer and flow; raises PrinterConfigError on a bad spec or profile."""
    profile = get_profile(options.profile, **({} if options.printer_status else {"supports_status": False}))
    layout = (
        load_layout(options.layout_file, profile.paper_width_mm)
        if options.layout_file
        else default_layout(profile.paper_width_mm)
    )
    printer = TicketPrinter(open_printer(options.printer), profile, layout)
    log.info("printer %s, profile %s (%s mm paper)", options.printer, profile.name, profile.paper_width_mm)
    if not profile.supports_status:
        log.warning("printer %s: status not checked (--no-printer-status): an empty paper roll goes unnoticed", options.printer)
    if options.printer.startswith("dummy:"):
        log.warning("printer %s prints into memory (--demo): no paper comes out", options.printer)
    hub = HubClient(options.hub, options.token, ssl_context=client_context(options.ca))
    base = options.status_base_url or options.hub.rstrip("/") + "/t/"
    session = KioskSession(hub, printer, base, options.timezone)
    flow = Flow(idle_timeout_s=options.idle_timeout_s, large_text=options.large_text)
    return KioskApp(session, surface, flow, options.zone)


async def _main(options: KioskOptions) -> int:
    # Only what the kiosk uses: the screen with its input events; the font opens freetype itself
    # (display.fonts). pygame.init() also started the mixer, and a kiosk PC without a sound card
    # printed a page of ALSA errors at every start, above the lines a technician looks for.
    pygame.display.init()
    flags = pygame.FULLSCREEN if options.fullscreen and os.environ.get("SDL_VIDEODRIVER") != "dummy" else 0
    surface = pygame.display.set_mode(options.size if not flags else (0, 0), flags)
    pygame.display.set_caption("HallQ 自助取号")
    app = build(options, surface)
    try:
        await app.run()
    finally:
        await app.session.hub.close()
        pygame.quit()
    return 0


def main(argv: list[str] | None = None) -> int:
    import sys

    options = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, datefmt=LOG_DATEFMT)
    try:
        return asyncio.run(_main(options))
    except PrinterError as exc:
        log.error("printer configuration: %s", exc)
        return 2
    except LayoutFileError as exc:
        log.error("ticket layout: %s", exc)
        return 2
    except KeyboardInterrupt:
        return 0
