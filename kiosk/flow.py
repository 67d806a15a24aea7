"""The kiosk's screens as a state machine, free of pygame and of I/O.

Touches become :meth:`Flow.tap` calls with an :data:`Action`; the flow answers with the next
screen and, on a confirm, an :class:`~kiosk.session.IssueJob` for the app to run off the loop.
Keeping this pure lets the tests walk every path without a display, and keeps the pygame loop a
thin shell that never waits.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from kiosk.catalogue import Catalogue, Service
from kiosk.session import IssueJob, IssueResult, Outcome
from server.engine.personal import normalise_person_id, person_id_problem
from server.hub_client import IssueSpec

Action = tuple[str, str]
"""(verb, argument): ("zone", "C"), ("service", code), ("confirm", ""), ("home", "") …"""

APPOINTMENT_MAX = 32
SEARCH_MAX = 20
ALL_ZONES = "*"
"""The zone of a search over every zone's items: for a citizen who does not know which of ten
zones handles their item (no zone code is "*")."""


def id_card_number(code: str) -> bool:
    """What an ID card reader types: a resident ID number (18, or the old 15, with a valid check
    digit and birth date). Not a mobile or passport shape: appointment codes look like those."""
    value = normalise_person_id(code)
    return len(value) in (15, 18) and value[:15].isdigit() and person_id_problem(value) is None


@dataclass(frozen=True)
class Loading:
    message: str = "正在连接取号服务……"


@dataclass(frozen=True)
class Offline:
    """The hub could not be reached: the kiosk cannot issue, and says so."""

    message: str


@dataclass(frozen=True)
class Closed:
    """Issuing is closed (hours, lunch, stop-issuing before closing, cap): the hub's reason."""

    message: str
    check_in: bool = False
    """Closed to walk-ins while the day still has service ahead (before opening, lunch, the stop
    before a session ends): a booked appointment checks in (scan, ID card or 预约签到), as the hub
    allows; the screen had no way to, and sent them away."""


@dataclass(frozen=True)
class Start:
    pass


@dataclass(frozen=True)
class Green:
    """Green channel: pick the priority class before the zone."""


@dataclass(frozen=True)
class Services:
    zone: str
    search: str = ""
    page: int = 0
    keyboard: bool = False
    """The on-screen letter keyboard is open (search by pinyin initials)."""


@dataclass(frozen=True)
class Confirm:
    service: Service
    zone_name: str
    back: Services | IdNeeded | None = None
    """The list the item was chosen from, with its search and page, or the 请刷身份证 screen a
    citizen without an ID card left for the 帮代办 ticket: 返回上一步 goes back there."""


@dataclass(frozen=True)
class IdNeeded:
    """请刷身份证: the hall issues the item only to a citizen whose ID card was read."""

    confirm: Confirm
    """Where 返回上一步 goes, and what is issued once the card is read."""


@dataclass(frozen=True)
class Appointment:
    code: str = ""


@dataclass(frozen=True)
class Working:
    job: IssueJob


@dataclass(frozen=True)
class TicketOut:
    result: IssueResult


@dataclass(frozen=True)
class PrintFailed:
    result: IssueResult


@dataclass(frozen=True)
class Notice:
    """Something went wrong and nothing was issued. ``retry`` re-runs the SAME job (same key)."""

    title: str
    message: str
    retry: IssueJob | None = None
    reenter: bool = False
    """An appointment code the hub did not know: offer 重新输入 (a digit mistyped on the keypad)."""


Screen = (Loading | Offline | Closed | Start | Green | Services | Confirm | IdNeeded | Appointment | Working | TicketOut
          | PrintFailed | Notice)


@dataclass
class Flow:
    idle_timeout_s: float = 60.0
    ticket_timeout_s: float = 20.0
    large_text: bool = False
    catalogue: Catalogue | None = None
    screen: Screen = field(default_factory=Loading)
    priority_class: str | None = None
    last_touch: float = 0.0
    kiosk_large_text: bool = field(init=False)
    """The kiosk's own text size (``--large-text``): what each new citizen starts with, whatever
    the last one chose (大字模式 stayed on for the next citizen after the idle timeout)."""
    person_id: str | None = field(default=None, repr=False)
    """The ID number of the citizen at the kiosk, read from their card: sent with their ticket (the
    hub's per-person daily cap), shown only masked, never logged, forgotten with the citizen."""
    before_scan: Screen | None = field(default=None, repr=False)
    """The screen a card was read on: a card with no booking returns the citizen there."""
    printer_problem: str | None = None
    """Why the printer cannot print now (its Chinese message), checked with every catalogue read:
    the start screen says 暂停取号 instead of letting each citizen choose a service first."""

    def __post_init__(self) -> None:
        self.kiosk_large_text = self.large_text

    # ------------------------------------------------------------ hub data
    def loaded(self, catalogue: Catalogue) -> None:
        """A fresh catalogue; shows the start (or closed) screen unless a citizen is mid-flow."""
        self.catalogue = catalogue
        if isinstance(self.screen, (Loading, Offline, Closed, Start)):
            self._show_home()

    def printer_checked(self, problem: str | None) -> None:
        """The printer's state from the last check; the start (or closed) screen follows it."""
        self.printer_problem = problem
        if isinstance(self.screen, (Closed, Start)):
            self._show_home()

    def load_failed(self, message: str) -> None:
        if isinstance(self.screen, (Loading, Offline, Start, Closed)):
            self.screen = Offline(message)

    def _home(self, now: float) -> None:
        """The citizen went back to the start (返回首页, or 返回上一步 from its first step):
        their green-channel choice goes with it."""
        self.priority_class = None
        self.last_touch = now
        self._show_home()

    def _show_home(self) -> None:
        """The start (or closed) screen as the hall and the printer now stand. Not a touch: the
        catalogue re-read (every 30 s) redraws it under a citizen who chose the green channel
        there, and that choice stood; clearing it printed an elderly citizen an ordinary ticket,
        and counting the re-read as a touch kept the choice for the next citizen."""
        issuing = self.catalogue.hall.issuing if self.catalogue else None
        if self.catalogue is None:
            self.screen = Loading()
        elif issuing is not None and not issuing.open:
            self.screen = Closed(issuing.message, check_in=issuing.takes_appointments and self.printer_problem is None)
        elif self.printer_problem is not None:
            self.screen = Closed(f"{self.printer_problem}。本机暂不能出票，请到其他取号机取号。")
        elif len(self.catalogue.zones) == 1:
            self.screen = Services(self.catalogue.zones[0].code)
        else:
            self.screen = Start()

    @property
    def busy(self) -> bool:
        return isinstance(self.screen, Working)

    # ------------------------------------------------------------ touches
    def tap(self, action: Action, now: float) -> IssueJob | None:
        verb, arg = action
        self.last_touch = now
        if self.busy:
            return None  # one ticket at a time: touches during printing are ignored
        self.before_scan = None  # a code typed on the keypad is not a card read
        if verb == "home":
            if isinstance(self.screen, (TicketOut, PrintFailed)):
                self._end_citizen()  # 完成 / 我已记住: this citizen is done
            self._home(now)
        elif verb == "large":
            self.large_text = not self.large_text
        elif verb == "green":
            self.screen = Green()
        elif verb == "priority":
            self.priority_class = arg
            self.screen = Start() if self.catalogue and len(self.catalogue.zones) > 1 else Services(self._only_zone())
        elif verb == "zone":
            self.screen = Services(arg)
        elif verb == "search_all":
            self.screen = Services(ALL_ZONES, keyboard=True)
        elif verb == "page" and isinstance(self.screen, Services):
            self.screen = replace(self.screen, page=max(0, self.screen.page + int(arg)))
        elif verb == "search" and isinstance(self.screen, Services):
            self.screen = replace(self.screen, search=arg, page=0, keyboard=self.screen.keyboard and not arg)
        elif verb == "keyboard" and isinstance(self.screen, Services):
            self.screen = replace(self.screen, keyboard=not self.screen.keyboard)
        elif verb == "letter" and isinstance(self.screen, Services) and arg.isascii() and arg.isalpha():
            # A letter keyboard types initials only: characters typed before (a wedge keyboard) go.
            initials = self.screen.search if self.screen.search.isascii() else ""
            self.screen = replace(self.screen, search=(initials + arg.upper())[:SEARCH_MAX], page=0)
        elif verb == "erase" and isinstance(self.screen, Services):
            self.screen = replace(self.screen, search=self.screen.search[:-1], page=0)
        elif verb == "assisted" and self.catalogue is not None and self.catalogue.hall.assisted_queue is not None:
            # A search that found nothing, or a citizen with no ID card (a passport, a travel
            # permit) where the hall asks for one: a ticket for the hall's 帮代办 queue, where staff help.
            q = self.catalogue.hall.assisted_queue
            back = self.screen if isinstance(self.screen, (Services, IdNeeded)) else None
            self.screen = Confirm(Service("", q.name, q.zone, q.prefix), q.zone_name, back)
        elif verb == "service" and self.catalogue is not None:
            service = self.catalogue.service(arg)
            back = self.screen if isinstance(self.screen, Services) else None
            self.screen = Confirm(service, self.catalogue.zone(service.zone).name, back)
        elif verb == "back":
            self._back(now)
        elif verb == "appointment":
            self.screen = Appointment()
        elif verb == "digit" and isinstance(self.screen, Appointment):
            self.screen = Appointment((self.screen.code + arg)[:APPOINTMENT_MAX])
        elif verb == "delete" and isinstance(self.screen, Appointment):
            self.screen = Appointment(self.screen.code[:-1])
        elif verb == "clear" and isinstance(self.screen, Appointment):
            self.screen = Appointment()
        elif verb == "check_in" and isinstance(self.screen, Appointment) and self.screen.code:
            return self._start(self._appointment_job(self.screen.code))
        elif verb == "confirm" and isinstance(self.screen, Confirm):
            if self.screen.service.id_required and self.person_id is None:
                self.screen = IdNeeded(self.screen)
                return None
            return self._start(self._confirm_job(self.screen))
        elif verb == "retry" and isinstance(self.screen, Notice) and self.screen.retry is not None:
            return self._start(self.screen.retry)
        return None

    def _confirm_job(self, confirm: Confirm) -> IssueJob:
        s = confirm.service
        # A queue's own ticket (帮代办) has no item: its code is empty.
        spec = IssueSpec(queue=None if s.code else s.queue, item_code=s.code or None, priority_class=self.priority_class,
                         person_id=self.person_id)
        return IssueJob(spec, s.name, confirm.zone_name)

    def _only_zone(self) -> str:
        assert self.catalogue is not None
        return self.catalogue.zones[0].code

    def _back(self, now: float) -> None:
        if isinstance(self.screen, IdNeeded):
            self.screen = self.screen.confirm
        elif isinstance(self.screen, Confirm):
            self.screen = self.screen.back or Services(self.screen.service.zone)
        elif isinstance(self.screen, Services) and self.catalogue and len(self.catalogue.zones) > 1:
            self.screen = Start()
        else:
            self._home(now)

    def _appointment_job(self, code: str) -> IssueJob:
        return IssueJob(IssueSpec(appointment_code=code.strip()), "", "")

    def _start(self, job: IssueJob) -> IssueJob:
        self.screen = Working(job)
        return job

    def typed(self, text: str, now: float) -> None:
        """Text from a keyboard or the system input method, into the search or the code box."""
        self.last_touch = now
        if isinstance(self.screen, Services):
            self.screen = replace(self.screen, search=(self.screen.search + text)[:SEARCH_MAX], page=0)
        elif isinstance(self.screen, Appointment):
            self.screen = Appointment((self.screen.code + text)[:APPOINTMENT_MAX])

    def backspace(self, now: float) -> None:
        self.last_touch = now
        if isinstance(self.screen, Services):
            self.screen = replace(self.screen, search=self.screen.search[:-1], page=0)
        elif isinstance(self.screen, Appointment):
            self.screen = Appointment(self.screen.code[:-1])

    def scanned(self, code: str, now: float) -> IssueJob | None:
        """A QR scanner read an appointment code: check in at once, from any idle screen. An ID
        card read on 请刷身份证 is the citizen's: their ticket is issued with it."""
        self.last_touch = now
        if self.busy or isinstance(self.screen, (Loading, Offline)) or (isinstance(self.screen, Closed) and not self.screen.check_in):
            return None
        if isinstance(self.screen, IdNeeded):
            if not id_card_number(code):
                return None  # not an ID card (a QR code shown by mistake): the screen still asks
            self.person_id = normalise_person_id(code)
            return self._start(self._confirm_job(self.screen.confirm))
        self.before_scan = self.screen
        return self._start(self._appointment_job(code))

    # ------------------------------------------------------------ results
    def finished(self, result: IssueResult, now: float) -> None:
        self.last_touch = now
        if result.outcome is Outcome.PRINTED:
            if self.catalogue is not None and result.job.spec.item_code:
                self.catalogue.record_issue(result.job.spec.item_code)
            self.screen = TicketOut(result)
        elif result.outcome is Outcome.PRINT_FAILED:
            self.screen = PrintFailed(result)
        elif result.outcome is Outcome.PRINTER_NOT_READY:
            # The printer's message already asks for staff (请联系工作人员): say only that no
            # ticket was taken, where it said "contact staff" twice.
            self.screen = Notice("暂停取号", f"{result.message_zh}。本次未取号，未出票。")
        elif result.outcome is Outcome.UNREACHABLE:
            self.screen = Notice("网络异常", result.message_zh or "", retry=result.job)
        elif result.code == "issuing_closed":
            self.screen = Closed(result.message_zh or "暂停取号", check_in=result.takes_appointments)
        elif result.code == "not_found" and self._id_card(result.job):
            # An ID card with no booking today: it is this citizen's for the ticket they take
            # (the per-person daily cap), and they carry on where they were.
            self.person_id = normalise_person_id(result.job.spec.appointment_code or "")
            self.screen = self.before_scan if self.before_scan is not None else Start()
        else:
            self.screen = Notice("无法取号", result.message_zh or "", reenter=result.job.spec.appointment_code is not None)

    def _end_citizen(self) -> None:
        """Forget what the last citizen chose. Not in :meth:`_home`: that also runs on every
        catalogue re-read (30 s) and on 返回首页, where the same citizen is still reading."""
        self.large_text = self.kiosk_large_text
        self.priority_class = None
        self.person_id = None
        self.before_scan = None

    @property
    def _chosen(self) -> bool:
        """The citizen at the screen chose something the next one must not inherit."""
        return self.priority_class is not None or self.large_text != self.kiosk_large_text or self.person_id is not None

    def _id_card(self, job: IssueJob) -> bool:
        return self.before_scan is not None and id_card_number(job.spec.appointment_code or "")

    def tick(self, now: float) -> None:
        """Idle timeout: a kiosk left mid-flow returns to the start for the next citizen, with
        the kiosk's own text size and no green channel (a start screen counts once chosen on)."""
        if self.busy or isinstance(self.screen, (Loading, Offline)):
            return
        if isinstance(self.screen, (Closed, Start)) and not self._chosen:
            return
        if isinstance(self.screen, Services) and self.catalogue and len(self.catalogue.zones) == 1 \
                and not self.screen.search and not self._chosen:
            return
        # A number with no paper must be noted or scanned: longer than a printed ticket's screen.
        limit = self.ticket_timeout_s if isinstance(self.screen, TicketOut) else \
            max(self.idle_timeout_s, 3 * self.ticket_timeout_s) if isinstance(self.screen, PrintFailed) else self.idle_timeout_s
        if now - self.last_touch >= limit:
            self._end_citizen()
            self._home(now)
