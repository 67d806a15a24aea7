// The citizen's ticket page: read once, then update only when the hall pushes an event.
"use strict";

(() => {
  const token = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
  const STATUS = {
    waiting: "等候中", called: "已叫号", serving: "正在办理", on_hold: "暂挂中",
    finished: "已办结", no_show: "已过号", cancelled: "已取消", closed: "已结束",
  };
  // What to do next for a ticket that ended without being served. HALL.md 过号重排: a late
  // citizen is put back behind the current ticket; a cancelled or day-closed one takes a new one.
  const ENDED = {
    no_show: "如仍需办理，请到办理窗口说明，工作人员可为您重新排队",
    cancelled: "本号已取消。如仍需办理，请到取号机重新取号",
    closed: "今日已下班，本号已失效。如仍需办理，请下个工作日重新取号",
  };
  const LEVELS = [[5, "非常满意"], [4, "满意"], [3, "基本满意"], [2, "不满意"], [1, "非常不满意"]];
  const $ = (id) => document.getElementById(id);
  let current = null;
  // The status, the call and the messages are live regions (role status / alert): a screen reader
  // reads them out at every write, even of the same words, and every event re-reads the ticket.
  // Only what changed is written, so a blind citizen hears the call once, not at each event.
  function say(id, text) { if ($(id).textContent !== text) $(id).textContent = text; }
  // The error line has two writers. Reading the ticket, again at every event of the stream: a
  // read that succeeds takes its own fault away. And the citizen's last action (a number or a
  // rating the hub refused): that stays until they edit or send again, or it succeeds; the next
  // event's read used to erase it, often before it could be read.
  const faults = { read: "", action: "" };
  function fault(kind, text) {
    faults[kind] = text;
    say("error", [faults.action, faults.read].filter(Boolean).join(" "));
  }

  function show(s) {
    current = s;
    $("ticket").hidden = false;
    say("number", s.number);
    // The hub names the zone and queue the ticket is in NOW: names read once from the catalogue
    // lacked the queue of another zone after a transfer, and the page showed its code ("A1").
    say("where", `${s.zone_name || s.zone + "区"} · ${s.queue_name || s.queue}`);
    say("item", s.item_name || "");
    $("item").hidden = $("item-label").hidden = !s.item_name;
    const open = ["waiting", "called", "serving", "on_hold"].includes(s.status);
    // The paper's 【绿色通道】/【预约】: an elderly citizen saw a plain number on the phone and
    // wondered whether the green channel had been taken, and a 前面等候 count that jumped.
    say("mark", !open ? "" : s.appointment ? "预约 · 优先叫号" : s.priority ? "绿色通道 · 优先叫号" : "");
    $("mark").hidden = !$("mark").textContent;
    // A back office works behind the windows and calls silently: the citizen waits where they are.
    if (s.back_office && open) {
      say("status", "后台审批中");
      $("call").hidden = false;
      say("call", "您的事项已转后台审批室办理，无需前往，请在等候区留意叫号或工作人员通知");
      $("facts").hidden = true;
    } else if (s.status === "on_hold") {
      // Parked at a window (e.g. to fetch a document): the clerk calls the case back there.
      say("status", STATUS.on_hold);
      $("call").hidden = false;
      say("call", `您的事项在${s.window_name || "办理窗口"}暂挂，材料备齐后请留意叫号，回到该窗口继续办理`);
      $("facts").hidden = true;
    } else if (ENDED[s.status]) {
      // Ended unserved: what to do next (已取消 / 已结束 said nothing more), not in the green of a call.
      say("status", STATUS[s.status]);
      $("call").hidden = false;
      say("call", ENDED[s.status]);
      $("facts").hidden = true;
    } else {
      // A recall looked exactly like the first call; the citizen must hurry before it lapses (过号).
      const recalled = s.status === "called" && s.call_count > 1;
      say("status", recalled ? `第${s.call_count}次叫号，请尽快前往` : STATUS[s.status] || s.status);
      const called = s.status === "called" && s.window_name;
      // A transferred case waited again under 等候中 alone, while the call would come from another
      // zone's speaker or a window the citizen had not met: say where to wait.
      const zone = s.zone_name || `${s.zone}区`;
      const moved = s.status === "waiting" && s.transferred;
      const to = s.target_window_name || s.queue_name || s.queue;
      $("call").hidden = !called && s.status !== "serving" && !moved;
      say("call", called ? `请到${s.window_name}办理` : moved ? `您的事项已转至${to}，请到${zone}等候叫号`
        : (s.window_name ? `正在${s.window_name}办理` : ""));
      $("facts").hidden = s.status !== "waiting";
    }
    $("call").classList.toggle("ended", Boolean(ENDED[s.status]));
    say("ahead", `${s.people_ahead} 人`);
    // Where the call will come from: the queue's windows open now (none open: 预计等候 says so).
    const windows = s.open_windows || [];
    $("windows-label").hidden = $("windows").hidden = windows.length === 0;
    say("windows", windows.join("、"));
    // No estimate means no window of the queue is open now: "即将叫号" would be untrue.
    say("wait", s.estimated_wait_min == null ? "暂无窗口办理，请稍候" : (s.people_ahead === 0 ? "即将叫号" : `约 ${s.estimated_wait_min} 分钟`));
    // Or invited at the window, while served; and once rated, whatever the status: a rating given
    // while still served (invited) hid its card, and the citizen never saw what they had given.
    const rateable = s.status === "finished" || s.rating_invited || s.rated;
    const closed = !s.rated && !s.rating_open; // past the hall's rating days: the hub would refuse it
    $("rating").hidden = !rateable;
    say("rating-title", s.rated || closed ? "服务评价" : "请您评价本次服务"); // no longer asking once given
    $("levels").hidden = s.rated || closed || chosen !== null;
    $("confirm").hidden = s.rated || closed || chosen === null;
    const given = LEVELS.find(([score]) => score === s.rating);
    // A bad rating (1-2) is acknowledged as one: "感谢" alone read as if nothing would come of it.
    const thanks = s.rated && s.rating <= 2 ? "感谢您的评价，很抱歉本次服务让您不满意。" : "感谢您的评价！";
    say("rated", s.rated ? `您的评价：${given ? given[1] : s.rating + " 分"}。${thanks}`
      : closed ? `评价期已过：办事后${s.rating_days}日内可以评价。` : "一次一评，评价提交后不可修改。");
  }

  // After a bad rating (1-2) the hall calls back (差评回访): the citizen may leave a number for it.
  // Asked only then, and shown back masked: whoever holds the paper ticket can open this page.
  async function showCallback(s) {
    if (!s.rated || s.rating > 2) { $("callback").hidden = true; return; }
    try {
      const c = await HallQ.api("GET", `/status/${encodeURIComponent(token)}/callback`);
      $("callback").hidden = !c.state; // no follow-up: not a bad rating
      // Every bad rating is followed up (docs/assessment.md 差评回访整改), number left or not: said
      // until the follow-up is closed, when its state says it all.
      $("callback-promise").hidden = c.state === "closed";
      $("callback-promise").textContent = callbackPromise(c);
      // A number is taken (or corrected) while the contact is to be made, but not while the hall
      // is calling the one left; and once more after the hall's calls found nobody.
      $("callback-form").hidden = !c.offered;
      $("callback-intro").hidden = !c.offered;
      say("callback-left", callbackLine(c));
    } catch (err) { fault("read", err.message); }
  }
  // The day the hall's next step is due (its rules: so many working days after the visit); once
  // that day has passed, a date in the past would read as a promise already broken: 尽快.
  function callbackPromise(c) {
    const by = c.due && !c.overdue ? `于${Number(c.due.slice(0, 4))}年${Number(c.due.slice(5, 7))}月${Number(c.due.slice(8, 10))}日前` : "尽快";
    return c.state === "rectify" ? `大厅已回访核实，整改情况将${by}反馈给您。` : `大厅将${by}回访核实，并将整改情况反馈给您。`;
  }
  function callbackLine(c) {
    if (c.calling) return `工作人员正在按您留下的电话 ${c.phone} 回访，请留意来电。`;
    if (!c.offered) return `回访状态：${c.state_zh || ""}`;
    if (c.unreachable) return `工作人员多次致电${c.phone ? " " + c.phone + " " : ""}未能联系上您。如希望电话回访，请留下能接通的号码。`;
    return c.phone ? `已留下回访电话：${c.phone}。工作人员将尽快与您联系；如号码有误，可重新填写。` : "";
  }
  $("callback-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    fault("action", "");
    try {
      await HallQ.api("POST", `/status/${encodeURIComponent(token)}/callback`,
        { phone: $("callback-phone").value.trim(), consent: $("callback-consent").checked });
      $("callback-phone").value = "";
      await refresh();
    } catch (err) {
      // Refused because the follow-up moved on (the hall called meanwhile): show where it is now,
      // and why.
      fault("action", err.message);
      if (err.status === 409) await refresh();
    }
  });
  // Correcting the number or the consent answers the refusal: it goes.
  for (const id of ["callback-phone", "callback-consent"]) $(id).addEventListener("input", () => fault("action", ""));

  // Returns whether the page could read its ticket; false for a network fault (worth retrying),
  // "missing" for a token no ticket has (never worth retrying).
  async function refresh() {
    try {
      const s = await HallQ.api("GET", `/status/${encodeURIComponent(token)}`);
      show(s);
      fault("read", "");
      await showCallback(s);
      return true;
    } catch (err) {
      fault("read", err.status === 404 ? "未找到该号票，请核对二维码" : err.message);
      return err.status === 404 ? "missing" : false;
    }
  }

  // One rating a visit and never changed: a tap only chooses; 确认提交 sends (a shaky finger's
  // first tap was final).
  let chosen = null;
  function choose(level) {
    chosen = level;
    fault("action", "");
    if (level) say("chosen", `您选择了：${level[1]}`);
    if (current) show(current);
  }
  for (const level of LEVELS) {
    const button = document.createElement("button");
    button.textContent = level[1];
    button.dataset.score = String(level[0]);
    button.addEventListener("click", () => choose(level));
    $("levels").appendChild(button);
  }
  $("change-rating").addEventListener("click", () => choose(null));
  $("submit-rating").addEventListener("click", async () => {
    if (!chosen) return;
    fault("action", "");
    try {
      await HallQ.api("POST", `/status/${encodeURIComponent(token)}/rating`, { score: chosen[0] });
      chosen = null;
      await refresh();
    } catch (err) { fault("action", err.message); }
  });

  // A phone in a hall often has a weak signal: until the first read succeeds, try again every few
  // seconds (longer each time, at most 30 s) instead of leaving an error on the screen.
  async function firstRead() {
    for (let delay = 2000; ; delay = Math.min(delay * 2, 30000)) {
      const read = await refresh();
      if (read === true || read === "missing") return read === true;
      say("link", "连接中断，正在重试…");
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  firstRead().then((found) => {
    if (!found) { say("link", ""); return; } // no such ticket: nothing to follow
    // The hub sends only what concerns this ticket: its own events wherever it goes, its queue's
    // (people ahead) and its queue's windows opening or closing (the estimate). Re-read on each.
    HallQ.subscribe({ ticket: token }, () => refresh(), (state) => {
      say("link", state === "online" ? "实时更新中" : "连接中断，正在重连…");
      if (state === "online") refresh();  // anything missed while away is replayed, but re-read too
    });
  });
})();
