// Which pad actions are valid in a window's current state. Pure functions, no DOM.
// They mirror the engine's own checks (server/engine/engine.py) so a button is enabled only when
// the hub would accept the action; the hub still decides, and a refusal is shown to the staff.
"use strict";

const PadRules = (() => {
  // window: GET /api/v1/windows/{id}; parkedCount: tickets this window has on hold.
  function enabled(window, maxRecalls, parkedCount) {
    const loggedIn = !!(window && window.staff_id);
    const paused = loggedIn && window.paused_reason != null;
    const ticket = loggedIn ? window.current_ticket : null;
    const status = ticket ? ticket.status : null;
    const free = loggedIn && !paused && !ticket;
    const open = status === "called" || status === "serving";
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
      invite: status === "serving" && ticket.rating == null,
      logout: loggedIn && !ticket && !parkedCount, // a parked case only this window can resume
      handOver: loggedIn && !ticket, // 交接: a colleague takes the window, parked cases included
      appeals: loggedIn,
    };
  }

  // Recalls made so far (the first call is not a recall) and how many the hall allows.
  function recallsUsed(ticket) {
    return ticket ? Math.max(ticket.call_count - 1, 0) : 0;
  }

  return { enabled, recallsUsed };
})();
