// HallQ browser client: API calls with the session token, and the event stream with replay.
// Shared by every page the hub serves. No dependencies, no internet.
"use strict";

const HallQ = (() => {
  const TOKEN_KEY = "hallq.token";

  function token() { return sessionStorage.getItem(TOKEN_KEY); }
  function setToken(value) { value ? sessionStorage.setItem(TOKEN_KEY, value) : sessionStorage.removeItem(TOKEN_KEY); }

  class ApiError extends Error {
    constructor(status, body) {
      const err = (body && body.error) || {};
      super(err.message || `服务器暂时无法处理（HTTP ${status}），请稍后再试`);
      this.status = status; this.code = err.code || "http_error"; this.messageEn = err.message_en; this.details = err.details;
    }
  }

  // extraHeaders: e.g. an Idempotency-Key, so a request re-sent after a lost answer is not done twice.
  async function api(method, path, body, extraHeaders) {
    const headers = { "Accept": "application/json", ...(extraHeaders || {}) };
    if (token()) headers["Authorization"] = `Bearer ${token()}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) { // no answer at all (network down, hub restarting): said in Chinese, status 0
      throw new ApiError(0, { error: { code: "unreachable", message: "无法连接服务器，请检查网络后重试", message_en: String(err) } });
    }
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  async function login(username, password) {
    const data = await api("POST", "/auth/login", { username, password });
    setToken(data.token);
    return data;
  }

  async function logout() {
    try { await api("POST", "/auth/logout"); } finally { setToken(null); }
  }

  // Subscribe to hall events. Reconnects with back-off and replays from the last sequence seen,
  // so nothing is missed across a dropped connection. `params` may hold zone, window, ticket.
  // onStatus(state, refusal): "online", "offline" (retrying), or "refused": the hub said no (a
  // wrong or switched-off token, an expired session, an unknown ticket; close code 4400-4499 with
  // an {type: "error"} message first), which no retry can mend, so it stops trying.
  function subscribe(params, onEvent, onStatus) {
    let lastSeq = -1, delay = 500, socket = null, stopped = false, refusal = null;
    function connect() {
      const query = new URLSearchParams(params || {});
      if (lastSeq >= 0) query.set("since", String(lastSeq));
      if (token() && !query.has("ticket")) query.set("token", token());
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      socket = new WebSocket(`${scheme}://${location.host}/api/v1/events?${query}`);
      socket.onmessage = (message) => {
        const data = JSON.parse(message.data);
        if (data.type === "hello") { lastSeq = data.last_seq; delay = 500; onStatus && onStatus("online"); return; }
        if (data.type === "event") { lastSeq = Math.max(lastSeq, data.seq); onEvent(data); return; }
        if (data.type === "error") refusal = data;
      };
      socket.onclose = (closed) => {
        if (stopped) return;
        if (closed.code >= 4400 && closed.code < 4500) {
          stopped = true;
          onStatus && onStatus("refused", refusal || { code: "refused", message: closed.reason });
          return;
        }
        onStatus && onStatus("offline");
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 10000);
      };
    }
    connect();
    return () => { stopped = true; socket && socket.close(); };
  }

  // As server/stats/export.py readable(): 1小时21分 past an hour (281分51秒 read as nothing),
  // 19分11秒 below it, 42秒 below a minute.
  function formatDuration(seconds) {
    if (seconds == null) return "—";
    const total = Math.round(seconds);
    const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    if (h) return `${h}小时${m}分`;
    return m ? `${m}分${s}秒` : `${s}秒`;
  }

  // Minutes as people say them: 约2小时40分 rather than 160分钟.
  function formatMinutes(minutes) {
    const h = Math.floor(minutes / 60), m = minutes % 60;
    return h ? `${h}小时${m ? m + "分" : ""}` : `${m}分钟`;
  }

  // A wait read from the hub goes on growing on the page between two readings, as it does in the
  // hall: the cell keeps the wait it was read with, when, and the hall clock's rate (hall seconds
  // per real second, /hall's clock_rate), and one timer redraws every such cell each second.
  let waitTicker = null;
  function drawWait(cell) {
    const grown = ((performance.now() - Number(cell.dataset.readAt)) / 1000) * Number(cell.dataset.rate);
    cell.textContent = formatDuration(Number(cell.dataset.waitS) + grown);
  }
  function showWait(cell, seconds, rate) {
    if (seconds == null) { cell.textContent = "—"; return cell; }
    Object.assign(cell.dataset, { waitS: String(seconds), readAt: String(performance.now()), rate: String(rate || 0) });
    drawWait(cell);
    if (rate > 0 && waitTicker == null) {
      waitTicker = setInterval(() => document.querySelectorAll("[data-wait-s]").forEach(drawWait), 1000);
    }
    return cell;
  }

  return { api, login, logout, token, setToken, subscribe, formatDuration, formatMinutes, showWait, ApiError };
})();
