// Which pad actions are valid in a window's current state. Pure functions, no DOM.
// They mirror the engine's own checks (server/engine/engine.py) so a button is enabled only when
// the hub would accept the action; the hub still decides, and a refusal is shown to the staff.
"use strict";

const PadRules = (() => {
  // window: GET /api/v1/windows/{id}; parkedCount: tickets this window has on hold; sentCount:
  // cases transferred to this window and waiting for it.
  function enabled(window, maxRecalls, parkedCount, sentCount) {
    const loggedIn = !!(window && window.staff_id);
    const paused = loggedIn && window.paused_reason != null;
    const ticket = loggedIn ? window.current_ticket : null;
    const status = ticket ? ticket.status : null;
    const free = loggedIn && !paused && !ticket;
    const open = status === "called" || status === "serving";
    const backOffice = !!window && window.kind === "back_office";
    return {
      callNext: free,
      callNumber: free,
      recall: status === "called" && ticket.call_count <= maxRecalls,
      start: status === "called",
      finish: open,
      noShow: status === "called",
      requeue: loggedIn,
      transfer: open,
      park: open,
      resumeParked: free && parkedCount > 0,
      pause: loggedIn && !paused && !ticket, // a called citizen would read 暂停服务: park first
      resume: paused,
      invite: status === "serving" && ticket.rating == null && !backOffice, // no citizen at a back office
      // A parked case only this window can resume; a case sent here only it can call (a back
      // office's cases may wait for its clerks).
      logout: loggedIn && !ticket && !parkedCount && !(sentCount && !backOffice),
      handOver: loggedIn && !ticket, // 交接: a colleague takes the window, parked cases included
      appeals: loggedIn,
      issueFor: loggedIn, // 代取号, even with a citizen at the counter; offered at the 帮代办 desk only
    };
  }

  // Recalls made so far (the first call is not a recall) and how many the hall allows.
  function recallsUsed(ticket) {
    return ticket ? Math.max(ticket.call_count - 1, 0) : 0;
  }

  // The 帮代办 desk: a window serving the hall's assisted queue (GET /api/v1/hall assisted_queue),
  // where staff issue tickets for citizens the kiosk cannot serve (no ID card, no way with screens).
  function assistedDesk(window, hall) {
    return !!(window && hall.assisted_queue && window.queues && hall.assisted_queue.prefix in window.queues);
  }

  // 等候时长 of the case at the window, as HALL.md defines a leg's wait and the statistics
  // compute it (server/stats/ledger.py): the leg's last call (a call or a recall; taking up a
  // parked case is not a call) before service began (its first start or park), minus the time it
  // entered its queue. `called_at` alone is the resume time of a parked case taken up again, which
  // counted its earlier service and hold as waiting. `events`: the ticket's, in order (GET
  // /tickets/{id}/events); null while not read yet (then the ticket's own last call stands in).
  function legWait(ticket, events) {
    if (!ticket || ticket.called_at == null) return null;
    const all = events || [];
    const leg = all.slice(all.map((e) => e.kind).lastIndexOf("ticket.transferred") + 1);
    let lastCall = null;
    for (const e of leg) {
      if (e.kind === "ticket.serving" || e.kind === "ticket.parked") break;
      if (e.kind === "ticket.called" || e.kind === "ticket.recalled") lastCall = e.at;
    }
    return Math.max((lastCall ?? ticket.called_at) - ticket.queued_at, 0);
  }

  return { enabled, recallsUsed, assistedDesk, legWait };
})();
