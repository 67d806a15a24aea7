"""Bad-rating follow-up endpoints (差评回访整改): the manager's and chiefs' list and steps, and the
citizen's call-back number from the status page (server/stats/followups.py has the rules)."""
from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import Field

from server.accounts import Principal, Role
from server.api.bodies import Body, LongReason, Note
from server.api.keys import CONFIG, DATABASE, ENGINE
from server.api.routing import Route, choice_param, int_param, json_response, one_of
from server.errors import HallQError
from server.stats.followups import FINDINGS, STATES, FollowUp
from server.stats.labels import person_label, staff_names
from server.stats.routes import FACTS, FOLLOWUPS, REVIEWERS, report_filters


class AttemptBody(Body):
    reached: bool
    note: Note = ""
    """What was said or why not reached (e.g. 无人接听), kept in the audit trail."""


class FindingBody(Body):
    finding: Annotated[str, Field(min_length=1, max_length=16)]
    note: Note = ""


class RectificationBody(Body):
    measures: LongReason
    """整改措施 and how the result was fed back to the citizen."""


class CallbackBody(Body):
    phone: Annotated[str, Field(max_length=30)]
    consent: bool


async def worker_unit(request: web.Request, principal: Principal) -> str | None:
    """The unit whose follow-ups the caller works: None (the whole hall) for a manager, their own
    unit for a chief (refused when their account has none, as their reports are). A chief's are
    the bad ratings of their unit's tickets, read from the ticket facts as their report reads
    them: the facts are caught up first, so a rating given a moment ago is not missing."""
    if principal.role is not Role.CHIEF:
        return None
    unit = report_filters(request, principal)["unit"]
    await request.app[FACTS].catch_up_all()
    return unit


async def list_followups(request: web.Request, principal: Principal) -> web.Response:
    unit = await worker_unit(request, principal)
    items = await request.app[FOLLOWUPS].list(unit, choice_param(request, "state", STATES))
    names = await request.app[DATABASE].read(staff_names)
    people = {f.staff_id for f in items if f.staff_id} | {p for f in items for p in (f.contacted_by, f.found_by, f.rectified_by) if p}
    return json_response({"followups": items, "names": {p: person_label(p, names) for p in sorted(people)},
                          "attempts_needed": request.app[CONFIG].rules.followup_attempts, "findings": FINDINGS,
                          "counts": await request.app[FOLLOWUPS].counts(unit)})


async def record_attempt(request: web.Request, principal: Principal, body: AttemptBody) -> web.Response:
    return json_response(await request.app[FOLLOWUPS].attempt(
        int_param(request, "followup_id"), principal.name, await worker_unit(request, principal), body.reached, body.note))


async def record_finding(request: web.Request, principal: Principal, body: FindingBody) -> web.Response:
    return json_response(await request.app[FOLLOWUPS].find(
        int_param(request, "followup_id"), principal.name, await worker_unit(request, principal), body.finding, body.note))


async def record_rectification(request: web.Request, principal: Principal, body: RectificationBody) -> web.Response:
    return json_response(await request.app[FOLLOWUPS].rectify(
        int_param(request, "followup_id"), principal.name, await worker_unit(request, principal), body.measures))


def _callback_json(followup: FollowUp | None) -> dict[str, object]:
    """What the citizen's page needs: whether to offer the call-back, the number they left,
    masked (the page is opened by whoever holds the paper ticket), and by when the hall's next
    step is due (`due`, None once closed), so the page can promise a day, not 按规定时限."""
    if followup is None:
        return {"offered": False, "calling": False, "unreachable": False, "phone": None, "state": None, "state_zh": None,
                "due": None, "overdue": False}
    return {"offered": followup.takes_a_number, "calling": followup.calling,
            "unreachable": followup.contact_result == "unreachable", "phone": followup.phone,
            "state": followup.state, "state_zh": followup.state_zh,
            "due": followup.due.isoformat() if followup.due else None, "overdue": followup.overdue}


async def callback_status(request: web.Request, _: Principal | None) -> web.Response:
    ticket = (await request.app[ENGINE].ticket_status(request.match_info["token"])).ticket
    return json_response(_callback_json(await request.app[FOLLOWUPS].of_ticket(ticket.id)))


async def leave_callback(request: web.Request, _: Principal | None, body: CallbackBody) -> web.Response:
    """The ticket token is the credential, as for the rating: whoever holds the paper ticket."""
    if not body.consent:
        raise HallQError("consent_required", "请先勾选同意大厅使用该号码回访，我们才能保存您的号码",
                         "the citizen must consent to the call-back before a number is kept", 400)
    ticket = (await request.app[ENGINE].ticket_status(request.match_info["token"])).ticket
    return json_response(_callback_json(await request.app[FOLLOWUPS].leave_phone(ticket.id, body.phone)), 201)


_F = "/api/v1/followups/{followup_id}"
ROUTES = [
    Route("GET", "/api/v1/followups", list_followups, "Bad-rating follow-ups (差评回访整改)", REVIEWERS, tag="stats",
          query={"state": one_of(STATES)}),
    Route("POST", f"{_F}/attempts", record_attempt, "Record a call to the citizen about a bad rating", REVIEWERS,
          AttemptBody, "stats"),
    Route("POST", f"{_F}/finding", record_finding, "Record the finding of a bad rating's follow-up", REVIEWERS,
          FindingBody, "stats"),
    Route("POST", f"{_F}/rectification", record_rectification, "Record the rectification; closes the follow-up",
          REVIEWERS, RectificationBody, "stats"),
    Route("GET", "/api/v1/status/{token}/callback", callback_status, "Whether a citizen's bad rating offers a call-back",
          None, tag="tickets"),
    Route("POST", "/api/v1/status/{token}/callback", leave_callback, "A citizen leaves a call-back number", None,
          CallbackBody, "tickets"),
]
