// The web board of a zone (or the whole hall): the same rules as display/board/model.py.
// State is read once, then the event stream (HallQ.subscribe, from the state's last_seq) keeps it
// live; a dropped connection replays what was missed. Nothing polls. No staff ids are shown.
"use strict";

(() => {
  const RECENT = 8;
  const CALL_KINDS = new Set(["ticket.called", "ticket.recalled", "ticket.resumed"]);
  // A transferred case waits again for another window or a back office: its line at the old window
  // read as still served there (and twice once called at the next). A finished, no-show or parked
  // case keeps its line, the number a citizen looks for.
  const LEAVE_KINDS = new Set(["ticket.transferred"]);
  const WAITING_DELTA = {
    "ticket.issued": 1, "ticket.requeued": 1, "ticket.transferred": 1,
    "ticket.called": -1, "ticket.cancelled": -1,
  };
  // A window serves its queues while someone is logged in and it is not paused (the engine's rule).
  const WINDOW_OPENS = { "window.login": true, "window.resumed": true, "window.logout": false, "window.paused": false };
  const WEEKDAYS = "日一二三四五六";
  const $ = (id) => document.getElementById(id);

  const params = new URLSearchParams(location.search);
  const zone = params.get("zone") || null;
  // A TV is set up once with ?token=…: keep it for this tab and take it out of the address bar.
  if (params.has("token")) {
    HallQ.setToken(params.get("token"));
    params.delete("token");
    history.replaceState(null, "", `${location.pathname}${params.toString() ? "?" + params : ""}`);
  }

  const board = { lastSeq: -1, hallDay: "", queues: new Map(), recent: [], windowQueues: new Map(), openNow: new Set(),
    dayCheckedAt: -Infinity, dayReload: null, page: 0 };
  const DAY_RECHECK_MS = 60000; // after the page's day changes, how often it asks whether the hub's has too

  function callText(call) {
    const where = call.windowNumber != null ? `${call.windowNumber}号窗口` : (call.windowName || "窗口");
    return `请 ${call.number} 号 到 ${where}`;
  }

  // A queue nobody serves says so even when nobody waits: 无需等候 would send a citizen to take a
  // ticket no window calls.
  function waitText(q) {
    if (q.openWindows === 0) return "暂无窗口";
    if (q.waiting === 0) return "无需等候";
    if (q.estimate == null) return "暂无窗口";
    return `约${Math.max(1, q.estimate)}分钟`;
  }

  // The engine's estimate from the board's own counts: people x minutes a person / open windows.
  function estimate(q) {
    if (q.waiting === 0) q.estimate = 0;
    else if (q.openWindows === 0) q.estimate = null;
    else if (q.serviceMin != null) q.estimate = Math.ceil(q.waiting * q.serviceMin / q.openWindows);
  }

  function setWaiting(q, waiting) {
    q.waiting = Math.max(0, waiting);
    estimate(q);
  }

  function setWindowOpen(windowId, open) {
    const queues = board.windowQueues.get(windowId);
    if (!queues || board.openNow.has(windowId) === open) return false;
    if (open) board.openNow.add(windowId); else board.openNow.delete(windowId);
    let changed = false;
    for (const prefix of queues) {
      const q = board.queues.get(prefix);
      if (!q) continue;
      q.openWindows = Math.max(0, q.openWindows + (open ? 1 : -1));
      estimate(q);
      changed = true;
    }
    return changed;
  }

  function load(state) {
    board.lastSeq = state.last_seq;
    board.hallDay = state.hall_day;
    board.queues = new Map();
    // The hub sends what this board shows: its zone's queues, windows and events, and the calls
    // that belong here (HallConfig.call_zones). No zone rule of its own: one that differed from
    // the hub's dropped the call of this zone's window to another zone's ticket.
    for (const q of state.queues) {
      board.queues.set(q.prefix, { prefix: q.prefix, name: q.name, waiting: q.waiting, estimate: q.estimated_wait_min,
        openWindows: q.open_windows, serviceMin: q.service_min ?? null });
    }
    // The state's windows move the open counts on their events; one of another zone serving a
    // queue here stays as the hub counted it.
    board.windowQueues = new Map(state.windows.map((w) => [w.id, Object.keys(w.queues || {})]));
    board.openNow = new Set(state.windows.filter((w) => !["closed", "paused"].includes(w.state)).map((w) => w.id));
    // The zone's latest calls, newest first, finished and no-show ones too (none transferred since):
    // seeded only from the calls still at a window, a reloaded board lost the numbers a citizen looks for.
    board.recent = (state.recent_calls || [])
      .map((c) => ({ number: c.number, windowNumber: c.window_number, windowName: c.window_name, at: c.called_at }))
      .slice(0, RECENT);
  }

  function apply(event) {
    if (event.seq <= board.lastSeq) return false;
    board.lastSeq = event.seq;
    let changed = false;
    const q = board.queues.get(event.queue || "");
    const payload = event.payload || {};
    // The evening close of the day's leftovers: only a ticket still waiting leaves the count.
    let delta = event.kind === "ticket.closed" ? (payload.was === "waiting" ? -1 : undefined) : WAITING_DELTA[event.kind];
    if (payload.target_kind === "back_office" || payload.silent) delta = undefined; // a back office's case: not in the count
    if (payload.leaves_only) delta = undefined; // a transfer sent here for its call's line only (StreamFilter.render)
    if (q && delta !== undefined) { setWaiting(q, q.waiting + delta); changed = true; }
    if (event.kind in WINDOW_OPENS && event.window_id) changed = setWindowOpen(event.window_id, WINDOW_OPENS[event.kind]) || changed;
    if (CALL_KINDS.has(event.kind) && !payload.silent && event.number && event.window_id) {
      const call = { number: event.number, windowNumber: payload.window_number, windowName: payload.window_name, at: event.at };
      board.recent = [call, ...board.recent.filter((c) => c.number !== call.number)].slice(0, RECENT);
      changed = true;
      flash();
    } else if (LEAVE_KINDS.has(event.kind) && event.number) {
      const kept = board.recent.filter((c) => c.number !== event.number);
      changed = kept.length !== board.recent.length || changed;
      board.recent = kept;
    }
    return changed;
  }

  function flash() {
    const el = $("current-text");
    el.classList.remove("flash");
    void el.offsetWidth; // restart the animation for a recall of the same number
    el.classList.add("flash");
  }

  function render() {
    const current = $("current-text");
    const [first, ...rest] = board.recent;
    current.textContent = first ? callText(first) : "欢迎光临 请留意叫号";
    current.classList.toggle("idle", !first);
    fitCurrent();
    $("recent").replaceChildren(...rest.map((c) => {
      const li = document.createElement("li");
      li.textContent = callText(c);
      return li;
    }));
    const rows = [...board.queues.values()].sort((a, b) => a.prefix.localeCompare(b.prefix)).map((q) => {
      const tr = document.createElement("tr");
      tr.dataset.queue = q.prefix;
      tr.append(nameCell(q));
      for (const [cls, text] of [["count", `${q.waiting}人`], ["wait", waitText(q)]]) {
        const td = document.createElement("td");
        td.className = cls;
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    });
    $("queues").replaceChildren(...rows);
    showPage();
  }

  // The prefix on the name's first line, the name beside it in up to two lines (board.css).
  function nameCell(q) {
    const td = document.createElement("td"), cell = document.createElement("div");
    const prefix = document.createElement("span"), text = document.createElement("span");
    td.className = "name";
    cell.className = "cell";
    prefix.className = "prefix";
    prefix.textContent = q.prefix;
    text.className = "text";
    text.textContent = q.name;
    cell.append(prefix, " ", text); // the space: the cell's text reads "A1 民政业务"
    td.append(cell);
    return td;
  }

  // Names break between phrases (after 、 or ）, before （), as the pygame board's do: 转|移 split a
  // word. A name that takes more than two lines so, and would not breaking anywhere, breaks
  // anywhere. Run with every row shown (a hidden one has no lines), on each layout of the pages.
  function breakNames() {
    const texts = [...$("queues").querySelectorAll("td.name .text")];
    texts.forEach((text) => { text.classList.add("phrases"); });
    texts.filter((text) => text.scrollHeight > text.clientHeight + parseFloat(getComputedStyle(text).lineHeight) / 2)
      .forEach((text) => { text.classList.remove("phrases"); });
  }

  // The whole hall's board lists more queues than a screen holds (33 in the sample hall, 8 fit
  // at 1080p): it shows them a screenful at a time, turning every PAGE_MS, with 业务（1/4）.
  // A page takes rows while their heights, as laid out, fit below the heading: a two-line name
  // makes its row taller, and a count of rows from the first one's height ran past the panel.
  const PAGE_MS = 8000;
  function showPage() {
    const rows = [...$("queues").children];
    rows.forEach((tr) => { tr.hidden = false; });
    breakNames();
    const room = $("queue-panel").getBoundingClientRect().bottom - $("queue-head").getBoundingClientRect().bottom;
    const pages = [];
    let used = 0;
    for (const tr of rows) {
      const height = tr.getBoundingClientRect().height;
      // Half a pixel over is the rows' collapsed borders, measured all shown; a page starts with a
      // row whatever its height (one taller than the room still gets a page of its own).
      if (!pages.length || used + height > room + 0.5) { pages.push([]); used = 0; }
      pages[pages.length - 1].push(tr);
      used += height;
    }
    const count = Math.max(1, pages.length);
    board.page = board.page % count;
    rows.forEach((tr) => { tr.hidden = true; });
    (pages[board.page] || []).forEach((tr) => { tr.hidden = false; });
    $("queue-title").textContent = count > 1 ? `业务（${board.page + 1}/${count}）` : "业务";
    document.body.dataset.pages = String(count);
  }

  function fitCurrent() {
    // Shrink the big call to its panel if a long window name would overflow it.
    const el = $("current-text"), box = $("current");
    el.style.fontSize = "";
    const room = box.clientWidth * 0.94;
    if (el.scrollWidth > room) el.style.fontSize = `${parseFloat(getComputedStyle(el).fontSize) * room / el.scrollWidth}px`;
  }

  // The hall's own time zone (from /hall), not the TV's: a TV left on UTC showed 10:59 at 18:59.
  let hallTime = null;
  function hallClock(timeZone) {
    try {
      hallTime = new Intl.DateTimeFormat("en-GB", { timeZone, year: "numeric", month: "numeric", day: "numeric",
        weekday: "short", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
    } catch (_) { hallTime = null; } // an unknown zone: the TV's own time
  }

  function clockParts(d) {
    if (!hallTime) {
      return { y: d.getFullYear(), m: d.getMonth() + 1, day: d.getDate(), wd: d.getDay(), h: d.getHours(), min: d.getMinutes(), s: d.getSeconds() };
    }
    const p = Object.fromEntries(hallTime.formatToParts(d).map((x) => [x.type, x.value]));
    const wd = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(p.weekday);
    return { y: +p.year, m: +p.month, day: +p.day, wd, h: +p.hour, min: +p.minute, s: +p.second };
  }

  // A hall clock that runs faster than time (hallq demo, a simulation: /hall's clock_rate > 1)
  // is the board's clock too: the demo's board read 01:04 at night while its calls and the
  // dashboard were at 08:48. A hall on real time keeps the TV's own clock, as before.
  let fastClock = null;
  function now() {
    if (!fastClock) return new Date();
    return new Date(fastClock.at * 1000 + (performance.now() - fastClock.readAt) * fastClock.rate);
  }

  function tick() {
    const d = now(), pad = (n) => String(n).padStart(2, "0"), t = clockParts(d);
    $("clock").textContent = `${t.y}年${t.m}月${t.day}日 星期${WEEKDAYS[t.wd]} ${pad(t.h)}:${pad(t.min)}:${pad(t.s)}`;
    followTheDay(`${t.y}-${pad(t.m)}-${pad(t.day)}`, d.getTime());
  }

  // A board page stays open for weeks: once its clock is in a new hall day, take the new day's
  // state from the hub (at most once a minute until the hub's day has changed too), so the morning
  // does not open with yesterday's last calls. The event stream goes on as it was.
  function followTheDay(today, now) {
    if (!board.hallDay || today === board.hallDay || board.dayReload || now - board.dayCheckedAt < DAY_RECHECK_MS) return;
    board.dayCheckedAt = now;
    board.dayReload = HallQ.api("GET", `/state${zone ? "?zone=" + encodeURIComponent(zone) : ""}`)
      .then((state) => { if (state.hall_day !== board.hallDay) { load(state); render(); } })
      .catch(() => {}) // offline: the next check a minute later tries again
      .finally(() => { board.dayReload = null; });
  }

  function setOnline(online) {
    $("offline").hidden = online;
    $("notice").hidden = !online;
    document.body.dataset.online = online ? "yes" : "no";
  }

  // The hub refused the stream: no display token, or one switched off or replaced. Retrying
  // cannot help and "reconnecting" would send the technician to the network: say what it is.
  function setRefused() {
    // What it loaded stays untrue from now on (no event will move it): clear calls and counts.
    board.recent = []; board.queues = new Map();
    render();
    setOnline(false);
    $("offline").textContent = "本屏未授权（显示设备令牌无效或已停用），请联系技术人员";
    document.body.dataset.online = "refused";
  }

  async function start() {
    tick();
    setInterval(tick, 1000); // the wall clock; it asks the hub for its state only when a new hall day starts
    setInterval(() => { board.page += 1; showPage(); }, PAGE_MS);
    setOnline(false);
    const [zones, hall] = await Promise.all([HallQ.api("GET", "/zones"), HallQ.api("GET", "/hall")]);
    if (hall.clock_rate > 1 && typeof hall.now === "number") fastClock = { at: hall.now, readAt: performance.now(), rate: hall.clock_rate };
    if (hall.timezone) hallClock(hall.timezone);
    tick();
    const named = zones.find((z) => z.code === zone);
    $("title").textContent = named ? `${named.code}区 ${named.name}` : hall.name;
    document.title = `叫号屏 - ${$("title").textContent}`;
    load(await HallQ.api("GET", `/state${zone ? "?zone=" + encodeURIComponent(zone) : ""}`));
    render();
    const query = { since: String(board.lastSeq) };
    if (zone) query.zone = zone;
    HallQ.subscribe(query, (event) => { if (apply(event)) render(); },
      (status) => (status === "refused" ? setRefused() : setOnline(status === "online")));
    document.body.dataset.ready = "yes";
  }

  window.addEventListener("resize", () => { fitCurrent(); showPage(); });
  start().catch((error) => {
    setOnline(false);
    $("offline").textContent = `无法加载叫号屏：${error.message}`;
  });
})();
