"""One ticket from touch to paper: printer check, issue, print, report - and every way it fails.

The order is the promise made to the citizen (ARCHITECTURE.md "Flows to keep short"):
1. ask the printer first: if it cannot print, issue nothing;
2. issue with the job's idempotency key (retries inside the client reuse it; a citizen's
   "retry" on the error screen reuses the same job, hence the same key);
3. print; if the paper does not come out the number is still the citizen's: it is shown on
   screen, the hub is told ``printed=false`` (its ``ticket.print_failed`` event reaches the
   technician's page) and the fault is logged.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from kiosk.catalogue import Catalogue
from kiosk.printing import TicketPrinter
from kiosk.window_hint import window_hint
from server.engine.personal import mask_person_id
from printer_drivers import PrinterError, TicketPrint
from server.hub_client import NOT_A_HUB, HubClient, HubError, HubUnreachable, IssuedTicket, IssueSpec

log = logging.getLogger(__name__)

TICKET_NOTICE = "请留意叫号屏幕和语音提示。过号请到办理窗口说明，工作人员可为您重新排队。"
NO_WINDOW_NOTICE = "目前暂无窗口办理此业务，窗口开放后依次叫号。"
"""Printed before the notice when the hub had no estimate: no window of the queue was open."""
UNAUTHORIZED_ZH = "本机未授权（取号机令牌无效或已停用），请联系工作人员"


@dataclass(frozen=True)
class IssueJob:
    """One touch-confirm. The key is made once here and kept across every retry of this job."""

    spec: IssueSpec
    service_name: str
    zone_name: str
    idempotency_key: str = field(default_factory=lambda: uuid.uuid4().hex)


class Outcome(StrEnum):
    PRINTED = "printed"
    PRINT_FAILED = "print_failed"  # issued, not printed: number on screen with an apology
    PRINTER_NOT_READY = "printer_not_ready"  # nothing issued
    REFUSED = "refused"  # the hub said no (closed, cap reached, unknown appointment): nothing issued
    UNREACHABLE = "unreachable"  # nothing issued (as far as the kiosk can know; retry is safe)


@dataclass(frozen=True)
class IssueResult:
    outcome: Outcome
    job: IssueJob
    ticket: IssuedTicket | None = None
    message_zh: str | None = None
    code: str | None = None
    next_opening: str | None = None
    takes_appointments: bool = False
    """Refused as closed, but a booking still checks in now (the hub's details): 预约签到 stays."""
    warning_zh: str | None = None  # e.g. paper nearly out, for staff
    bytes_printed: int = 0
    status_url: str | None = None  # the ticket's status page: shown as a QR when no paper came out
    zone_name: str = ""
    """Where to wait, as the ticket says it: an appointment learns its zone only from the hub."""
    service_name: str = ""
    window_hint: str | None = None
    """The windows that serve the ticket's queue (19-26号), as printed: shown on screen too."""


class KioskSession:
    """The kiosk's link to the hub and its printer; no pygame here, so it is testable alone."""

    def __init__(self, hub: HubClient, printer: TicketPrinter, status_base_url: str, timezone: str = "Asia/Shanghai") -> None:
        self.hub = hub
        self.printer = printer
        self.status_base_url = status_base_url
        self.tz = ZoneInfo(timezone)
        self.catalogue: Catalogue | None = None

    async def load_catalogue(self, only_zone: str | None = None) -> Catalogue:
        """Hall, zones, items and today's queue counts; raises HubUnreachable/HubError.

        The token is checked first: the catalogue is public, so a kiosk with a wrong, switched-off
        or display token looked ready and refused the citizen only at 确认取号, three screens in."""
        await self._check_token()
        hall = await self.hub.hall()
        zones = [z for z in await self.hub.zones() if only_zone is None or z.code == only_zone]
        items = await self.hub.items(zone=only_zone)
        queues = await self.hub.queues(only_zone)
        if hall.status_base_url:
            self.status_base_url = hall.status_base_url
        self.catalogue = Catalogue.build(hall, zones, items, queues)
        return self.catalogue

    async def _check_token(self) -> None:
        try:
            me = await self.hub.me()
        except HubError as error:
            if error.status != 401 or error.code == NOT_A_HUB:  # a proxy's 401 page is not the hub's word
                raise
            raise HubError(401, "unauthorized", UNAUTHORIZED_ZH, f"the hub does not accept this kiosk's token ({error.message_en})") from None
        if me.get("role") != "kiosk":
            raise HubError(403, "not_a_kiosk", UNAUTHORIZED_ZH, f"this token is a {me.get('role')} token ({me.get('name')}), not a kiosk's")

    def status_url(self, ticket: IssuedTicket) -> str:
        return self.status_base_url + ticket.status_token

    def _names(self, job: IssueJob, ticket: IssuedTicket) -> tuple[str, str]:
        """(zone, service) names; an appointment learns its queue only from the hub's reply."""
        zone, service = job.zone_name, job.service_name
        if self.catalogue is not None:
            queue = self.catalogue.queues.get(ticket.queue)
            service = service or (queue.name if queue else ticket.queue)
            zone = zone or next((z.name for z in self.catalogue.zones if z.code == ticket.zone), ticket.zone)
        return zone or ticket.zone, service or ticket.queue

    def _window_hint(self, ticket: IssuedTicket) -> str | None:
        """The front windows of the queue the ticket is in (an appointment's too: by the hub's reply)."""
        queue = self.catalogue.queues.get(ticket.queue) if self.catalogue is not None else None
        return window_hint(queue.window_numbers) if queue is not None else None

    def ticket_print(self, hall_name: str, job: IssueJob, ticket: IssuedTicket) -> TicketPrint:
        zone_name, service_name = self._names(job, ticket)
        return TicketPrint(
            hall_name=hall_name,
            zone_name=zone_name,
            service_name=service_name,
            number=ticket.number,
            people_ahead=ticket.people_ahead,
            estimated_wait_min=ticket.estimated_wait_min,
            issued_at=datetime.fromtimestamp(ticket.issued_at, self.tz).replace(tzinfo=None),
            # A checked-in appointment is called first too, but it is not the green channel: its
            # ticket said 【绿色通道】, which asks the window for an elderly or disability card.
            priority=ticket.priority and not ticket.appointment,
            appointment=ticket.appointment,
            notice=TICKET_NOTICE if ticket.estimated_wait_min is not None else NO_WINDOW_NOTICE + TICKET_NOTICE,
            status_url=self.status_url(ticket),
            window_hint=self._window_hint(ticket),
            person_masked=mask_person_id(job.spec.person_id) if job.spec.person_id else None,
        )

    async def issue_and_print(self, job: IssueJob, hall_name: str) -> IssueResult:
        readiness = await self.printer.readiness()
        if not readiness.ready:
            log.error("printer not ready (%s): issuing stopped", readiness.cause_en or readiness.state)
            return IssueResult(Outcome.PRINTER_NOT_READY, job, message_zh=readiness.message_zh, code=readiness.state)
        try:
            ticket = await self.hub.issue(job.spec, job.idempotency_key)
        except HubError as exc:
            return IssueResult(Outcome.REFUSED, job, message_zh=exc.message_zh, code=exc.code,
                               next_opening=exc.details.get("next_opening"),
                               takes_appointments=bool(exc.details.get("appointments", False)))
        except HubUnreachable as exc:
            log.error("hub unreachable while issuing: %s", exc.message_en)
            return IssueResult(Outcome.UNREACHABLE, job, message_zh=exc.message_zh, code="unreachable")
        zone_name, service_name = self._names(job, ticket)
        try:
            result = await self.printer.print(self.ticket_print(hall_name, job, ticket))
        except PrinterError as exc:
            log.error("ticket %s issued but NOT printed: %s", ticket.number, exc.message_en)
            await self._report(ticket, False, exc.message_en)
            return IssueResult(Outcome.PRINT_FAILED, job, ticket, message_zh=exc.message_zh, code=type(exc).__name__,
                               status_url=self.status_url(ticket), zone_name=zone_name, service_name=service_name,
                               window_hint=self._window_hint(ticket))
        await self._report(ticket, True, None)
        return IssueResult(Outcome.PRINTED, job, ticket, warning_zh=result.warning_zh, bytes_printed=result.bytes_sent,
                           zone_name=zone_name, service_name=service_name, window_hint=self._window_hint(ticket))

    async def _report(self, ticket: IssuedTicket, ok: bool, detail: str | None) -> None:
        try:
            await self.hub.report_printed(ticket.id, ok, detail)
        except (HubError, HubUnreachable) as exc:
            # The citizen already has their number; the log keeps the fault for the technician.
            log.error("could not report printed=%s for ticket %s: %s", ok, ticket.number, exc)
