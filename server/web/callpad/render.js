// Drawing the pad from hub data. Only builds DOM from data; never calls the hub.
// Everything built here is text (textContent), never HTML from data, so nothing a ticket or a
// name contains can inject markup.
"use strict";

const PadRender = (() => {
  const STATUS_LABELS = { waiting: "等候中", called: "已呼叫", serving: "办理中", on_hold: "挂起中" };

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "className") node.className = value;
      else if (key.startsWith("data-")) node.setAttribute(key, value);
      else node[key] = value;
    }
    if (text != null) node.textContent = text;
    return node;
  }

  function windowStateText(window, hall) {
    if (!window.staff_id) return "未登录";
    if (window.paused_reason != null) {
      const label = (hall.pause_reasons || {})[window.paused_reason] || window.paused_reason;
      return `暂停中（${label}）`;
    }
    if (window.current_ticket) return STATUS_LABELS[window.current_ticket.status] || window.current_ticket.status;
    return "空闲";
  }

  // waited: the case's 等候时长 in seconds (PadRules.legWait), null for none.
  function ticket(window, hall, queueNames, maxRecalls, waited) {
    const t = window.current_ticket;
    $("window-name").textContent = window.name;
    const state = $("window-state");
    state.textContent = windowStateText(window, hall);
    state.dataset.state = window.paused_reason != null ? "paused" : (t ? t.status : "idle");
    $("ticket-number").textContent = t ? t.number : "—";
    $("ticket-queue").textContent = t ? `${t.queue} ${queueNames[t.queue] || ""}`.trim() : "—";
    $("ticket-status").textContent = t ? (STATUS_LABELS[t.status] || t.status) : "—";
    $("ticket-calls").textContent = t ? `${t.call_count} 次` : "—";
    $("ticket-waited").textContent = t && waited != null ? HallQ.formatDuration(waited) : "—";
    const marks = $("ticket-marks");
    marks.replaceChildren();
    if (t && t.priority) {
      const label = (hall.priority_classes || {})[t.priority_class];
      marks.append(el("span", { className: "mark priority" }, label ? `绿色通道·${label}` : "绿色通道"));
    }
    if (t && t.appointment) marks.append(el("span", { className: "mark appointment" }, "预约"));
    if (t && t.leg > 1) marks.append(el("span", { className: "mark transferred" }, "转办件"));
    const used = PadRules.recallsUsed(t);
    $("recall-count").textContent = t && t.status === "called" ? `${used}/${maxRecalls}` : "";
  }

  function queues(rows, clockRate) {
    const body = $("queue-rows");
    body.replaceChildren(
      ...rows.map((q) => {
        const tr = el("tr", { "data-queue": q.prefix });
        const waiting = q.waiting_priority ? `${q.waiting}（优先 ${q.waiting_priority}）` : String(q.waiting);
        tr.append(
          el("td", {}, q.prefix),
          el("td", {}, q.name),
          el("td", { className: "waiting" }, waiting),
          HallQ.showWait(el("td", { className: "longest" }), q.longest_wait_s, clockRate), // grows between readings
        );
        return tr;
      }),
    );
  }

  // noteOf(ticket): the reason given when it was parked, "" for none, undefined while unknown.
  // Drawn again only when the cases or their notes change: every read of the window redrew the
  // list, and a click landing while its button was replaced (pressed on the old one, released on
  // the new) did nothing.
  function parked(tickets, noteOf, onResume) {
    $("parked-box").hidden = tickets.length === 0;
    const drawn = JSON.stringify(tickets.map((t) => [t.number, noteOf(t)]));
    if ($("parked-list").dataset.drawn === drawn) return;
    $("parked-list").dataset.drawn = drawn;
    $("parked-list").replaceChildren(
      ...tickets.map((t) => {
        const button = el("button", { type: "button", "data-parked": t.number }, `恢复办理 ${t.number}`);
        button.addEventListener("click", () => onResume(t.number));
        const note = noteOf(t);
        const reason = el("span", { className: "park-note" }, note ? `挂起原因：${note}` : note === "" ? "挂起原因：未填写" : "");
        const item = el("span", { className: "parked-case", "data-parked-case": t.number });
        item.append(button, reason);
        return item;
      }),
    );
  }

  function buttons(allowed) {
    for (const button of document.querySelectorAll("#buttons button[data-action]")) {
      const action = button.dataset.action;
      button.disabled = !allowed[action];
      // One of 暂停/恢复 at a time: they share the P key.
      if (action === "pause") button.hidden = allowed.resume;
      if (action === "resume") button.hidden = !allowed.resume;
    }
    for (const button of document.querySelectorAll("#parked-list button")) button.disabled = !allowed.resumeParked;
  }

  // Windows grouped by zone. Not choosable: a window someone else is logged in at, and another
  // unit's window for a clerk of a unit (server/seating.py; the hub refuses it as other_unit).
  function otherUnit(window, account) {
    return !!(window.unit && account.unit && window.unit !== account.unit);
  }

  function choosable(window, account) {
    return (!window.staff_id || window.staff_id === account.username) && !otherUnit(window, account);
  }

  function windowChoice(windows, zones, account, units, chosen, onChoose) {
    const container = $("window-groups");
    container.replaceChildren();
    const unitName = (code) => ((units || []).find((u) => u.code === code) || { name: code }).name;
    for (const zone of zones) {
      const inZone = windows.filter((w) => w.zone === zone.code);
      if (!inZone.length) continue;
      const group = el("fieldset", { className: "zone-group", "data-zone": zone.code });
      group.append(el("legend", {}, `${zone.code} ${zone.name}`));
      for (const w of inZone) {
        const label = w.kind === "back_office" ? `${w.name}（后台）` : w.name;
        const button = el("button", { type: "button", className: "window-choice", "data-window": w.id }, label);
        if (w.staff_id && w.staff_id !== account.username) button.title = `已由 ${w.staff_id} 登录`;
        else if (otherUnit(w, account)) button.title = `${unitName(w.unit)}的窗口`;
        button.disabled = !choosable(w, account);
        if (w.id === chosen) button.classList.add("chosen");
        button.addEventListener("click", () => onChoose(w.id));
        group.append(button);
      }
      container.append(group);
    }
  }

  function connection(state) {
    const node = $("conn");
    node.hidden = false;
    node.dataset.state = state;
    node.textContent = state === "online" ? "● 已连接" : "● 连接中断，正在重连…";
  }

  function choices(containerId, labels, onPick) {
    const container = $(containerId);
    container.replaceChildren(
      ...Object.entries(labels).map(([code, label], index) => {
        const button = el("button", { type: "button", "data-choice": code }, "");
        button.append(document.createTextNode(`${label} `), el("kbd", {}, String(index + 1)));
        button.addEventListener("click", () => onPick(code));
        return button;
      }),
    );
  }

  // A list filled again (a search answered late, the window list re-read) keeps an option the
  // clerk picked (dataset.picked, set on change, cleared when the panel opens) while it is still
  // offered; otherwise the new first option, the best one, is chosen: keeping whatever happened
  // to be selected kept the old list's top window after it had emptied.
  function options(select, items) {
    const picked = select.dataset.picked;
    select.replaceChildren(...items.map(([value, label]) => el("option", { value }, label)));
    if (picked && items.some(([value]) => value === picked)) select.value = picked;
  }

  return { $, ticket, queues, parked, buttons, windowChoice, choosable, connection, choices, options, STATUS_LABELS };
})();
