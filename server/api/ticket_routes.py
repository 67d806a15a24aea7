"""Tickets: issuing (with idempotency keys), printing reports, ratings, status, staff reads."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from server.accounts import Principal, Role
from server.api.bodies import AppointmentBody, IssueBody, PrintedBody, RatingBody, ReasonBody
from server.api.chief_scope import chief_scope, refuse_other_units_ticket
from server.api.days import check_appointment_day
from server.api.keys import CONFIG, ENGINE
from server.api.routing import TEXT, Route, choice_param, int_param, json_response, one_of, roles
from server.engine.views import IssueRequest, TicketStatus, TicketView
from server.errors import HallQError, bad_request

ISSUERS = roles(Role.KIOSK, Role.STAFF, Role.CHIEF, Role.MANAGER, Role.ADMIN)
RATED_ROLES = frozenset({Role.STAFF, Role.CHIEF})  # the people whose service ratings count
STAFF_UP = roles(Role.STAFF, Role.CHIEF, Role.MANAGER, Role.ADMIN)  # not technicians: devices, not citizens


async def issue_ticket(request: web.Request, principal: Principal, body: IssueBody) -> web.Response:
    if body.priority_class is not None and principal.role in RATED_ROLES:
        # A green-channel number puts its holder first; a clerk issuing one (帮代办 is their only
        # reason to issue at all) could put an acquaintance ahead of the hall. The citizen asks
        # for it at the kiosk, or a hall manager gives it.
        raise HallQError("forbidden", "绿色通道号请在取号机领取或由大厅管理人员发放",
                         "staff may not issue green-channel tickets; a kiosk or a manager does", 403)
    if principal.role == Role.KIOSK and body.person_id is None and body.appointment_code is None \
            and request.app[CONFIG].id_required(body.queue, body.item_code):
        # The hall requires the ID card here (Queue.id_required, rules.id_required_items): without
        # it the per-person daily cap never applied to a kiosk's tickets, and touts took them.
        raise HallQError("id_required", "办理该业务须刷身份证取号，请在取号机上刷身份证",
                         "this queue or item requires the citizen's ID (person_id) for a kiosk ticket", 400)
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (1 <= len(key) <= 100):
        raise bad_request("Idempotency-Key must be 1-100 characters", "幂等键长度应为1-100个字符")
    result = await request.app[ENGINE].issue(
        IssueRequest(
            queue=body.queue,
            item_code=body.item_code,
            priority_class=body.priority_class,
            appointment_code=body.appointment_code,
            person_id=body.person_id,
            idempotency_key=key,
            device=principal.name,
        )
    )
    data = result.to_json()
    if principal.role in RATED_ROLES:
        # The status token is the citizen's credential, rating included: staff who issue a ticket
        # (帮代办) do not get it, or they could rate their own service (HALL.md: staff may invite
        # a rating, never make one). A kiosk prints it as the QR code; a manager's desk may too.
        data["ticket"].pop("status_token", None)
    return json_response(data, status=200 if result.replayed else 201)


async def report_printed(request: web.Request, principal: Principal, body: PrintedBody) -> web.Response:
    """A kiosk reports on the tickets it issued; the answer says only what was recorded."""
    device = principal.name if principal.is_device else None
    ticket = await request.app[ENGINE].mark_printed(int_param(request, "ticket_id"), body.printed, body.detail, device=device)
    return json_response({"id": ticket.id, "number": ticket.number, "printed": ticket.printed})


async def list_tickets(request: web.Request, principal: Principal) -> web.Response:
    """Today's tickets; a chief's, those of their unit and of the window they sit at (chief_scope)."""
    status = choice_param(request, "status", TicketStatus)
    scope = await chief_scope(request, principal)
    return json_response(
        await request.app[ENGINE].tickets_today(
            status=status, queue=request.query.get("queue"),
            window=request.query.get("window"), target_window=request.query.get("target_window"),
            scope=scope.tickets if scope is not None else None,
        )
    )


async def _readable_ticket(request: web.Request, principal: Principal) -> TicketView:
    """The ticket the path names (404 if none); a chief's only if their list would hold it (403):
    its id was enough to read any unit's case."""
    engine = request.app[ENGINE]
    ticket = await engine.ticket(int_param(request, "ticket_id"))
    scope = await chief_scope(request, principal)
    if scope is not None and not await engine.ticket_within(ticket.id, scope.tickets):
        raise refuse_other_units_ticket()
    return ticket


async def get_ticket(request: web.Request, principal: Principal) -> web.Response:
    return json_response(await _readable_ticket(request, principal))


async def get_ticket_events(request: web.Request, principal: Principal) -> web.Response:
    ticket = await _readable_ticket(request, principal)
    return json_response(await request.app[ENGINE].ticket_events(ticket.id))


async def cancel_ticket(request: web.Request, _: Principal, body: ReasonBody) -> web.Response:
    return json_response(await request.app[ENGINE].cancel(int_param(request, "ticket_id"), body.reason))


async def requeue_late(request: web.Request, principal: Principal) -> web.Response:
    """过号重排 by the clerk the late citizen comes back to: logged in at the window that marked
    the no-show or at one serving its queue (anyone staff or up could re-queue any ticket from
    anywhere, a technician too); the hall's managers from anywhere."""
    engine = request.app[ENGINE]
    number = request.match_info["number"]
    if principal.role not in (Role.MANAGER, Role.ADMIN):
        ticket = await engine.ticket_by_number(number)
        mine = [w for w in await engine.windows() if w.staff_id == principal.name]
        if not any(w.id == ticket.window_id or ticket.queue in w.queues for w in mine):
            raise HallQError("forbidden", f"请在办理{ticket.number}号业务的窗口登录后再重新排队",
                             f"log in at a window of queue {ticket.queue} to re-queue {ticket.number}", 403)
    return json_response(await engine.requeue_late(number))


async def ticket_status(request: web.Request, _: Principal | None) -> web.Response:
    """The citizen's own view of their ticket (the QR target); the token is the credential."""
    result = await request.app[ENGINE].ticket_status(request.match_info["token"])
    ticket = result.ticket
    config = request.app[CONFIG]
    window = config.window(ticket.window_id) if ticket.window_id else None
    queue, zone = config.queue(ticket.queue), config.zone(ticket.zone)
    # A case with a back office (sent there, called or handled there): the citizen does not go to
    # a back office (HALL.md: it calls silently), so the page must not name it as a place to go.
    held = ticket.window_id if ticket.status in ("called", "serving", "on_hold") else ticket.target_window
    held_window = config.window(held) if held else None
    back_office = held_window is not None and held_window.kind == "back_office"
    # 邀请评价 reaches the citizen's phone: while being served, the rating opens once invited.
    engine = request.app[ENGINE]
    invited = ticket.status == "serving" and ticket.rating is None and any(
        e.kind == "ticket.rating_invited" for e in await engine.ticket_events(ticket.id))
    return json_response(
        {
            "number": ticket.number,
            "queue": ticket.queue,
            "queue_name": queue.name if queue else None,
            # The item the citizen chose, as the kiosk and the ticket name it (不动产抵押登记（新办）):
            # the page showed only the queue's name (不动产登记), which they never chose.
            "item_name": item.name if (item := config.item(ticket.item_code) if ticket.item_code else None) else None,
            "zone": ticket.zone,
            "zone_name": zone.name if zone else None,
            "status": ticket.status,
            "people_ahead": result.people_ahead,
            "estimated_wait_min": result.estimated_wait_min,
            "window_name": window.name if window else None,
            "call_count": ticket.call_count,  # a recall is the same call again: the page says which
            "back_office": back_office,
            # Moved by a clerk (受、转) and waiting again, maybe in another zone whose speaker calls it:
            # the page says where to wait, and the front window that will call it, if one.
            "transferred": ticket.leg > 1,
            # The marks the paper prints (【绿色通道】/【预约】), never the priority class (personal).
            "priority": ticket.priority and not ticket.appointment,
            "appointment": ticket.appointment,
            "target_window_name": held_window.name if ticket.status == "waiting" and held_window and not back_office else None,
            # Waiting in a queue: the windows open for it now, where the call will come from (the
            # page said only the zone, and a citizen in a hall of ten zones did not know where to look).
            "open_windows": [w.name for w in await engine.open_windows_serving(ticket.queue)]
            if ticket.status == "waiting" and held_window is None else [],
            "rating_invited": invited,
            "issued_at": ticket.issued_at,
            "rated": ticket.rating is not None,
            "rating": ticket.rating,  # the citizen's own score, shown back to them
            # Past rules.rating_days the page says the rating has closed instead of offering stars
            # that the hub would refuse.
            "rating_open": ticket.rating is None and engine.today() <= engine.rating_closes_on(ticket.hall_day),
            "rating_days": config.rules.rating_days,
        }
    )


async def rate_by_citizen(request: web.Request, _: Principal | None, body: RatingBody) -> web.Response:
    engine = request.app[ENGINE]
    result = await engine.ticket_status(request.match_info["token"])
    rated = await engine.rate(result.ticket.id, body.score, "status_page")
    return json_response({"number": rated.number, "rating": rated.rating})


async def book_appointment(request: web.Request, _: Principal, body: AppointmentBody) -> web.Response:
    config = request.app[CONFIG]
    tz = ZoneInfo(config.hall.timezone)
    check_appointment_day(body.day, request.app[ENGINE].today())

    def at(hhmm: str) -> float:
        try:
            return datetime.combine(body.day, datetime.strptime(hhmm, "%H:%M").time(), tz).timestamp()
        except ValueError:
            raise HallQError("invalid_body", "时间格式不正确", f"bad time {hhmm!r}", 400) from None

    booked = await request.app[ENGINE].book_appointment(
        body.code, body.day, body.queue, at(body.slot_start), at(body.slot_end), body.item_code, body.person_id
    )
    return json_response(booked, status=201)


ROUTES = [
    Route("POST", "/api/v1/tickets", issue_ticket, "Issue a ticket", ISSUERS, IssueBody, "tickets"),
    Route("GET", "/api/v1/tickets", list_tickets, "Today's tickets, oldest first, at most 500", STAFF_UP, tag="tickets",
          query={"status": one_of(TicketStatus), "queue": TEXT, "window": TEXT, "target_window": TEXT}),
    Route("GET", "/api/v1/tickets/{ticket_id}", get_ticket, "One ticket", STAFF_UP, tag="tickets"),
    Route("GET", "/api/v1/tickets/{ticket_id}/events", get_ticket_events, "A ticket's events", STAFF_UP, tag="tickets"),
    Route("POST", "/api/v1/tickets/{ticket_id}/printed", report_printed, "Report printing", roles(Role.KIOSK, Role.ADMIN), PrintedBody, "tickets"),
    Route("POST", "/api/v1/tickets/{ticket_id}/cancel", cancel_ticket, "Cancel a waiting ticket", roles(Role.MANAGER, Role.ADMIN),
          ReasonBody, "tickets"),
    Route("POST", "/api/v1/late/{number}", requeue_late, "Re-queue a late no-show", roles(Role.STAFF, Role.CHIEF, Role.MANAGER, Role.ADMIN),
          tag="tickets"),
    Route("GET", "/api/v1/status/{token}", ticket_status, "A citizen's ticket status", None, tag="tickets"),
    Route("POST", "/api/v1/status/{token}/rating", rate_by_citizen, "A citizen rates their visit", None, RatingBody, "tickets"),
    Route("POST", "/api/v1/appointments", book_appointment, "Book an appointment", roles(Role.MANAGER, Role.ADMIN), AppointmentBody, "tickets"),
]
