// The live dashboard: one aggregated document (/api/v1/stats/today) drawn into zone cards,
// fetched again (debounced) whenever the event stream reports something. Nothing polls.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const STATE_ZH = { idle: "空闲", called: "已呼叫", serving: "办理中", on_hold: "挂起", paused: "暂停", closed: "未登录" };
  const DEBOUNCE_MS = 250;
  let timer = null, inFlight = false, again = false;
  let rate = 0, crossing = null; // the hall clock's rate; the timer that reads again at the level

  const el = ManagerSignIn.el;
  const pct = (v) => (v == null ? "—" : `${(v * 100).toFixed(1)}%`);
  const dur = (s) => HallQ.formatDuration(s);
  const est = (m) => (m == null ? "无窗口" : HallQ.formatMinutes(m));

  function drawTotals(data) {
    const t = data.totals;
    $("t-issued").textContent = t.issued; $("t-waiting").textContent = t.waiting;
    $("t-in-service").textContent = t.in_service; $("t-served").textContent = t.served;
    $("t-no-shows").textContent = t.no_shows; $("t-wait-mean").textContent = dur(t.wait_mean_s);
    $("t-wait-p90").textContent = dur(t.wait_p90_s); $("t-over-kpi").textContent = pct(t.over_kpi_share);
    $("t-windows").textContent = `${t.windows_open}/${t.windows_paused}/${t.windows_closed}`;
    $("t-followups").textContent = `${data.followups.open}/${data.followups.overdue}`; // 差评回访整改
    $("level").textContent = data.service_level_min;
    $("hall-name").textContent = data.hall;
    $("updated").textContent = `数据时间 ${data.time}`;
    $("issuing").textContent = data.issuing.message; $("issuing").hidden = data.issuing.open; // 今日不办公 …
  }

  function drawAlerts(alerts) {
    $("alerts").replaceChildren(...alerts.map((a) =>
      // A device's fault in the technician's words too, on hover (the port, the printer's answer).
      el("li", { "data-kind": a.kind, "data-zone": a.zone, "data-queue": a.queue || "", title: a.detail || "" }, a.message)));
    $("no-alerts").hidden = alerts.length > 0;
    // How many, in the heading: a long list scrolls in its box and its length showed nowhere.
    $("alert-count").textContent = alerts.length ? `（${alerts.length}）` : "";
  }

  function drawZones(data) {
    const level = data.service_level_min * 60;
    const alarmed = new Set(data.alerts.map((a) => a.zone));
    $("zones").replaceChildren(...data.zones.map((z) => {
      const rows = z.queues.map((q) => el("tr", { "data-queue": q.prefix, class: q.longest_wait_s > level ? "late" : "" },
        el("td", {}, q.prefix), el("td", { class: "qname" }, q.name), el("td", { class: "num waiting" }, String(q.waiting)),
        growing(el("td", { class: "num longest" }), q.waiting ? q.longest_wait_s : null),
        // A wait past what is left of today's hours reads as that, not as 7小时40分.
        el("td", { class: "num estimate", title: q.beyond_today ? `预计${est(q.estimated_wait_min)}，超过今日剩余办理时间` : "" },
          q.waiting ? (q.beyond_today ? "今日办不完" : est(q.estimated_wait_min)) : "—"),
        el("td", { class: "num" }, String(q.open_windows)), el("td", { class: "num" }, String(q.issued_today))));
      const fact = (label, value, cls) => el("span", {}, `${label} `, el("b", { class: cls || "" }, value));
      return el("div", { class: `card zone${alarmed.has(z.code) ? " alarm" : ""}`, "data-zone": z.code },
        el("h2", {}, el("span", {}, `${z.code} ${z.name}`), el("span", { class: "muted" }, `柜台 开${z.windows.open} 停${z.windows.paused} 关${z.windows.closed}`)),
        el("div", { class: "facts" },
          fact("等候", String(z.waiting), "zone-waiting"), fact("最长等候", growing(el("span"), z.waiting ? z.longest_wait_s : null), "zone-longest"),
          fact("预计等候", z.waiting ? est(z.estimated_wait_min) : "—"), fact("取号", String(z.issued)),
          fact("办结", String(z.served), "zone-served"), fact("过号", String(z.no_shows)),
          fact("平均等候", dur(z.wait_mean_s)), fact("P90", dur(z.wait_p90_s)), fact("超时", pct(z.over_kpi_share))),
        el("table", {}, el("thead", {}, el("tr", {}, ...["队列", "业务", "等候", "最长", "预计", "窗口", "取号"]
          .map((h, i) => el("th", { class: i > 1 ? "num" : "" }, h)))), el("tbody", {}, ...rows)));
    }));
  }

  const growing = (cell, seconds) => HallQ.showWait(cell, seconds, rate); // grows between readings

  // Read again just after the longest wait of some queue passes the service level, so its alert
  // shows on time in a quiet hall (no event would bring it); nothing polls.
  function readAgainAtCrossing(data) {
    clearTimeout(crossing);
    if (!(data.clock_rate > 0)) return;
    const level = data.service_level_min * 60;
    const left = data.zones.flatMap((z) => z.queues)
      .filter((q) => q.waiting && q.longest_wait_s != null && q.longest_wait_s <= level)
      .map((q) => (level - q.longest_wait_s) / data.clock_rate);
    if (left.length) crossing = setTimeout(schedule, Math.min(...left) * 1000 + DEBOUNCE_MS);
  }

  function drawWindows(windows) {
    $("window-tiles").replaceChildren(...windows.map((w) => {
      let state = STATE_ZH[w.state] || w.state;
      if (w.state === "paused") state += `（${w.paused_label || w.paused_reason}）`;
      // Who works there, by name (the id only in the tooltip): a manager looks for 张三, not staff01.
      return el("div", { class: `win win-${w.state}`, "data-window": w.id, title: w.staff_id || "" },
        el("span", { class: "name" }, `${w.zone} · ${w.name}`), el("span", { class: "person" }, w.staff_name || ""),
        el("span", { class: `state state-${w.state}` }, state), el("span", { class: "current" }, w.current || ""));
    }));
  }

  // The cases sent to each back office (受、转、办、结's 办): the queue counts leave them out, so
  // without this a case could wait for a room nobody staffed and the manager never saw it.
  function drawBackOffices(rooms) {
    $("back-offices-card").hidden = rooms.length === 0;
    $("back-offices").querySelector("tbody").replaceChildren(...rooms.map((b) => {
      let state = STATE_ZH[b.state] || b.state;
      if (b.state === "paused") state += `（${b.paused_label || b.paused_reason}）`;
      return el("tr", { "data-window": b.id, class: b.waiting && b.state === "closed" ? "late" : "" },
        el("td", {}, `${b.zone} · ${b.name}`), el("td", { class: "person", title: b.staff_id || "" }, b.staff_name || "—"),
        el("td", { class: "state" }, state), el("td", { class: "num current" }, b.current || "—"),
        el("td", { class: "num waiting" }, String(b.waiting)), growing(el("td", { class: "num longest" }), b.waiting ? b.longest_wait_s : null),
        el("td", { class: "num on-hold" }, String(b.on_hold)));
    }));
  }

  async function load() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    try {
      const data = await HallQ.api("GET", "/stats/today");
      rate = data.clock_rate;
      readAgainAtCrossing(data);
      drawTotals(data); drawAlerts(data.alerts); drawZones(data); drawBackOffices(data.back_offices); drawWindows(data.windows);
    } catch (error) {
      if (error.status === 401) { HallQ.setToken(null); location.reload(); return; }
      $("updated").textContent = `刷新失败：${error.message}`;
    } finally {
      inFlight = false;
      if (again) { again = false; schedule(); }
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(load, DEBOUNCE_MS);
  }

  function onStatus(state) {
    if (state === "refused") { HallQ.setToken(null); location.reload(); return; } // the session ended: sign in again
    const conn = $("conn");
    conn.hidden = false; conn.dataset.state = state;
    conn.textContent = state === "online" ? "● 已连接" : "● 未连接";
    if (state === "online") schedule(); // after a reconnect the replay may be partial: read the whole state
  }

  async function start() {
    const me = await ManagerSignIn.require();
    $("who-name").textContent = me.display_name || me.name;
    $("sign-out").hidden = false;
    $("sign-out").addEventListener("click", ManagerSignIn.signOut);
    $("view-board").hidden = false;
    await load();
    HallQ.subscribe({}, schedule, onStatus);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
