// The citizen's ticket page: read once, then update only when the hall pushes an event.
"use strict";

(() => {
  const token = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
  const STATUS = {
    waiting: "等候中", called: "已叫号", serving: "正在办理", on_hold: "暂挂中",
    finished: "已办结", no_show: "已过号", cancelled: "已取消", closed: "已结束",
  };
  const LEVELS = [[5, "非常满意"], [4, "满意"], [3, "基本满意"], [2, "不满意"], [1, "非常不满意"]];
  const $ = (id) => document.getElementById(id);
  let current = null;
  const names = { zone: {}, queue: {} };

  async function loadNames(zone) {
    // Public catalogue reads, once: the status answer carries codes, the citizen reads names.
    try {
      for (const z of await HallQ.api("GET", "/zones")) names.zone[z.code] = z.name;
      for (const q of await HallQ.api("GET", `/queues?zone=${encodeURIComponent(zone)}`)) names.queue[q.prefix] = q.name;
    } catch (_) { /* codes stay visible */ }
  }

  function show(s) {
    current = s;
    $("ticket").hidden = false;
    $("number").textContent = s.number;
    $("where").textContent = `${names.zone[s.zone] || s.zone + "区"} · ${names.queue[s.queue] || s.queue}`;
    $("status").textContent = STATUS[s.status] || s.status;
    const called = s.status === "called" && s.window_name;
    $("call").hidden = !called && s.status !== "serving";
    $("call").textContent = called ? `请到${s.window_name}办理` : (s.window_name ? `正在${s.window_name}办理` : "");
    const waiting = s.status === "waiting";
    $("facts").hidden = !waiting;
    $("ahead").textContent = `${s.people_ahead} 人`;
    $("wait").textContent = s.people_ahead === 0 ? "即将叫号" : (s.estimated_wait_min == null ? "—" : `约 ${s.estimated_wait_min} 分钟`);
    const rateable = s.status === "finished";
    $("rating").hidden = !rateable;
    $("levels").hidden = s.rated;
    $("rated").textContent = s.rated ? "感谢您的评价！" : "一次一评，评价提交后不可修改。";
  }

  async function refresh() {
    try {
      const s = await HallQ.api("GET", `/status/${encodeURIComponent(token)}`);
      if (!(s.zone in names.zone)) await loadNames(s.zone);
      show(s);
      $("error").textContent = "";
    } catch (err) {
      $("error").textContent = err.status === 404 ? "未找到该号票，请核对二维码" : err.message;
    }
  }

  for (const [score, label] of LEVELS) {
    const button = document.createElement("button");
    button.textContent = label;
    button.dataset.score = String(score);
    button.addEventListener("click", async () => {
      try {
        await HallQ.api("POST", `/status/${encodeURIComponent(token)}/rating`, { score });
        await refresh();
      } catch (err) { $("error").textContent = err.message; }
    });
    $("levels").appendChild(button);
  }

  refresh().then(() => {
    if (!current) { $("link").textContent = ""; return; } // no such ticket: nothing to follow
    HallQ.subscribe({ ticket: token }, (event) => {
      // Events of this ticket's queue move it forward (people ahead) or call it: re-read once.
      if (!current || event.number === current.number || event.queue === current.queue) refresh();
    }, (state) => {
      $("link").textContent = state === "online" ? "实时更新中" : "连接中断，正在重连…";
      if (state === "online") refresh();  // anything missed while away is replayed, but re-read too
    });
  });
})();
