// The report page: the hub draws tables and charts (report.html); this script only asks for them,
// fetches downloads with the session token, and drives the assessment and appeal reviews.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const STATUS_ZH = { pending: "待复核", accepted: "已采纳", rejected: "已驳回" };

  const el = ManagerSignIn.el;

  function query() {
    const params = new URLSearchParams({ from: $("from").value, to: $("to").value, by: $("by").value });
    if ($("filter-zone").value) params.set("zone", $("filter-zone").value); // one zone's or unit's report
    if ($("filter-unit").value) params.set("unit", $("filter-unit").value);
    return params.toString();
  }

  async function fetchAuthed(path) {
    const response = await fetch(`/api/v1${path}`, { headers: { Authorization: `Bearer ${HallQ.token()}` } });
    if (!response.ok) {
      let body = null;
      try { body = await response.json(); } catch (_) { body = null; }
      throw new HallQ.ApiError(response.status, body);
    }
    return response;
  }

  async function runReport(event) {
    event && event.preventDefault();
    $("report-error").textContent = "";
    try {
      const response = await fetchAuthed(`/stats/report.html?${query()}`);
      $("report").innerHTML = await response.text(); // the hub's own HTML and SVG, escaped there
    } catch (error) {
      // Refused (a period that ends before it starts, a session gone): the last report's figures
      // stayed under the message and read as the answer to this query. Nothing answers it.
      $("report").replaceChildren();
      $("report-error").textContent = error.message;
    }
  }

  async function save(path, filename, errorBox) {
    $(errorBox).textContent = "";
    try {
      const response = await fetchAuthed(path);
      const blob = await response.blob();
      const link = el("a", { href: URL.createObjectURL(blob), download: filename });
      document.body.append(link); link.click(); link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    } catch (error) { $(errorBox).textContent = error.message; }
  }

  function download(kind) {
    const by = $("by").selectedOptions[0] ? $("by").selectedOptions[0].textContent.trim() : $("by").value;
    return save(`/stats/report.${kind}?${query()}`, `统计报表_${$("from").value}_${$("to").value}_${by}.${kind}`, "report-error");
  }

  // The lines made of tickets, and what each case's measure is (assessment_cases.CASE_RULES).
  const CASE_MEASURES = { service_time: "办理时长", waits: "等候时长", no_shows: "叫号次数", bad_ratings: "评分" };
  const caseMeasure = (rule, measure) => measure == null ? "—"
    : rule === "bad_ratings" ? `${measure} 分` : rule === "no_shows" ? `${measure} 次` : HallQ.formatDuration(measure);

  async function showCases(person, line) {
    $("assess-error").textContent = "";
    try {
      const month = $("month").value;
      const data = await HallQ.api("GET", `/stats/assessment/${encodeURIComponent(person.staff_id)}/cases?month=${month}&rule=${line.rule}`);
      $("cases-title").textContent = `${person.name || person.staff_id}：${line.label}（${data.cases.length} 件${data.cases.length >= data.limit ? "，仅列前 " + data.limit + " 件" : ""}）`;
      $("cases-note").hidden = !data.note; // a finalised month: the list is today's data, not the archive
      $("cases-note").textContent = data.note || "";
      $("cases-measure").textContent = CASE_MEASURES[line.rule];
      $("case-rows").replaceChildren(...data.cases.map((c) => el("tr", {},
        el("td", {}, c.hall_day), el("td", {}, c.number), el("td", {}, c.queue_label), el("td", {}, c.window_id ? c.window_label : "—"),
        el("td", {}, caseMeasure(line.rule, c.measure)))));
      $("person-cases").hidden = false;
    } catch (error) { $("assess-error").textContent = error.message; }
  }

  function caseButton(person, line) {
    const button = el("button", { type: "button", class: "cases" }, "查看");
    button.addEventListener("click", () => showCases(person, line));
    return button;
  }

  function showPerson(person) {
    personShown = person.staff_id;
    $("person-title").textContent = `${person.name || person.staff_id} 考核明细（得分 ${person.score}）`;
    $("person-cases").hidden = true;
    $("person-lines").replaceChildren(...person.lines.map((line) => el("tr", { "data-rule": line.rule },
      el("td", {}, line.label), el("td", {}, line.measured_text || (line.measured == null ? "—" : String(line.measured))),
      el("td", {}, line.threshold), el("td", { class: line.points < 0 ? "points-neg" : "" }, String(line.points)),
      el("td", {}, line.rule in CASE_MEASURES && line.measured ? caseButton(person, line) : ""))));
    $("person-detail").hidden = false;
  }

  let hallTimeZone; // the hall's own (GET /hall), so a time reads as the hall's clock said it

  function when(epoch) {
    return new Date(epoch * 1000).toLocaleString("zh-CN", { timeZone: hallTimeZone, hour12: false, year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit" });
  }

  const monthZh = (month) => `${month.slice(0, 4)}年${Number(month.slice(5))}月`;

  // Whether the month is final (then it reads as stored, and its appeals are closed) or what
  // still keeps it open; the 归档 button only where the hub would accept it. The month is named:
  // with another one typed in the field, 未归档 and its reasons read as that month's.
  function showMonthState(data) {
    const box = $("month-state");
    // Nobody to assess and nothing the hub would store (a month before the hall used HallQ, or
    // still to come): 该月没有考核数据 says it all; 未归档 and a dead 归档 button under it read as a
    // month waiting for the manager.
    box.hidden = !data.final && data.people.length === 0 && !data.open.can_finalise;
    if (box.hidden) { $("finalise-box").hidden = true; return; }
    box.classList.toggle("final", Boolean(data.final));
    if (data.final) {
      const f = data.final;
      $("month-state-text").replaceChildren(
        `${monthZh(data.month)}已归档：${when(f.finalised_at)} 由 ${f.finalised_by_name} 归档${f.note ? "（" + f.note + "）" : ""}，本月考核数据不再变化，申诉不再受理。`,
        el("br", {}), el("span", { class: "digest" }, `校验码 ${f.digest}`),
        // The stored result no longer hashes to its digest: someone changed the archive by hand.
        ...(f.intact ? [] : [el("br", {}), el("strong", { class: "tampered" }, "存档数据与校验码不符，可能被改动，请联系系统管理员核查。")]));
      $("month-blockers").replaceChildren();
      $("finalise-box").hidden = true;
      return;
    }
    $("month-state-text").textContent = `${monthZh(data.month)}未归档：申诉复核完成、评价期结束后，由大厅管理员归档；归档前数据可能变化。`;
    $("month-blockers").replaceChildren(...data.open.blockers.map((b) => el("li", {}, b)));
    $("finalise-box").hidden = $("month").value !== data.month; // another month typed while this one was read
    $("finalise").disabled = !data.open.can_finalise;
  }

  // The archive: every finalised month, latest first, each one click away.
  async function loadFinalMonths() {
    const data = await HallQ.api("GET", "/stats/assessment-months");
    $("final-months").replaceChildren("已归档月份：", ...data.months.map((m) => {
      const button = el("button", { type: "button", class: "final-month", "data-month": m.month },
        monthZh(m.month));
      button.addEventListener("click", () => { $("month").value = m.month; runAssessment(); });
      return button;
    }));
    $("final-months").hidden = data.months.length === 0;
    return data.months.map((m) => m.month);
  }

  // The month the assessment card opens on: last month's while it waits to be archived (it is
  // reviewed and finalised in the first days of this one; the card opened on this month, empty on
  // the 1st, and the manager had to know to type last month), shown at once with what keeps it
  // open; this month's when last month is archived or had nothing to assess.
  async function openOnMonth(today, archived) {
    const day = new Date(`${today.slice(0, 7)}-01T00:00:00Z`);
    day.setUTCMonth(day.getUTCMonth() - 1);
    const last = day.toISOString().slice(0, 7);
    if (archived.includes(last)) return;
    const reads = assessmentRead;
    const data = await HallQ.api("GET", `/stats/assessment?month=${last}`);
    if (data.final || (data.people.length === 0 && !data.open.can_finalise)) return; // archived since the list was read
    // The manager read or typed a month meanwhile: theirs stands.
    if (assessmentRead !== reads || monthTyped) return;
    $("month").value = last;
    await runAssessment(undefined, data);
  }

  // The month whose state the page shows: 归档 acts on it, not on whatever is typed in the month
  // field since (a month typed and not yet read, an empty one say, was finalised blind: the page
  // offered 归档 for it and the hub refused it, month_empty).
  let shownMonth = null;
  // Reads of the month overlap (查看考核 pressed while an appeal decided below re-reads it): only
  // the newest one's answer is shown, whatever order they come back in, and the card is
  // aria-busy until it has. Whose 考核明细 is open: a re-read of the same month keeps it open.
  let assessmentRead = 0;
  let monthTyped = false;
  let personShown = null;

  async function finalise() {
    const month = shownMonth;
    if (!month) return;
    if (!window.confirm(`归档后 ${month} 的考核数据不再变化，该月评价的申诉不再受理。确定归档？`)) return;
    $("assess-error").textContent = "";
    try {
      await HallQ.api("POST", `/stats/assessment-months/${month}/finalise`, { note: $("finalise-note").value.trim() });
      $("finalise-note").value = "";
      await runAssessment();
      await loadFinalMonths();
    } catch (error) { $("assess-error").textContent = error.message; }
  }

  // `known`: the month's answer already read (the card opening on last month), not asked twice.
  async function runAssessment(event, known) {
    event && event.preventDefault();
    const read = ++assessmentRead;
    $("assessment-card").setAttribute("aria-busy", "true");
    $("assess-error").textContent = "";
    try {
      const data = known || await HallQ.api("GET", `/stats/assessment?month=${$("month").value}`);
      if (read !== assessmentRead) return; // a newer read is on its way
      $("ranking-rows").replaceChildren(...data.people.map((p) => {
        const button = el("button", { type: "button" }, "查看");
        button.addEventListener("click", () => showPerson(p));
        return el("tr", { "data-staff": p.staff_id }, el("td", {}, String(p.rank)), el("td", {}, p.name || p.staff_id),
          el("td", {}, p.unit ? (data.unit_names[p.unit] || p.unit) : "—"), el("td", { class: "score" }, String(p.score)), el("td", {}, button));
      }));
      $("unit-rows").replaceChildren(...data.units.map((u) => el("tr", {},
        el("td", {}, String(u.rank)), el("td", {}, data.unit_names[u.unit] || u.unit), el("td", {}, String(u.score)), el("td", {}, String(u.people)))));
      // A month without anyone (still to come, or before the hall used HallQ) says so: empty
      // ranking tables read as a page that failed to load.
      $("ranking").hidden = data.people.length === 0; $("assess-empty").hidden = data.people.length > 0;
      $("unit-ranking").hidden = data.units.length === 0; // its heading over nothing read the same
      // The open 考核明细 stays open, with the figures just read, when the same month is read
      // again: an appeal decided below re-reads it, and the detail closed under the manager's hand.
      const again = data.month === shownMonth && data.people.find((p) => p.staff_id === personShown);
      if (again) showPerson(again); else { $("person-detail").hidden = true; personShown = null; }
      shownMonth = data.month;
      showMonthState(data);
    } catch (error) {
      if (read !== assessmentRead) return;
      personShown = null;
      // As for the report: no ranking of another month under the refusal of this one.
      $("ranking-rows").replaceChildren(); $("unit-rows").replaceChildren();
      $("ranking").hidden = true; $("assess-empty").hidden = true; $("person-detail").hidden = true; $("unit-ranking").hidden = true;
      $("assess-error").textContent = error.message; $("month-state").hidden = true; shownMonth = null;
    } finally {
      if (read === assessmentRead) $("assessment-card").removeAttribute("aria-busy");
    }
  }

  // An appeal decided or a follow-up closed below changes what keeps the month shown open (还有1件
  // 申诉待复核 stayed listed after the review): read it again, unless another month is typed since.
  async function readMonthAgain() {
    if (shownMonth && !$("month-state").hidden && $("month").value === shownMonth) await runAssessment();
  }

  // One step at a time per row: a double click sent two requests (驳回 twice, and the second's
  // 该申诉已处理 stood in red under the decision made; 未接通 twice counted two calls).
  const inFlight = new Set();
  async function once(key, work) {
    if (inFlight.has(key)) return;
    inFlight.add(key);
    try { await work(); } finally { inFlight.delete(key); }
  }

  async function loadAppeals() {
    const data = await HallQ.api("GET", "/appeals");
    $("appeal-rows").replaceChildren(...data.appeals.map((a) => {
      const cell = el("td", {});
      if (a.status === "pending") {
        const reason = el("input", { class: "appeal-reason", maxlength: "500", placeholder: "复核理由" });
        const decide = (accept) => async () => {
          $("appeal-error").textContent = "";
          // The hub wants two characters at least; its refusal named the field in English
          // (理由（reason）太短) and pointed at no box.
          if (reason.value.trim().length < 2) {
            $("appeal-error").textContent = "请先在复核理由框中写明理由（至少2个字），再采纳或驳回。";
            reason.focus();
            return;
          }
          await once(`appeal-${a.id}`, async () => {
            try {
              await HallQ.api("POST", `/appeals/${a.id}/decision`, { accept, reason: reason.value.trim() });
              await loadAppeals();
              await readMonthAgain();
            } catch (error) { $("appeal-error").textContent = error.message; }
          });
        };
        const accept = el("button", { type: "button", class: "accept" }, "采纳");
        const reject = el("button", { type: "button", class: "reject" }, "驳回");
        accept.addEventListener("click", decide(true)); reject.addEventListener("click", decide(false));
        cell.append(reason, " ", accept, " ", reject);
      } else {
        cell.append(`${data.names[a.decided_by] || a.decided_by || ""}：${a.decision_reason || ""}`);
      }
      // Numbers start again every day: the day tells two A1013 apart.
      return el("tr", { "data-appeal": String(a.id) }, el("td", {}, a.hall_day || ""), el("td", {}, a.number),
        el("td", {}, data.names[a.staff_id] || a.staff_id),
        el("td", {}, `${a.rating} 分`), el("td", {}, a.reason), el("td", { class: "status" }, STATUS_ZH[a.status] || a.status), cell);
    }));
    // No appeal yet: a sentence, not the table's headings over nothing (read as a list that failed).
    $("appeal-table").hidden = data.appeals.length === 0; $("appeals-empty").hidden = data.appeals.length > 0;
  }

  // 差评回访整改: each open follow-up offers only its next step (the hub refuses any other).
  async function loadFollowups() {
    const data = await HallQ.api("GET", "/followups");
    const name = (who) => data.names[who] || who || "";
    $("followup-counts").textContent = `待办 ${data.counts.open} 件，其中超期 ${data.counts.overdue} 件`;
    const post = (f, step, body) => once(`followup-${f.id}`, async () => {
      $("followup-error").textContent = "";
      try {
        await HallQ.api("POST", `/followups/${f.id}/${step}`, body);
        await loadFollowups();
        await readMonthAgain();
      } catch (error) { $("followup-error").textContent = error.message; }
    });
    $("followup-rows").replaceChildren(...data.followups.map((f) => {
      // The steps so far, each a sentence; who took a step is kept whole (大厅管理 / 员), while
      // a long note wraps anywhere, as Chinese does (held whole, it ran the table off the card).
      const who = (id) => { // 大厅管理员（manager）: the name whole, a line may break before its id
        const label = name(id), cut = label.indexOf("（");
        return cut > 0 ? [el("span", { class: "who" }, label.slice(0, cut)), label.slice(cut)] : [el("span", { class: "who" }, label)];
      };
      const done = [];
      if (f.new_number_at) done.push(["无法联系后市民留了新号码"]);
      if (f.attempts) done.push([`联系 ${f.attempts} 次${f.contact_result_zh ? "：" + f.contact_result_zh : ""}`]);
      if (f.finding_zh) done.push([`核实：${f.finding_zh}${f.finding_note ? "（" + f.finding_note + "）" : ""}，`, ...who(f.found_by)]);
      if (f.rectification) done.push([`整改：${f.rectification}，`, ...who(f.rectified_by)]);
      const cell = el("td", { class: "followup-actions" });
      const note = el("input", { class: "followup-note", maxlength: "200", placeholder: "说明" });
      const button = (label, cls, action) => {
        const b = el("button", { type: "button", class: cls }, label);
        b.addEventListener("click", action);
        return b;
      };
      if (f.state === "contact" && !f.contact_result) {
        cell.append(note, " ", button("已联系上", "reached", () => post(f, "attempts", { reached: true, note: note.value.trim() })),
          " ", button("未接通", "missed", () => post(f, "attempts", { reached: false, note: note.value.trim() })));
      } else if (f.state === "contact") {
        const finding = el("select", { class: "finding" },
          ...Object.entries(data.findings).map(([code, label]) => el("option", { value: code }, label)));
        cell.append(finding, " ", note, " ",
          button("记录核实结论", "find", () => post(f, "finding", { finding: finding.value, note: note.value.trim() })));
      } else if (f.state === "rectify") {
        const measures = el("input", { class: "measures", maxlength: "500", placeholder: "整改措施及反馈情况" });
        cell.append(measures, " ", button("整改办结", "rectify", () => {
          // As for an appeal's reason: the hub's refusal named the field in English (measures 太短).
          if (measures.value.trim().length >= 2) return post(f, "rectification", { measures: measures.value.trim() });
          $("followup-error").textContent = "请先填写整改措施及反馈情况（至少2个字），再点整改办结。";
          measures.focus();
        }));
      }
      return el("tr", { "data-followup": String(f.id), class: f.overdue ? "late" : "" },
        el("td", {}, f.hall_day), el("td", {}, f.number), el("td", {}, name(f.staff_id)), el("td", {}, `${f.rating} 分`),
        el("td", { class: "phone" }, f.phone || "—"), el("td", { class: "status" }, f.state_zh),
        el("td", {}, f.due ? `${f.due}${f.overdue ? "（已超期）" : ""}` : "—"), el("td", { class: "progress" }, ...done.flatMap((step, i) => (i ? ["；", ...step] : step))), cell);
    }));
  }

  // The browser's own calendar day, YYYY-MM-DD: toISOString() gives the UTC day, yesterday's
  // before 08:00 in Beijing.
  const localDay = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

  async function start() {
    const me = await ManagerSignIn.require(new Set(["manager", "admin", "chief"]));
    const chief = me.role === "chief"; // a unit's chief representative: that unit's figures only
    $("who-name").textContent = me.display_name || me.name;
    $("sign-out").hidden = false;
    $("sign-out").addEventListener("click", ManagerSignIn.signOut);
    const hall = await HallQ.api("GET", "/hall").catch(() => null);
    hallTimeZone = (hall && hall.timezone) || undefined;
    const zones = await HallQ.api("GET", "/zones").catch(() => []);
    $("filter-zone").append(...zones.map((z) => el("option", { value: z.code }, `${z.code}区 ${z.name}`)));
    // A chief's reports are their own unit's (the hub answers 403 for any other, and for an
    // account without a unit): the select offers that unit only, where it listed every unit.
    const units = ((hall && hall.units) || []).filter((u) => !chief || u.code === me.unit);
    if (chief) $("filter-unit").replaceChildren();
    $("filter-unit").append(...units.map((u) => el("option", { value: u.code }, u.name)));
    if (chief) {
      $("filter-unit").disabled = true;
      $("assessment-card").hidden = true; $("appeals-card").hidden = true; // the hall manager's work
    }
    const today = (hall && hall.hall_day) || localDay(new Date());
    $("from").value = `${today.slice(0, 7)}-01`; $("to").value = today; $("month").value = today.slice(0, 7);
    $("report-form").addEventListener("submit", runReport);
    $("assess-form").addEventListener("submit", runAssessment);
    $("finalise").addEventListener("click", finalise);
    // Another month typed: 归档 waits until that month's state is read (查看考核), with its reasons.
    $("month").addEventListener("input", () => {
      monthTyped = true;
      if ($("month").value !== shownMonth) $("finalise-box").hidden = true;
    });
    $("download-csv").addEventListener("click", () => download("csv"));
    $("download-xlsx").addEventListener("click", () => download("xlsx"));
    $("download-assessment").addEventListener("click",
      () => save(`/stats/assessment.xlsx?month=${$("month").value}`, `月度考核_${$("month").value}.xlsx`, "assess-error"));
    // Shown once its fields hold their defaults and its buttons answer: shown before /hall was
    // read, a month typed meanwhile was overwritten by this month, and 查看考核 pressed then sent
    // the bare form (the page reloaded at /reports?).
    $("view-reports").hidden = false;
    if (!chief) {
      const archived = await loadFinalMonths().catch((error) => { $("assess-error").textContent = error.message; });
      if (archived) await openOnMonth(today, archived).catch((error) => { $("assess-error").textContent = error.message; });
      await loadAppeals().catch((error) => { $("appeal-error").textContent = error.message; });
    }
    await loadFollowups().catch((error) => { $("followup-error").textContent = error.message; }); // a chief: their unit's
  }

  document.addEventListener("DOMContentLoaded", start);
})();
