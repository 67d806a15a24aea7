// The web call-pad: staff login → window choice → the pad. Talks to the hub only through its
// public API (HallQ.api) and the event stream (HallQ.subscribe); the hub decides every action,
// the pad only offers the ones that are valid now and shows the hub's answer in Chinese.
"use strict";

(() => {
  const WINDOW_KEY = "hallq.pad.window";
  const PAD_ROLES = ["staff", "chief", "manager", "admin"];
  // Key → button action. Letters are matched case-insensitively; P toggles 暂停/恢复.
  const SHORTCUTS = {
    F1: "callNext", n: "callNext", c: "callNumber", r: "recall", s: "start", f: "finish", x: "noShow",
    l: "requeue", t: "transfer", h: "park", p: "pause", e: "invite",
  };
  const { $ } = PadRender;

  class CallPad {
    constructor() {
      this.hall = { pause_reasons: {}, finish_outcomes: {}, priority_classes: {} };
      this.maxRecalls = 3;
      this.leaving = false; // true while a logout is on its way: stale refreshes then keep quiet
      this.missedRead = false; // an event's read skipped while an action was on its way
      this.lastError = null; // the last failure, for an action that must say more about it
      this.zones = [];
      this.windows = [];
      this.allQueues = [];
      this.me = null;
      this.windowId = null;
      this.window = null;
      this.parked = [];
      this.parkNotes = new Map(); // `${id}@${called_at}` of a parked case → the reason given (readParkNotes)
      this.history = null; // the current case's events (readHistory)
      this.targeted = 0;
      this.chosen = null;
      this.unsubscribers = [];
      this.seen = new Set();
      this.pending = { window: false, queues: false, timer: null };
      this.busy = false;
      this.unreachable = false; // set when the hub could not be reached
      // The message line and the window state it was written in (state: null until the first
      // read of the window begun after it); gen counts the messages (see refreshWindow).
      this.said = { gen: 0, state: null };
    }

    // ------------------------------------------------------------ start-up and views
    async boot() {
      this.bindControls();
      const [hall, settings, zones] = await Promise.all([
        HallQ.api("GET", "/hall"),
        fetch("/pad/settings.json").then((r) => r.json()),
        HallQ.api("GET", "/zones"),
      ]);
      this.hall = hall;
      this.maxRecalls = settings.max_recalls;
      this.zones = zones;
      PadRender.choices("outcome-choices", hall.finish_outcomes, (code) => this.finish(code));
      PadRender.choices("pause-choices", hall.pause_reasons, (code) => this.pause(code));
      if (!HallQ.token()) return this.show("login");
      try {
        const me = await HallQ.api("GET", "/auth/me");
        await this.signedIn({ username: me.name, role: me.role, display_name: me.display_name, unit: me.unit });
      } catch (error) {
        HallQ.setToken(null);
        this.show("login");
      }
    }

    show(view) {
      for (const name of ["login", "choose", "pad"]) $(`view-${name}`).hidden = name !== view;
      $("conn").hidden = view !== "pad";
      if (view === "login") $("login-user").focus();
    }

    async onLogin(event) {
      event.preventDefault();
      $("login-error").textContent = "";
      try {
        const data = await HallQ.login($("login-user").value.trim(), $("login-pass").value);
        $("login-pass").value = "";
        await this.signedIn(data);
      } catch (error) {
        $("login-error").textContent = error.message;
      }
    }

    async signedIn(account) {
      if (!PAD_ROLES.includes(account.role)) {
        await HallQ.logout().catch(() => {});
        this.show("login");
        $("login-error").textContent = "该账号没有窗口操作权限";
        return;
      }
      this.me = account;
      $("who-name").textContent = account.display_name ? `${account.display_name}（${account.username}）` : account.username;
      await this.loadWindows();
      const mine = this.windows.find((w) => w.staff_id === account.username);
      if (mine) return this.enterPad(mine.id);
      this.showChoose();
    }

    async loadWindows() {
      this.windows = await HallQ.api("GET", "/windows");
    }

    showChoose(message) {
      this.stopStream();
      this.windowId = null;
      const remembered = localStorage.getItem(WINDOW_KEY);
      const usable = (id) => this.windows.some((w) => w.id === id && PadRender.choosable(w, this.me));
      this.chosen = remembered && usable(remembered) ? remembered : null;
      this.drawChoice();
      $("choose-error").textContent = message || "";
      $("title").textContent = "窗口呼叫器";
      this.show("choose");
    }

    drawChoice() {
      PadRender.windowChoice(this.windows, this.zones, this.me, this.hall.units, this.chosen, (id) => {
        this.chosen = id;
        this.drawChoice();
      });
      const chosen = this.windows.find((w) => w.id === this.chosen);
      $("window-login").disabled = !chosen;
      $("window-login").textContent = chosen ? `登录 ${chosen.name}` : "登录窗口";
    }

    async onWindowLogin() {
      if (!this.chosen) return;
      $("choose-error").textContent = "";
      try {
        await HallQ.api("POST", `/windows/${encodeURIComponent(this.chosen)}/login`, {});
        localStorage.setItem(WINDOW_KEY, this.chosen);
        await this.enterPad(this.chosen);
      } catch (error) {
        if (error.status === 401) return this.expire();
        $("choose-error").textContent = error.message;
        await this.loadWindows().catch(() => {});
        this.drawChoice();
      }
    }

    async onSessionLogout() {
      await HallQ.logout().catch(() => {});
      this.me = null;
      $("who-name").textContent = "";
      this.show("login");
    }

    expire() {
      this.stopStream();
      HallQ.setToken(null);
      this.me = null;
      this.windowId = null;
      $("who-name").textContent = "";
      this.show("login");
      $("login-error").textContent = "登录已过期，请重新登录";
    }

    async enterPad(windowId) {
      this.windowId = windowId;
      this.allQueues = await HallQ.api("GET", "/queues");
      this.closePanel();
      this.message("", "");
      this.show("pad");
      await this.refreshWindow();
      if (this.windowId) this.startStream();
    }

    // ------------------------------------------------------------ live data
    startStream() {
      this.stopStream();
      const zone = this.window.zone;
      const onStatus = (state) => this.onConnection(state);
      const onEvent = (event) => this.onEvent(event);
      // This window's own events (including cases transferred to it from other zones), and its
      // zone's (tickets issued and called elsewhere change the queue counts).
      this.unsubscribers = [
        HallQ.subscribe({ window: this.windowId }, onEvent, onStatus),
        HallQ.subscribe({ zone }, onEvent, () => {}),
      ];
    }

    stopStream() {
      for (const stop of this.unsubscribers) stop();
      this.unsubscribers = [];
      this.seen.clear();
    }

    onConnection(state) {
      if (state === "refused") return this.expire(); // the session ended or the account was switched off
      PadRender.connection(state);
      if (state === "online") {
        this.schedule(true, true); // whatever happened while we were away
      } else {
        // A stream that keeps closing may be a session that expired: ask the hub.
        HallQ.api("GET", "/auth/me").catch((error) => { if (error.status === 401) this.expire(); });
      }
    }

    onEvent(event) {
      if (this.seen.has(event.seq)) return; // the window and zone streams overlap
      this.seen.add(event.seq);
      if (this.seen.size > 1000) this.seen = new Set([...this.seen].slice(-500));
      const payload = event.payload || {};
      if (event.kind === "ticket.rated" && payload.bad && !event.replay && this.me && event.staff_id === this.me.username) {
        // Told at once, while the visit is fresh in mind (they learnt of it only in the report).
        this.message("", `${event.number} 收到差评（${payload.score} 分），如有误可在「我的差评」中申诉`);
      }
      if (event.kind === "ticket.transferred" && payload.target === this.windowId && payload.target_kind !== "queue" && !event.replay) {
        // A case sent here came only as 转入 1 in the table, beside the pad's last, stale line.
        const from = this.windows.find((w) => w.id === event.window_id);
        this.message("", `${event.number} 已转来本窗口（转自${from ? from.name : event.window_id || "其他窗口"}${payload.note ? "：" + payload.note : ""}），请呼叫办理`);
      }
      const mine = event.window_id === this.windowId || payload.target === this.windowId;
      const myQueues = Object.keys(this.window ? this.window.queues : {});
      const queueTouched = myQueues.includes(event.queue) || myQueues.includes((event.payload || {}).from_queue);
      this.schedule(mine, mine || queueTouched);
    }

    // Coalesce bursts of events into one read of each kind.
    schedule(windowToo, queuesToo) {
      this.pending.window = this.pending.window || windowToo;
      this.pending.queues = this.pending.queues || queuesToo;
      if (this.pending.timer) return;
      this.pending.timer = setTimeout(() => {
        const { window, queues } = this.pending;
        this.pending = { window: false, queues: false, timer: null };
        const work = window ? this.refreshWindow() : queues ? this.refreshQueues() : Promise.resolve();
        work.catch((error) => this.onError(error));
      }, 60);
    }

    // The window read again, then its queues. While an action is on its way, its own read-back
    // follows its answer (see run): a read for an event then waits until that is done, so the
    // pad never shows the action's result while its keys are still held.
    async refreshWindow() {
      if (this.busy) { this.missedRead = true; return; }
      if (await this.readWindow()) await this.refreshQueues();
    }

    // The window, its parked cases and the cases sent to it, drawn; false if the pad moved on.
    // `own`: the read-back of the action on its way; any other read that lands meanwhile (begun
    // before the action) is dropped for a new one after it.
    async readWindow(own = false) {
      const windowId = this.windowId;
      if (!windowId) return false;
      const gen = this.said.gen;
      const id = encodeURIComponent(windowId);
      // Only this window's parked cases and the cases sent to it: the whole hall's waiting list
      // stops at 500 tickets, and this window's were missing beyond them.
      const [window, onHold, sentHere] = await Promise.all([
        HallQ.api("GET", `/windows/${id}`),
        HallQ.api("GET", `/tickets?status=on_hold&window=${id}`),
        HallQ.api("GET", `/tickets?status=waiting&target_window=${id}`),
      ]);
      // A refresh that started before this person logged out (or chose another window) is stale:
      // it must not replace "已退出窗口" with "no longer logged in".
      if (this.leaving || this.windowId !== windowId) return false;
      if (this.busy && !own) { this.missedRead = true; return false; }
      if (window.staff_id !== this.me.username) {
        await this.loadWindows();
        this.showChoose("您已不在该窗口登录，请重新选择窗口");
        return false;
      }
      this.window = window;
      const state = JSON.stringify([window.staff_id, window.paused_reason, onHold.map((t) => t.id),
        window.current_ticket && [window.current_ticket.id, window.current_ticket.status, window.current_ticket.call_count]]);
      if (this.unreachable) {
        this.unreachable = false;
        this.message("", "网络曾中断，以上为窗口当前状态");
        this.said.state = state;
      } else if (gen === this.said.gen) {
        // A message belongs to the state it was written in. Another tab of this window (or the
        // hub) moved the window on: "已呼叫 C1001" or a refusal stayed beside a window that had
        // finished C1001 long ago. A read that finds the same state (an event that changed
        // nothing here) keeps it: this tab's fresh refusal stays until the clerk acts again. A
        // read begun before the message was written may have found the state before it, so
        // only reads begun after it count.
        if (this.said.state === null) this.said.state = state;
        else if (this.said.state !== state) { this.message("", ""); this.said.state = state; }
      }
      await this.readHistory(window.current_ticket);
      await this.readParkNotes(onHold);
      this.parked = onHold;
      // Cases transferred to this very window wait outside its queues (a back office has none).
      // Only events about this window change them, so they are read here, not on every zone event.
      this.targeted = sentHere.length;
      $("title").textContent = `窗口呼叫器 · ${window.name}`;
      this.draw();
      return true;
    }

    // The case's events, read again whenever it is called, recalled or taken up (its called_at
    // moves): 受、转、办、结, the clerk receiving a transferred case reads where it came from and
    // the sender's note (it showed only 转办件; the note lived in the event alone), and the wait
    // counts to the leg's last call, which a parked case taken up again no longer carries.
    async readHistory(ticket) {
      if (!ticket) { this.history = null; return; }
      const key = `${ticket.id}@${ticket.called_at}`;
      if (this.history && this.history.key === key) return;
      const events = await HallQ.api("GET", `/tickets/${ticket.id}/events`);
      this.history = { key, events, transfer: ticket.leg < 2 ? null : this.transferText(events) };
    }

    // Why each case was parked (挂起原因, the note of its ticket.parked event): the pad listed only
    // 恢复办理 C1002, and the clerk, or the colleague taking over the window, had to remember why
    // (the citizen fetching a document? a signature from another office?). Read once per parking:
    // a case taken up again and parked again is called in between, so its called_at moves.
    async readParkNotes(onHold) {
      const key = (t) => `${t.id}@${t.called_at}`;
      const missing = onHold.filter((t) => !this.parkNotes.has(key(t)));
      const read = await Promise.all(missing.map((t) => HallQ.api("GET", `/tickets/${t.id}/events`)));
      missing.forEach((t, i) => {
        const parked = read[i].filter((e) => e.kind === "ticket.parked").pop();
        this.parkNotes.set(key(t), (parked && parked.payload && parked.payload.note) || "");
      });
      const kept = new Set(onHold.map(key));
      for (const k of [...this.parkNotes.keys()]) if (!kept.has(k)) this.parkNotes.delete(k);
    }

    transferText(events) {
      const last = events.filter((e) => e.kind === "ticket.transferred").pop();
      if (!last) return null;
      const from = this.windows.find((w) => w.id === last.window_id);
      const note = last.payload && last.payload.note ? `：${last.payload.note}` : "";
      return `转自${from ? from.name : last.window_id || "其他窗口"}${note}`;
    }

    async refreshQueues() {
      if (!this.window) return;
      const prefixes = Object.keys(this.window.queues);
      const queues = await HallQ.api("GET", "/queues");
      // Each queue's line (what this window may call); cases sent to one window are not in it:
      // this window's come in the 转入 row, other windows' are not this window's to call.
      const rows = queues.filter((q) => prefixes.includes(q.prefix))
        .map((q) => ({ ...q, waiting: q.in_line, waiting_priority: q.in_line_priority, longest_wait_s: q.in_line_longest_wait_s }));
      if (this.targeted || !prefixes.length) {
        rows.push({ prefix: "转入", name: "转给本窗口的件", waiting: this.targeted, waiting_priority: 0, longest_wait_s: null });
      }
      PadRender.queues(rows, this.hall.clock_rate);
    }

    queueNames() {
      return Object.fromEntries(this.allQueues.map((q) => [q.prefix, q.name]));
    }

    allowed() {
      return PadRules.enabled(this.window, this.maxRecalls, this.parked.length, this.targeted);
    }

    draw() {
      const current = this.window.current_ticket;
      const history = this.history && current && this.history.key === `${current.id}@${current.called_at}` ? this.history : null;
      PadRender.ticket(this.window, this.hall, this.queueNames(), this.maxRecalls, PadRules.legWait(current, history && history.events));
      const transfer = history && history.transfer;
      $("ticket-transfer").hidden = !transfer;
      $("ticket-transfer").textContent = transfer || "";
      PadRender.parked(this.parked, (t) => this.parkNotes.get(`${t.id}@${t.called_at}`), (number) => this.resumeParked(number));
      const allowed = this.allowed();
      if (this.openPanelName && !allowed[this.openPanelName]) this.closePanel();
      // While a request is in flight nothing else may be pressed (no double calls).
      PadRender.buttons(this.busy ? Object.fromEntries(Object.keys(allowed).map((k) => [k, false])) : allowed);
      // A panel's own button too: Enter (or a scanner's) on 指定叫号 after a refusal, while the
      // window was still being read back, did nothing and showed nothing; greyed, it says wait.
      for (const submit of document.querySelectorAll(".panel button[type='submit']")) submit.disabled = this.busy;
      document.querySelector("#buttons button[data-action='issueFor']").hidden = !PadRules.assistedDesk(this.window, this.hall);
    }

    // ------------------------------------------------------------ actions
    message(error, info) {
      $("pad-error").textContent = error;
      $("pad-info").textContent = info;
      this.said = { gen: this.said.gen + 1, state: null };
    }

    onError(error) {
      this.lastError = error;
      if (error && error.status === 401) return this.expire();
      // No answer at all: the hub may have acted (a call whose answer was lost). The next read of
      // the window that succeeds shows what is, and takes this line away.
      this.unreachable = !!error && error.status === 0;
      this.message(error && error.message ? error.message : "操作失败，请重试", "");
    }

    // Every action: one request, the hub's answer shown, then the window read back from the hub
    // (so a refused action leaves the pad showing what really is, not what we hoped). Resolves to
    // the hub's answer, or null when refused: then the panel stays open with what was typed.
    // Nothing else may be pressed until the window is read back: a key pressed between the answer
    // and the read was judged on the state before the action (R twice 40 ms apart made two
    // recalls, N twice after a no-show a call and a refusal that hid 已呼叫). The queues are read
    // after the keys are free again.
    async run(method, path, body, done, headers) {
      if (this.busy) return;
      this.busy = true;
      this.message("", "");
      this.draw();
      let result = null;
      try {
        result = await HallQ.api(method, path, body, headers);
        this.closePanel();
        if (done) this.message("", done(result) || "");
      } catch (error) {
        this.onError(error);
      }
      let read = false;
      try {
        if (this.windowId) read = await this.readWindow(true).catch((error) => this.onError(error));
      } finally {
        // In the same turn as the read's drawing: no key can land between the two.
        this.busy = false;
        if (this.windowId && this.window) this.draw();
      }
      if (this.missedRead) { this.missedRead = false; this.schedule(true, true); }
      if (read) await this.refreshQueues().catch((error) => this.onError(error));
      return result;
    }

    path(action) {
      return `/windows/${encodeURIComponent(this.windowId)}/${action}`;
    }

    trigger(action) {
      if (!this.window || this.busy) return;
      if (action === "pause" && this.allowed().resume) action = "resume";
      if (!this.allowed()[action]) {
        // R at the limit did nothing at all, and the clerk took the pad for stuck.
        const ticket = this.window.current_ticket;
        if (action === "recall" && ticket && ticket.status === "called") this.message(`已重呼${this.maxRecalls}次，请标记过号`, "");
        return;
      }
      const handlers = {
        callNext: () => this.run("POST", this.path("call-next"), undefined, (r) => (r.empty ? "当前没有等候的号" : `已呼叫 ${r.ticket.number}`)),
        callNumber: () => this.openCallNumber(),
        recall: () => this.run("POST", this.path("recall"), undefined, (t) => `已重呼 ${t.number}（第 ${t.call_count} 次呼叫）`),
        start: () => this.run("POST", this.path("start"), undefined, (t) => `${t.number} 开始办理`),
        finish: () => this.openPanel("finish"),
        noShow: () => this.run("POST", this.path("no-show"), undefined, (t) => `${t.number} 已标记过号`),
        requeue: () => this.openRequeue(),
        transfer: () => this.openTransfer(),
        park: () => { this.openPanel("park"); $("park-note").value = ""; }, // the note is this case's
        pause: () => this.openPanel("pause"),
        resume: () => this.run("POST", this.path("resume"), undefined, () => "窗口已恢复叫号"),
        invite: () => this.run("POST", this.path("invite-rating"), undefined, (t) => `已邀请 ${t.number} 评价（由群众本人评价）`),
        logout: () => this.logoutWindow(),
        handOver: () => this.openPanel("handOver"),
        appeals: () => this.openAppeals(),
        issueFor: () => this.openIssueFor(),
      };
      handlers[action]();
    }

    finish(outcome) {
      const label = this.hall.finish_outcomes[outcome] || outcome;
      return this.run("POST", this.path("finish"), { outcome }, (t) => `${t.number} 已办结：${label}`);
    }

    pause(reason) {
      return this.run("POST", this.path("pause"), { reason }, () => `窗口已暂停：${this.hall.pause_reasons[reason] || reason}`);
    }

    resumeParked(number) {
      return this.run("POST", this.path("call"), { number }, (t) => `已恢复办理 ${t.number}`);
    }

    // 交接: the colleague signs in on this pad; the window is theirs, and this session goes back to
    // the sign-in so they can sign in and carry on (the window's parked cases await them there).
    async handOver() {
      const staffId = $("handover-user").value.trim();
      const body = { staff_id: staffId, password: $("handover-pass").value };
      $("handover-pass").value = "";
      const window = this.window;
      await this.leave("hand-over", body, async () => {
        $("handover-user").value = "";
        this.stopStream();
        this.windowId = null;
        this.window = null;
        await this.onSessionLogout();
        $("login-user").value = staffId;
        $("login-error").textContent = `${window.name}已交接给 ${staffId}，请接班同事输入密码登录`;
        $("login-pass").focus();
      });
    }

    async logoutWindow() {
      await this.leave("logout", undefined, async () => {
        await this.loadWindows().catch(() => {});
        this.showChoose("已退出窗口");
      });
    }

    // An action that ends this person's time at the window. While it is on its way, and while
    // `done` moves the pad on after it succeeded, stale refreshes keep quiet: one woken by the
    // window's own logout event, let through while the windows were re-read, said "您已不在该窗口
    // 登录" over "已退出窗口". Refused, the window is read again (the buttons stayed disabled).
    async leave(action, body, done) {
      this.leaving = true;
      let result = null;
      try {
        result = await this.run("POST", this.path(action), body);
        if (result) await done(result);
      } finally {
        this.leaving = false;
      }
      if (!result && this.windowId) await this.refreshWindow().catch((error) => this.onError(error));
      return result;
    }

    // ------------------------------------------------------------ panels
    openPanel(name) {
      this.closePanel();
      this.openPanelName = name;
      const panel = $(`panel-${name}`);
      for (const select of panel.querySelectorAll("select")) delete select.dataset.picked; // a new task
      panel.hidden = false;
      const first = panel.querySelector("input, select, button");
      if (first) first.focus();
    }

    closePanel() {
      // The cursor leaves a closed panel's box: until the browser noticed it was hidden, the next
      // shortcut (L right after Esc) was typed into it and did nothing.
      const focused = document.activeElement;
      if (focused && focused.closest && focused.closest(".panel")) focused.blur();
      for (const panel of document.querySelectorAll(".panel")) panel.hidden = true;
      // A colleague's PIN typed for 交接 and cancelled stayed in the hidden form: anyone opening
      // 交接 later could hand the window over on it, without them.
      for (const secret of document.querySelectorAll(".panel input[type='password']")) secret.value = "";
      this.openPanelName = null;
    }

    // 指定叫号 offers the numbers this window may call: its queues' lines and the cases sent to it,
    // oldest first (the clerk had to know the number by heart).
    async openCallNumber() {
      this.openPanel("callNumber");
      try {
        const id = encodeURIComponent(this.windowId);
        const lists = await Promise.all([
          HallQ.api("GET", `/tickets?status=waiting&target_window=${id}`),
          ...Object.keys(this.window.queues).map((q) => HallQ.api("GET", `/tickets?status=waiting&queue=${encodeURIComponent(q)}`)),
        ]);
        const [sentHere, ...lines] = lists;
        const callable = [...sentHere, ...lines.flat().filter((t) => t.target_window == null)].sort((a, b) => a.id - b.id);
        PadRender.options($("waiting-numbers"), callable.map((t) => [t.number, t.number]));
      } catch (error) {
        this.onError(error);
      }
    }

    async openRequeue() {
      this.openPanel("requeue");
      try {
        const noShows = await HallQ.api("GET", "/tickets?status=no_show");
        const mine = Object.keys(this.window.queues);
        const numbers = noShows.filter((t) => mine.includes(t.queue) || t.window_id === this.windowId).map((t) => t.number);
        PadRender.options($("no-show-numbers"), numbers.map((n) => [n, n]));
      } catch (error) {
        this.onError(error);
      }
    }

    // 申诉复核 from the clerk's side: their bad ratings of this month and the last (the one being
    // assessed in the first days of a month), an appeal with a reason for
    // one, and how each stands (they could appeal only through the API, by an internal id).
    async openAppeals() {
      this.openPanel("appeals");
      try {
        const data = await HallQ.api("GET", "/my/bad-ratings");
        const state = { pending: "申诉待复核", accepted: "申诉已采纳（不计入）", rejected: "申诉已驳回" };
        $("appeal-rows").replaceChildren(...(data.bad_ratings.length ? data.bad_ratings.map((r) => {
          const cell = document.createElement("td");
          if (r.appeal) {
            cell.textContent = (state[r.appeal] || r.appeal) + (r.decision_reason ? `：${r.decision_reason}` : "");
          } else if (r.month_final) { // the hub refuses it: the month's assessment is final
            cell.textContent = "该月考核已归档，不能申诉";
          } else {
            const reason = Object.assign(document.createElement("input"), { maxLength: 500, placeholder: "申诉理由" });
            const send = Object.assign(document.createElement("button"), { type: "button", textContent: "申诉" });
            send.addEventListener("click", () => {
              // As on the manager's page: the hub's refusal read 理由（reason）太短, with an English
              // field name and no minimum.
              if (reason.value.trim().length < 2) {
                this.message("请先写明申诉理由（至少2个字），再点申诉", "");
                reason.focus();
                return;
              }
              this.run("POST", "/appeals", { ticket_id: r.ticket_id, reason: reason.value.trim() },
                () => `${r.number} 的申诉已提交，待复核`).then((done) => { if (done) this.openAppeals(); });
            });
            cell.append(reason, " ", send);
          }
          const row = document.createElement("tr");
          row.dataset.ticket = String(r.ticket_id);
          for (const text of [r.hall_day.slice(5), r.number, `${r.rating} 分`]) {
            row.append(Object.assign(document.createElement("td"), { textContent: text }));
          }
          row.append(cell);
          // 差评回访整改, read-only: how the hall's follow-up of the complaint stands.
          const f = r.followup;
          const followup = !f ? "" : f.state === "closed"
            ? `回访已办结${f.finding_zh ? "：" + f.finding_zh : ""}${f.rectification ? "；整改：" + f.rectification : ""}`
            : `${f.state_zh}（${f.due}前）`;
          row.append(Object.assign(document.createElement("td"), { className: "followup", textContent: followup }));
          return row;
        }) : [Object.assign(document.createElement("tr"), { textContent: "本月和上月没有差评" })]));
      } catch (error) { this.onError(error); }
    }

    // 代取号 at the 帮代办 desk: the clerk finds the item, types the citizen's document number if
    // the item needs one (a passport the kiosk's reader cannot read), and tells the citizen the
    // number. One Idempotency-Key per ticket: the same request sent again after a lost answer
    // gets the hub's same ticket instead of a second one. The key is new for every opening of the
    // panel (the next citizen, who must not be given the last one's ticket) and for every other
    // request (another item or document number is another ticket; the hub refuses a reused key).
    // The document number leaves the page once issued.
    // Each opening is the next citizen's: the last one's document number, search and item went
    // with them (a passport number typed, the panel closed, and the next citizen's ticket was
    // issued on it: their per-person cap counted against the wrong person, on screen for anyone).
    openIssueFor() {
      this.openPanel("issueFor");
      this.issueKey = null;
      $("issue-person").value = "";
      $("issue-search").value = "";
      this.searchedFor = null;
      // The last citizen's item list goes too: it stood under the empty search box until the
      // zone's list came, and a 取号 pressed then ran a search instead of issuing, saying nothing.
      this.issueItems = {};
      $("issue-item").replaceChildren();
      this.searchItems();
    }

    // Only the newest search's answer fills the list: the zone's list asked for at opening,
    // answered after the clerk's typed search, replaced its items (and the item picked).
    async searchItems() {
      const text = $("issue-search").value.trim();
      const asked = (this.searches = (this.searches || 0) + 1);
      try {
        const items = await HallQ.api("GET", `/items?limit=50${text ? `&q=${encodeURIComponent(text)}` : `&zone=${encodeURIComponent(this.window.zone)}`}`);
        if (asked !== this.searches) return;
        this.searchedFor = text;
        const zoneName = Object.fromEntries(this.zones.map((z) => [z.code, z.name]));
        this.issueItems = Object.fromEntries(items.map((i) => [i.code, i]));
        PadRender.options($("issue-item"), items.map((i) => [i.code, `${i.name}（${zoneName[i.zone] || i.zone}）${i.id_required ? "（需证件）" : ""}`]));
        this.askForDocument();
      } catch (error) { this.onError(error); }
    }

    // An item the hall issues on an ID card only (id_required) keeps its per-person cap at the
    // desk too: the clerk types the citizen's document number (a passport, a permit). The pad said
    // 可不填 for every item, and such tickets went out with no number.
    askForDocument() {
      const item = (this.issueItems || {})[$("issue-item").value];
      $("issue-person").placeholder = item && item.id_required
        ? "该事项须填写证件号码（身份证、护照或通行证）" : "身份证、护照或通行证号码，可不填";
    }

    issueFor() {
      // Words typed and Enter pressed before their search answered: the list still held the zone's
      // items, and the ticket went out for its first one. The search is run; the clerk picks.
      if ($("issue-search").value.trim() !== this.searchedFor) { this.searchItems(); return; }
      const code = $("issue-item").value;
      const item = (this.issueItems || {})[code];
      if (!item) return;
      const personId = $("issue-person").value.trim().toUpperCase() || null;
      if (item.id_required && !personId) {
        this.message("该事项须填写证件号码（身份证、护照或通行证号码），再取号", "");
        $("issue-person").focus();
        return;
      }
      const zoneName = (this.zones.find((z) => z.code === item.zone) || { name: item.zone }).name;
      const body = { item_code: code, person_id: personId };
      const sent = JSON.stringify(body);
      if (!this.issueKey || this.issueKeyFor !== sent) {
        this.issueKey = `pad-${this.windowId}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
        this.issueKeyFor = sent;
      }
      this.lastError = null;
      return this.run("POST", "/tickets", body, (r) => { // success closes the panel; reopening makes a new key
        $("issue-person").value = "";
        return `已代取号 ${r.ticket.number}（${item.name}）：请群众到${zoneName}等候叫号，前面还有 ${r.people_ahead} 人`;
      }, { "Idempotency-Key": this.issueKey }).then((result) => {
        // No answer: the hub may have issued it, and the window's state cannot show a ticket
        // taken for someone else (the pad said only 网络曾中断，以上为窗口当前状态).
        if (!result && this.lastError && this.lastError.status === 0) {
          this.message("没有收到取号结果，可能已经取号：请再按「取号」确认（不会重复取号）", "");
        } else if (!result && this.lastError && this.lastError.code === "person_cap_reached") {
          // The hub's words are the kiosk's, to the citizen (…请到服务台咨询): at the desk the
          // clerk reads them, and the desk is where the citizen already stands.
          const cap = (this.lastError.details || {}).cap;
          this.message(`该证件号今天已取满${cap || ""}次（每人每天最多${cap || ""}次），不能再为其取号；已取的号票仍有效`, "");
        }
        return result;
      });
    }

    // Each opening is this case's: the last case's note (cancelled with Esc) went with the next
    // case, and the kind chosen for it stood there, a different place for the next citizen.
    async openTransfer() {
      this.openPanel("transfer");
      $("transfer-kind").selectedIndex = 0;
      $("transfer-note").value = "";
      this.fillTransferTargets();
      try { // who is at which window now: a case sent to an empty window would wait for no one
        this.windows = await HallQ.api("GET", "/windows");
        this.fillTransferTargets();
      } catch (error) { this.onError(error); }
    }

    fillTransferTargets() {
      const kind = $("transfer-kind").value;
      const here = this.window.zone;
      const zoneName = Object.fromEntries(this.zones.map((z) => [z.code, z.name]));
      const sameZoneFirst = (a, b) => (a.zone === here ? 0 : 1) - (b.zone === here ? 0 : 1);
      let items;
      if (kind === "queue") {
        const current = this.window.current_ticket ? this.window.current_ticket.queue : null;
        items = this.allQueues.filter((q) => q.prefix !== current).sort(sameZoneFirst)
          .map((q) => [q.prefix, `${q.prefix} ${q.name}（${zoneName[q.zone] || q.zone}）`]);
      } else {
        const wanted = kind === "back_office" ? "back_office" : "window";
        const staffed = (w) => !!w.staff_id || w.kind === "back_office"; // a back office's cases wait for its clerks
        items = this.windows.filter((w) => w.id !== this.windowId && (w.kind === "back_office") === (wanted === "back_office"))
          .sort((a, b) => (staffed(a) ? 0 : 1) - (staffed(b) ? 0 : 1) || sameZoneFirst(a, b))
          .map((w) => [w.id, `${w.name}（${zoneName[w.zone] || w.zone}）${staffed(w) ? "" : " · 暂无人员"}`]);
      }
      PadRender.options($("transfer-target"), items);
    }

    // The ticket number typed in a panel's box, or null (said, the cursor put back) when only
    // spaces were typed: the box's `required` let them through, and the hub's refusal read
    // 请求参数不正确：号码（number）太短.
    typedNumber(box) {
      const number = $(box).value.trim().toUpperCase();
      if (!number) {
        this.message("请输入票号，如 C1005", "");
        $(box).value = "";
        $(box).focus();
      }
      return number || null;
    }

    // ------------------------------------------------------------ wiring
    bindControls() {
      $("login-form").addEventListener("submit", (e) => this.onLogin(e));
      $("window-login").addEventListener("click", () => this.onWindowLogin());
      $("session-logout").addEventListener("click", () => this.onSessionLogout());
      for (const button of document.querySelectorAll("#buttons button[data-action]")) {
        button.addEventListener("click", () => this.trigger(button.dataset.action));
      }
      for (const button of document.querySelectorAll(".panel [data-close]")) {
        button.addEventListener("click", () => this.closePanel());
      }
      for (const select of document.querySelectorAll(".panel select")) {
        select.addEventListener("change", () => { select.dataset.picked = select.value; });
      }
      $("panel-callNumber").addEventListener("submit", (e) => {
        e.preventDefault();
        const number = this.typedNumber("call-number");
        if (!number) return;
        this.run("POST", this.path("call"), { number }, (t) => `已呼叫 ${t.number}`).then((done) => { if (done) $("call-number").value = ""; });
      });
      $("panel-requeue").addEventListener("submit", (e) => {
        e.preventDefault();
        const number = this.typedNumber("requeue-number");
        if (!number) return;
        this.run("POST", `/late/${encodeURIComponent(number)}`, undefined, (t) => `${t.number} 已重新排队（排在当前号之后）`)
          .then((done) => { if (done) $("requeue-number").value = ""; });
      });
      $("transfer-kind").addEventListener("change", () => this.fillTransferTargets());
      $("panel-transfer").addEventListener("submit", (e) => {
        e.preventDefault();
        const kind = $("transfer-kind").value;
        const target = $("transfer-target").value;
        const note = $("transfer-note").value.trim() || null;
        const label = $("transfer-target").selectedOptions[0]?.textContent || target;
        this.run("POST", this.path("transfer"), { target_kind: kind, target, note }, (t) => `${t.number} 已转至 ${label}`)
          .then((done) => { if (done) $("transfer-note").value = ""; });
      });
      $("panel-issueFor").addEventListener("submit", (e) => {
        e.preventDefault();
        this.issueFor();
      });
      $("issue-item").addEventListener("change", () => this.askForDocument());
      let searchTimer = null;
      $("issue-search").addEventListener("input", () => {
        clearTimeout(searchTimer);
        searchTimer = setTimeout(() => this.searchItems(), 250);
      });
      $("panel-handOver").addEventListener("submit", (e) => {
        e.preventDefault();
        this.handOver();
      });
      $("panel-park").addEventListener("submit", (e) => {
        e.preventDefault();
        const note = $("park-note").value.trim() || null;
        this.run("POST", this.path("park"), { note }, (t) => `${t.number} 已挂起`).then((done) => { if (done) $("park-note").value = ""; });
      });
      document.addEventListener("keydown", (e) => this.onKey(e));
    }

    onKey(event) {
      if ($("view-pad").hidden || event.ctrlKey || event.altKey || event.metaKey) return;
      if (event.key === "Escape") { this.closePanel(); return; }
      const form = event.target.closest ? event.target.closest("form.panel") : null;
      if (event.key === "Enter" && event.target.tagName === "SELECT" && form) {
        // Enter in a list of a panel sends it, as in its text boxes: 转移 opened on 转移到 and
        // Enter did nothing there (a keyboard-only clerk tabbed three times to send).
        event.preventDefault();
        form.requestSubmit();
        return;
      }
      if (this.openPanelName === "finish" || this.openPanelName === "pause") {
        const index = Number.parseInt(event.key, 10);
        const buttons = $(this.openPanelName === "finish" ? "outcome-choices" : "pause-choices").querySelectorAll("button");
        if (index >= 1 && index <= buttons.length) { event.preventDefault(); buttons[index - 1].click(); }
        return;
      }
      const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(event.target.tagName);
      if (typing) return;
      const action = SHORTCUTS[event.key] || SHORTCUTS[event.key.toLowerCase()];
      if (!action) return;
      event.preventDefault();
      this.trigger(action);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const pad = new CallPad();
    pad.boot().catch((error) => {
      document.getElementById("login-error").textContent = `无法连接服务器：${error.message}`;
      pad.show("login");
    });
  });
})();
