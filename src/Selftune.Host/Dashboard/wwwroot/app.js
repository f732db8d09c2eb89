// selftune dashboard: a small vanilla-JS app over the JSON API (/api/...), live over Server-Sent Events (/api/events),
// falling back to polling. Every text from the store goes through esc() or textContent.
"use strict";

const token = document.querySelector('meta[name="selftune-token"]').content;
const main = document.getElementById("main");
const charts = [];
let live = { mode: "connecting", source: null, pollTimer: null, lastAction: null, actions: [] };
let current = { render: null, busy: false, dirty: false };

const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const num = (v) => (v ?? 0).toLocaleString("en-US");
const pct = (v) => (v === null || v === undefined ? "–" : Math.round(v * 100) + "%");
const usd = (v) => "$" + Number(v ?? 0).toFixed(Number(v ?? 0) >= 100 ? 0 : 2);
const tokens = (t) => t?.total ?? 0; // TokenTotals.Total, as the API sends it
const day = (v) => (v ? new Date(v).toISOString().slice(0, 10) : "–");
const when = (v) => (v ? new Date(v).toISOString().slice(0, 16).replace("T", " ") : "–");
const short = (v, n = 12) => (v && v.length > n ? v.slice(0, n) + "…" : v ?? "");
const base = (p) => (p ? p.replace(/\/+$/, "").split("/").pop() || p : "–");
const label = (s) => String(s ?? "").replace(/_/g, " ");
const pill = (cls, text) => `<span class="pill ${esc(cls)}">${esc(label(text))}</span>`;
const enc = encodeURIComponent;

async function api(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" } });
  const body = await r.json().catch(() => ({ error: { code: "BAD_ANSWER", message: `${path} answered ${r.status}` } }));
  if (!r.ok) throw Object.assign(new Error(body.error?.message ?? r.statusText), { error: body.error, status: r.status });
  return body;
}

async function act(kind, body) {
  const r = await fetch(`/api/actions/${kind}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Selftune-Token": token },
    body: JSON.stringify(body ?? {}),
  });
  const answer = await r.json().catch(() => ({}));
  if (!r.ok) { toast(answer.error?.message ?? `The action failed (${r.status}).`); return null; }
  toast(`${kind} started`);
  return answer.action_id;
}

function toast(text) {
  const t = document.getElementById("toast");
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.hidden = true), 4000);
}

// Chart.js (208 KB) is loaded after the first view shows its figures, so it never delays them; a chart asked for before
// it is in is drawn when it arrives (if its canvas is still shown). main[data-charts] is when the last chart was drawn.
let chartLib = null;
function loadCharts() {
  chartLib ??= new Promise((resolve) => {
    const s = document.createElement("script");
    s.src = "/assets/vendor/chart.umd.min.js";
    s.onload = s.onerror = () => resolve();
    document.head.append(s);
  });
  return chartLib;
}

function chart(canvas, config) {
  const draw = () => {
    if (!window.Chart || !canvas?.isConnected) return;
    const dark = matchMedia("(prefers-color-scheme: dark)").matches;
    Chart.defaults.color = dark ? "#8b949e" : "#5b6675";
    Chart.defaults.borderColor = dark ? "#2a313c" : "#e3e7ed";
    Chart.defaults.font.family = "system-ui, sans-serif";
    charts.push(new Chart(canvas, { ...config, options: { animation: false, maintainAspectRatio: false, responsive: true, ...config.options } }));
    main.dataset.charts = String(Date.now());
  };
  if (window.Chart) draw(); else loadCharts().then(draw);
}

function clearCharts() { while (charts.length) charts.pop().destroy(); }

function failure(e) {
  const err = e.error ?? { message: e.message };
  return `<div class="card problem"><h2>${esc(err.code ?? "Error")}</h2><p>${esc(err.message)}</p>${err.next_command ? `<p>Fix: <code>${esc(err.next_command)}</code></p>` : ""}
    <p class="muted">This is what <code>selftune doctor</code> reports; see <a href="/health">Health</a>.</p></div>`;
}

// ---------- routing ----------
const routes = [
  [/^\/$/, overview, "overview"],
  [/^\/skills\/(.+)$/, skillPage, "overview"],
  [/^\/sessions$/, sessionsPage, "sessions"],
  [/^\/sessions\/(.+)$/, sessionPage, "sessions"],
  [/^\/cost$/, costPage, "cost"],
  [/^\/runs$/, runsPage, "runs"],
  [/^\/runs\/(.+)$/, runPage, "runs"],
  [/^\/health$/, healthPage, "health"],
  [/^\/team$/, teamPage, "team"],
];

async function show(keepScroll) {
  const path = location.pathname;
  for (const [re, render, nav] of routes) {
    const m = path.match(re);
    if (!m) continue;
    document.querySelectorAll("[data-nav]").forEach((a) => a.classList.toggle("active", a.dataset.nav === nav));
    current.render = () => render(...m.slice(1).map(decodeURIComponent));
    await refresh(keepScroll);
    return;
  }
  main.innerHTML = `<div class="card"><h1>Not found</h1><p><a href="/">Back to the overview</a></p></div>`;
}

async function refresh(keepScroll) {
  if (current.busy) { current.dirty = true; return; }
  current.busy = true;
  const y = scrollY;
  try {
    const html = await current.render();
    clearCharts();
    main.innerHTML = html.html;
    html.after?.();
    main.dataset.ready = String(Date.now());
    loadCharts();
  } catch (e) {
    clearCharts();
    main.innerHTML = failure(e);
    main.dataset.ready = String(Date.now());
  } finally {
    current.busy = false;
    if (keepScroll) scrollTo(0, y);
  }
  if (current.dirty) { current.dirty = false; refresh(true); }
}

document.addEventListener("click", (e) => {
  const a = e.target.closest("a[href^='/']");
  if (a && !a.hasAttribute("download") && !a.getAttribute("href").startsWith("/badge/") && !e.metaKey && !e.ctrlKey && e.button === 0) {
    e.preventDefault();
    history.pushState(null, "", a.getAttribute("href"));
    show(false).then(() => scrollTo(0, 0));
    return;
  }
  const row = e.target.closest("tr[data-href]");
  if (row) { history.pushState(null, "", row.dataset.href); show(false).then(() => scrollTo(0, 0)); return; }
  const b = e.target.closest("button[data-action]");
  if (b) {
    const body = b.dataset.body ? JSON.parse(b.dataset.body) : {};
    if (b.dataset.confirm && !confirm(b.dataset.confirm)) return;
    b.disabled = true;
    act(b.dataset.action, body).finally(() => setTimeout(() => (b.disabled = false), 800));
  }
});
addEventListener("popstate", () => show(false));

// ---------- overview ----------
const GROUPS = [
  ["attention_needed", "Attention needed", "Triggering far too rarely: look at the misses."],
  ["at_risk", "At risk", "Trigger rate below 70%, or SKILL.md read without use."],
  ["improving", "Improving", "Trigger rate up in the newest week."],
  ["stable", "Stable", "Triggers when it should (or too little data yet)."],
  ["unused", "Unused", "Installed, never seen in a session."],
];

async function overview() {
  const o = await api("/api/overview");
  footer(o.status?.system);
  if (o.empty) {
    return { html: `<h1>Overview</h1><div class="card empty"><h2>No sessions yet</h2>
      <p class="muted">selftune has not read any agent session into <code>${esc(o.status?.system?.store_path ?? "its store")}</code>.</p>
      <div class="steps"><div>1. <code>selftune init</code> — detect your agents, install hooks</div><div>2. <code>selftune sync</code> — read their saved sessions</div></div>
      <p class="muted">This page updates itself when the first sessions arrive.</p></div>` };
  }
  const skills = new Map(o.status.skills.map((s) => [s.name, s]));
  const t = o.totals;
  const cards = GROUPS.map(([key, title, hint]) => {
    const names = o.groups[key] ?? [];
    const list = names.map((n) => skillCard(skills.get(n), key)).join("") || `<div class="muted">none</div>`;
    return `<div class="group"><h2><span>${esc(title)}</span><span class="count ${"g-" + key}" data-group-count="${key}">${names.length}</span></h2>
      <p class="muted" style="margin:-6px 0 10px;font-size:12px">${esc(hint)}</p>${list}</div>`;
  }).join("");
  const runs = o.runs.length ? `<table><tr><th>run</th><th>started</th><th>status</th><th class="num">candidates</th><th class="num">deployed</th></tr>
    ${o.runs.map((r) => `<tr class="link" data-href="/runs/${enc(r.run_id)}"><td>${esc(r.run_id)}</td><td>${when(r.started_at)}</td><td>${pill("s-" + r.status, r.status)}${r.dry_run ? ' <span class="chip">dry run</span>' : ""}</td><td class="num">${r.candidates}</td><td class="num">${r.deployed}</td></tr>`).join("")}</table>`
    : `<p class="muted">No run yet.</p>`;
  return {
    html: `<div class="row spread"><div><h1>Overview</h1><p class="sub">${num(o.status.skills.length)} skills, as of ${when(o.status.as_of)} UTC · windows of ${o.status.window_days} days</p></div>
      <div class="row"><button data-action="run" data-body='{"dry_run":true}'>Run the loop (dry run)</button></div></div>
      <div class="grid cols-4">
        <div class="card stat"><div class="k">Sessions</div><div class="v" id="total-sessions">${num(t.sessions)}</div><div class="d">sub-agents included</div></div>
        <div class="card stat"><div class="k">Prompts</div><div class="v">${num(t.actionable_prompts)}</div><div class="d">typed by a person, of ${num(t.prompts)}</div></div>
        <div class="card stat"><div class="k">Tokens</div><div class="v">${num(tokens(t.tokens))}</div><div class="d">${num(t.tokens.output)} output</div></div>
        <div class="card stat"><div class="k">Cost</div><div class="v">${usd(t.tokens.cost_usd)}</div><div class="d">${t.tokens.unpriced_responses ? num(t.tokens.unpriced_responses) + " responses unpriced" : "all responses priced"}</div></div>
      </div>
      <div class="section groups">${cards}</div>
      <div class="section grid cols-2">
        <div class="card"><h2>Prompts no skill served <span class="count">${num(o.status.unmatched.count)}</span></h2>
          ${o.status.unmatched.examples.map((p) => `<div class="prompt" style="margin-bottom:6px"><a href="/sessions/${enc(p.session_id)}">${day(p.occurred_at)}</a> ${esc(p.text)}</div>`).join("") || '<p class="muted">none</p>'}</div>
        <div class="card"><h2>Recent runs ${o.pending_proposals ? `<span class="count s-warn">${o.pending_proposals} proposal(s) wait</span>` : ""}</h2>${runs}</div>
      </div>`,
    after: () => document.querySelectorAll("canvas[data-spark]").forEach((c) => {
      const s = skills.get(c.dataset.spark);
      chart(c, {
        type: "line",
        data: { labels: s.windows.map((w) => day(w.start)), datasets: [{ data: s.windows.map((w) => w.triggers + w.explicit), borderColor: getComputedStyle(c).color, borderWidth: 2, pointRadius: 0, tension: 0.3, fill: false }] },
        options: { plugins: { legend: { display: false }, tooltip: { enabled: false } }, scales: { x: { display: false }, y: { display: false, beginAtZero: true } } },
      });
    }),
  };
}

function skillCard(s, group) {
  if (!s) return "";
  const uses = s.windows.reduce((a, w) => a + w.triggers + w.explicit, 0);
  return `<a class="skill" href="/skills/${enc(s.name)}" data-skill="${esc(s.name)}">
    <div class="row spread"><span class="name">${esc(s.name)}</span>${pill("h-" + s.health, s.health)}</div>
    <div class="meta"><span>trigger rate <b data-rate>${pct(s.trigger_rate)}</b></span><span>${num(s.triggers + s.explicit)} uses · ${num(s.misses)} misses</span></div>
    ${uses ? `<div class="spark" style="color:var(--${group === "attention_needed" ? "crit" : group === "at_risk" ? "warn" : "accent"})"><canvas data-spark="${esc(s.name)}" aria-label="uses per week"></canvas></div>` : ""}
  </a>`;
}

// ---------- skill ----------
async function skillPage(name) {
  const d = await api(`/api/skills/${enc(name)}`);
  const s = d.skill;
  const h = d.history;
  const grades = s.grades;
  const missRows = d.misses.map((m) => `<tr><td>${pill("chip", m.kind)}</td><td class="num">${m.confidence.toFixed(2)}</td><td class="prompt">${esc(m.text)}</td><td><a href="/sessions/${enc(m.session_id)}">${day(m.occurred_at)}</a></td><td class="muted">${esc(m.reason)}</td></tr>`).join("");
  const proposals = h.proposals.slice().reverse().map((p) => proposalItem(p.proposal, p.audit, s.name)).join("");
  const writes = h.writes.map((w) => `<tr><td>${when(w.occurred_at)}</td><td>${pill("s-" + w.action, w.action)}</td><td>${esc(w.proposal_id ?? "–")}</td><td class="prompt">${esc(w.backup_path ?? "")}</td></tr>`).join("");
  const watches = h.watches.map((w) => `<tr><td>${when(w.checked_at)}</td><td>${esc(w.proposal_id)}</td><td>${pill("s-" + w.verdict, w.verdict)}</td></tr>`).join("");
  return {
    html: `<p class="muted"><a href="/">Overview</a> / skill</p>
      <div class="row spread"><div><h1>${esc(s.name)} ${pill("h-" + s.health, s.health)} ${pill("g-" + d.group, d.group)}</h1><p class="sub">${esc(s.health_reason)}</p></div>
        <div class="row"><button data-action="evolve" data-body='${esc(JSON.stringify({ skill: s.name }))}'>Evolve (dry run)</button>
        ${h.active_deploys.length ? `<button data-action="rollback" data-confirm="Restore the SKILL.md from before the last deploy?" data-body='${esc(JSON.stringify({ skill: s.name }))}'>Roll back</button>` : ""}
        <img src="/badge/${enc(s.name)}.svg" alt="badge" height="20"></div></div>
      <div class="grid cols-4">
        <div class="card stat"><div class="k">Trigger rate</div><div class="v" id="skill-rate">${pct(s.trigger_rate)}</div><div class="d">trend ${esc(s.trend)}</div></div>
        <div class="card stat"><div class="k">Triggers</div><div class="v">${num(s.triggers)}</div><div class="d">${num(s.explicit)} explicit uses</div></div>
        <div class="card stat"><div class="k">Misses</div><div class="v">${num(s.misses)}</div><div class="d">${num(s.reads_not_invoked)} SKILL.md reads without use</div></div>
        <div class="card stat"><div class="k">Gradings</div><div class="v">${grades ? num(grades.graded) : "–"}</div><div class="d">${grades ? "recent pass rate " + pct(grades.recent_pass_rate) + ", " + grades.open_failures + " open failures" : "not graded (selftune grade)"}</div></div>
      </div>
      <div class="section grid cols-2">
        <div class="card"><h2>Trend, week by week</h2><div class="chart"><canvas id="trend"></canvas></div></div>
        <div class="card"><h2>Current description</h2>${d.description ? `<div class="desc">${esc(d.description)}</div><p class="muted prompt">${esc(d.skill_file)}</p>` : '<p class="muted">Not installed on this machine.</p>'}
          ${s.problems.length ? `<p>${s.problems.map((p) => pill("s-fail", p)).join(" ")}</p>` : ""}
          <p class="muted">README: <code>selftune badge --skill ${esc(s.name)} --format markdown</code></p></div>
      </div>
      <div class="section card"><h2>Misses <span class="count">${num(d.misses.length)}</span></h2>
        ${missRows ? `<table><tr><th>kind</th><th class="num">conf.</th><th>prompt</th><th>when</th><th>why</th></tr>${missRows}</table>` : '<p class="muted">No misses.</p>'}
        <p class="muted" style="font-size:12px">${esc(s.misses_by_kind?.map((k) => `${label(k.kind)} ${k.count}${k.low_confidence ? ` (${k.low_confidence} low confidence)` : ""}`).join(" · ") ?? "")}</p></div>
      <div class="section card"><h2>Evolution</h2>${proposals ? `<ul class="timeline">${proposals}</ul>` : '<p class="muted">No proposals yet. <code>selftune evolve --skill ' + esc(s.name) + "</code> makes some.</p>"}</div>
      <div class="section grid cols-2">
        <div class="card"><h2>Deploys and rollbacks</h2>${writes ? `<table><tr><th>when</th><th>action</th><th>proposal</th><th>backup</th></tr>${writes}</table>` : '<p class="muted">selftune never wrote this SKILL.md.</p>'}${h.edited_since_last_write ? '<p class="pill s-warn">edited by hand since selftune\'s last write</p>' : ""}</div>
        <div class="card"><h2>Watches</h2>${watches ? `<table><tr><th>when</th><th>deploy</th><th>verdict</th></tr>${watches}</table>` : '<p class="muted">No watch yet.</p>'}</div>
      </div>
      <div class="section card"><h2>Recent sessions using it</h2>${sessionTable(d.sessions)}</div>`,
    after: () => chart(document.getElementById("trend"), {
      data: {
        labels: s.windows.map((w) => day(w.start)),
        datasets: [
          { type: "bar", label: "triggers", data: s.windows.map((w) => w.triggers), backgroundColor: "#14b8a6", stack: "u", yAxisID: "y" },
          { type: "bar", label: "explicit", data: s.windows.map((w) => w.explicit), backgroundColor: "#0ea5e9", stack: "u", yAxisID: "y" },
          { type: "bar", label: "misses", data: s.windows.map((w) => w.misses), backgroundColor: "#f97316", stack: "m", yAxisID: "y" },
          { type: "line", label: "trigger rate", data: s.windows.map((w) => (w.trigger_rate === null || w.trigger_rate === undefined ? null : Math.round(w.trigger_rate * 100))), borderColor: "#a855f7", yAxisID: "r", spanGaps: true },
        ],
      },
      options: { scales: { y: { beginAtZero: true, stacked: true, title: { display: true, text: "prompts" } }, r: { position: "right", min: 0, max: 100, grid: { display: false }, title: { display: true, text: "%" } } } },
    }),
  };
}

function proposalItem(p, audit, skill) {
  const validated = audit.filter((a) => a.action === "validated" || a.action === "rejected").pop();
  const ev = validated?.evidence;
  const figures = ev && typeof ev === "object" ? Object.entries(ev).filter(([, v]) => typeof v === "number").map(([k, v]) => `<span class="chip">${esc(label(k))} ${esc(Number.isInteger(v) ? v : v.toFixed(2))}</span>`).join("") : "";
  const buttons = p.status === "validated"
    ? `<button class="primary" data-action="approve" data-confirm="Deploy this description to the SKILL.md (a backup is made)?" data-body='${esc(JSON.stringify({ proposal_id: p.proposal_id }))}'>Approve</button>
       <button data-action="reject" data-body='${esc(JSON.stringify({ proposal_id: p.proposal_id }))}'>Reject</button>` : "";
  return `<li><div class="row spread"><div><b>${esc(p.proposal_id)}</b> ${pill("s-" + p.status, p.status)} ${p.heuristic ? '<span class="chip">heuristic</span>' : ""} <span class="muted">${when(p.created_at)} · aim: ${esc(p.aim)}</span></div><div class="row">${buttons}</div></div>
    <div class="desc diff" style="margin:8px 0">${diff(p.original_description, p.proposed_description)}</div>
    <div class="chips">${figures}</div>
    ${audit.map((a) => `<div class="muted" style="font-size:12px">${when(a.occurred_at)} ${esc(a.action)}: ${esc(a.message)}</div>`).join("")}</li>`;
}

// Word diff (longest common subsequence) of two descriptions.
function diff(a, b) {
  const x = (a ?? "").split(/(\s+)/), y = (b ?? "").split(/(\s+)/);
  if (x.length * y.length > 250000) return `<del>${esc(a)}</del> <ins>${esc(b)}</ins>`;
  const m = Array.from({ length: x.length + 1 }, () => new Uint16Array(y.length + 1));
  for (let i = x.length - 1; i >= 0; i--) for (let j = y.length - 1; j >= 0; j--) m[i][j] = x[i] === y[j] ? m[i + 1][j + 1] + 1 : Math.max(m[i + 1][j], m[i][j + 1]);
  let i = 0, j = 0, out = "";
  while (i < x.length && j < y.length) {
    if (x[i] === y[j]) { out += esc(x[i]); i++; j++; }
    else if (m[i + 1][j] >= m[i][j + 1]) out += `<del>${esc(x[i++])}</del>`;
    else out += `<ins>${esc(y[j++])}</ins>`;
  }
  while (i < x.length) out += `<del>${esc(x[i++])}</del>`;
  while (j < y.length) out += `<ins>${esc(y[j++])}</ins>`;
  return out;
}

// ---------- sessions ----------
function sessionTable(list) {
  if (!list.length) return '<p class="muted">No session matches.</p>';
  return `<table><tr><th>ended</th><th>session</th><th>agent</th><th>project</th><th class="num">prompts</th><th class="num">tools</th><th class="num">errors</th><th>skills</th><th class="num">tokens</th><th class="num">cost</th></tr>
    ${list.map((s) => `<tr class="link" data-href="/sessions/${enc(s.session_id)}"><td>${when(s.ended_at ?? s.started_at)}</td><td class="prompt">${esc(short(s.session_id))}</td><td>${esc(s.platform)}</td><td title="${esc(s.project)}">${esc(base(s.project))}</td>
      <td class="num">${s.actionable_prompts}</td><td class="num">${s.tool_calls}</td><td class="num">${s.tool_errors ? `<b style="color:var(--warn)">${s.tool_errors}</b>` : 0}</td>
      <td><div class="chips">${[...new Set(s.skills.map((k) => k.name))].map((k) => `<span class="chip">${esc(k)}</span>`).join("")}</div></td><td class="num">${num(tokens(s.tokens))}</td><td class="num">${usd(s.tokens.cost_usd)}</td></tr>`).join("")}</table>`;
}

async function sessionsPage() {
  const q = new URLSearchParams(location.search);
  const d = await api("/api/sessions?" + q.toString());
  const platforms = [...new Set(d.sessions.map((s) => s.platform).concat(q.get("platform") ? [q.get("platform")] : []))].sort();
  return {
    html: `<h1>Sessions</h1><p class="sub">Newest first; tokens, tools and skills include sub-agents. Same records as <code>selftune sessions --json</code>.</p>
      <form class="filters" id="filters">
        <input name="project" placeholder="project contains…" value="${esc(q.get("project") ?? "")}">
        <select name="platform"><option value="">every agent</option>${platforms.map((p) => `<option ${q.get("platform") === p ? "selected" : ""}>${esc(p)}</option>`).join("")}</select>
        <input name="skill" placeholder="skill" value="${esc(q.get("skill") ?? "")}">
        <input name="since" type="date" value="${esc(q.get("since") ?? "")}">
        <button class="primary">Filter</button><a class="btn" href="/sessions">Clear</a>
      </form>
      <div class="card"><div class="muted" style="margin-bottom:8px" id="session-count">${num(d.sessions.length)} sessions</div>${sessionTable(d.sessions)}</div>`,
    after: () => document.getElementById("filters").addEventListener("submit", (e) => {
      e.preventDefault();
      const p = new URLSearchParams([...new FormData(e.target)].filter(([, v]) => v));
      history.pushState(null, "", "/sessions" + (p.toString() ? "?" + p : ""));
      show(false);
    }),
  };
}

async function sessionPage(id) {
  const d = await api(`/api/sessions/${enc(id)}`);
  const s = d.session;
  const turns = d.turns.map((t) => `<tr><td class="muted">${when(t.occurred_at)}</td><td class="prompt">${t.actionable ? "" : '<span class="chip">' + esc(t.kind) + "</span> "}${esc(t.text)}</td>
    <td><div class="chips">${t.skills.map((k) => `<span class="chip">${esc(k.name)} · ${esc(k.kind)}</span>`).join("")}</div></td><td class="num">${t.tool_calls}${t.tool_errors ? ` <b style="color:var(--warn)">(${t.tool_errors} failed)</b>` : ""}</td></tr>`).join("");
  return {
    html: `<p class="muted"><a href="/sessions">Sessions</a> / session</p><h1 class="prompt" style="font-size:18px">${esc(s.session_id)}</h1>
      <p class="sub">${esc(s.platform)} · ${esc(s.project ?? "?")}${s.git_branch ? " on " + esc(s.git_branch) : ""} · ${when(s.started_at)} → ${when(s.ended_at)} UTC · ${esc(s.status)} · ${esc(s.models.join(", "))}</p>
      <div class="grid cols-4">
        <div class="card stat"><div class="k">Prompts</div><div class="v">${s.actionable_prompts}</div><div class="d">${d.turns.length} turns in all</div></div>
        <div class="card stat"><div class="k">Tool calls</div><div class="v">${s.tool_calls}</div><div class="d">${s.tool_errors} failed · ${d.errors.length} session errors</div></div>
        <div class="card stat"><div class="k">Tokens</div><div class="v">${num(tokens(s.tokens))}</div><div class="d">${s.subagents} sub-agents</div></div>
        <div class="card stat"><div class="k">Cost</div><div class="v">${usd(s.tokens.cost_usd)}</div><div class="d">${s.tokens.unpriced_responses ? s.tokens.unpriced_responses + " unpriced responses" : "all priced"}</div></div>
      </div>
      <div class="section card"><h2>Turns</h2>${turns ? `<table><tr><th>when</th><th>prompt</th><th>skills</th><th class="num">tools</th></tr>${turns}</table>` : '<p class="muted">No prompts.</p>'}</div>
      <div class="section grid cols-2">
        <div class="card"><h2>Tools</h2>${d.tools.length ? `<table><tr><th>tool</th><th class="num">calls</th><th class="num">failed</th></tr>${d.tools.map((t) => `<tr><td>${esc(t.name)}</td><td class="num">${t.calls}</td><td class="num">${t.errors}</td></tr>`).join("")}</table>` : '<p class="muted">none</p>'}</div>
        <div class="card"><h2>Tokens by model</h2>${d.by_model.length ? `<table><tr><th>model</th><th class="num">input</th><th class="num">output</th><th class="num">cache</th><th class="num">cost</th></tr>${d.by_model.map((m) => `<tr><td>${esc(m.model)}</td><td class="num">${num(m.tokens.input)}</td><td class="num">${num(m.tokens.output)}</td><td class="num">${num(m.tokens.cache_read + m.tokens.cache_write)}</td><td class="num">${usd(m.tokens.cost_usd)}</td></tr>`).join("")}</table>` : '<p class="muted">none</p>'}
          ${d.subagents.length ? `<h2 style="margin-top:16px">Sub-agents</h2>${d.subagents.map((x) => `<div class="prompt">${esc(x)}</div>`).join("")}` : ""}</div>
      </div>
      ${d.errors.length ? `<div class="section card"><h2>Errors</h2><table>${d.errors.map((e) => `<tr><td class="muted">${when(e.occurred_at)}</td><td>${esc(e.kind)}</td><td class="prompt">${esc(e.message)}</td></tr>`).join("")}</table></div>` : ""}`,
  };
}

// ---------- cost ----------
async function costPage() {
  const by = new URLSearchParams(location.search).get("by") ?? "day";
  const d = await api(`/api/cost?by=${enc(by)}`);
  const total = d.totals?.tokens.cost_usd ?? 0;
  const timed = ["day", "week", "month"].includes(by);
  const rows = timed ? d.rows.slice().reverse() : d.rows;
  return {
    html: `<h1>Cost</h1><p class="sub">Tokens and USD from every stored response, priced as ccusage prices them; days in ${esc(d.time_zone)}${by === "skill" ? "; a session that used two skills counts under both" : ""}. Same report as the CLI's cost command.</p>
      <div class="row" style="margin-bottom:14px">${d.dimensions.map((x) => `<a class="btn ${x === by ? "primary" : ""}" style="${x === by ? "color:#fff;background:var(--accent)" : ""}" href="/cost?by=${x}">by ${x}</a>`).join("")}</div>
      <div class="card"><h2>${usd(total)} in all</h2><div class="chart" style="height:280px"><canvas id="cost"></canvas></div></div>
      <div class="section card"><table><tr><th>${esc(by)}</th><th class="num">sessions</th><th class="num">input</th><th class="num">output</th><th class="num">cache read</th><th class="num">cost</th></tr>
        ${rows.map((r) => `<tr><td class="${by === "project" ? "prompt" : ""}">${by === "skill" && r.key !== "(no skill)" ? `<a href="/skills/${enc(r.key)}">${esc(r.key)}</a>` : esc(r.key)}</td><td class="num">${num(r.sessions)}</td><td class="num">${num(r.tokens.input)}</td><td class="num">${num(r.tokens.output)}</td><td class="num">${num(r.tokens.cache_read)}</td><td class="num">${usd(r.tokens.cost_usd)}</td></tr>`).join("")}</table></div>`,
    after: () => {
      const top = timed ? d.rows.slice(-90) : d.rows.slice(0, 20);
      chart(document.getElementById("cost"), {
        type: "bar",
        data: { labels: top.map((r) => (by === "project" ? base(r.key) : r.key)), datasets: [{ label: "USD", data: top.map((r) => Number(r.tokens.cost_usd.toFixed(4))), backgroundColor: "#14b8a6" }] },
        options: { indexAxis: timed ? "x" : "y", plugins: { legend: { display: false } } },
      });
    },
  };
}

// ---------- runs ----------
function liveView() {
  const a = live.lastAction;
  if (!a) return '<p class="muted">No action started from this dashboard yet. Runs started elsewhere (CLI, schedule) show in the list as they start and end.</p>';
  const steps = live.actions.filter((x) => x.action_id === a.action_id);
  return `<div class="row"><b>${esc(a.action_id)}</b> ${pill("s-" + a.state, a.state)}</div>
    <ol class="phases">${steps.map((x) => `<li>${when(x.at)} ${x.result?.name ? pill("s-" + x.result.status, x.result.status) + " " : ""}${esc(x.message)}${x.result?.elapsed_ms !== undefined ? ` <span class="muted">${x.result.elapsed_ms} ms</span>` : ""}</li>`).join("")}</ol>`;
}

async function runsPage() {
  const d = await api("/api/runs");
  return {
    html: `<div class="row spread"><div><h1>Runs</h1><p class="sub">Every <code>selftune run</code>, newest first; a running one's page follows it phase by phase, wherever it was started, and the live view below follows an action started here.</p></div>
      <div class="row"><button data-action="run" data-body='{"dry_run":true}'>Run (dry run)</button><button class="primary" data-action="run" data-confirm="Run the whole loop? It may deploy improved descriptions (with backups)." data-body='{"dry_run":false}'>Run</button></div></div>
      <div class="card" id="live-run"><h2>Live</h2>${liveView()}</div>
      <div class="section card">${d.runs.length ? `<table><tr><th>run</th><th>started</th><th>status</th><th>trigger</th><th>mode</th><th class="num">candidates</th><th class="num">deployed</th><th class="num">rolled back</th></tr>
        ${d.runs.map((r) => `<tr class="link" data-href="/runs/${enc(r.run_id)}"><td class="prompt">${esc(r.run_id)}</td><td>${when(r.started_at)}</td><td>${pill("s-" + r.status, r.status)}</td><td>${esc(r.trigger)}</td><td>${[r.dry_run && "dry run", r.review_required && "review", r.sample_data && "sample data"].filter(Boolean).join(", ")}</td><td class="num">${r.candidates}</td><td class="num">${r.deployed}</td><td class="num">${r.rolled_back}</td></tr>`).join("")}</table>`
        : '<p class="muted">No runs yet. <code>selftune run --dry-run</code> shows what a run would do.</p>'}</div>`,
  };
}

async function runPage(id) {
  const d = await api(`/api/runs/${enc(id)}`);
  const r = d.report;
  return {
    html: `<p class="muted"><a href="/runs">Runs</a> / run</p><h1 class="prompt" style="font-size:18px">${esc(id)} ${pill("s-" + d.summary.status, d.summary.status)}</h1>
      <p class="sub">${when(d.summary.started_at)} → ${when(d.summary.ended_at)} UTC · ${esc(d.summary.trigger)}${d.summary.dry_run ? " · dry run" : ""}</p>
      ${r ? `<div class="card"><h2>Phases</h2><table><tr><th>phase</th><th>status</th><th class="num">ms</th><th>summary</th></tr>${r.phases.map((p) => `<tr><td>${esc(p.name)}</td><td>${pill("s-" + p.status, p.status)}</td><td class="num">${num(p.elapsed_ms)}</td><td>${esc(p.summary)}${p.next_command ? `<div class="muted">next: <code>${esc(p.next_command)}</code></div>` : ""}</td></tr>`).join("")}</table></div>` : ""}
      ${d.summary.status === "running" ? '<p class="muted">Still running: this page follows it phase by phase.</p>' : ""}
      ${d.text ? `<div class="section card"><h2>Report</h2><pre class="text">${esc(d.text)}</pre></div>` : ""}`,
  };
}

// ---------- health ----------
async function healthPage() {
  const d = await api("/api/health");
  const order = { fail: 0, warn: 1, ok: 2 };
  const checks = d.checks.slice().sort((a, b) => order[a.status] - order[b.status]);
  const counts = ["fail", "warn", "ok"].map((k) => `${d.checks.filter((c) => c.status === k).length} ${k === "ok" ? "ok" : k === "warn" ? "warnings" : "failed"}`).join(" · ");
  return {
    html: `<h1>Health ${pill(d.healthy ? "s-ok" : "s-fail", d.healthy ? "healthy" : "needs a fix")}</h1><p class="sub">What <code>selftune doctor</code> checks: ${counts}. Healthy means nothing failed; warnings name their fix.</p>
      <div class="card"><table><tr><th>check</th><th>status</th><th>found</th></tr>${checks.map((c) => `<tr><td><b>${esc(c.name)}</b></td><td>${pill("s-" + c.status, c.status)}</td><td>${esc(c.message)}${c.next_command ? `<div class="muted">fix: <code>${esc(c.next_command)}</code></div>` : ""}</td></tr>`).join("")}</table></div>
      <div class="section card"><dl class="kv"><dt>version</dt><dd>${esc(d.version)}</dd><dt>store</dt><dd class="prompt">${esc(d.store)}</dd><dt>live updates</dt><dd>${esc(liveText())}</dd></dl></div>`,
  };
}

// ---------- team ----------
// The team database (team.database) is read on each visit; an error there (unreachable, refused) is shown here and
// leaves the rest of the dashboard as it is.
async function teamPage() {
  const q = new URLSearchParams(location.search);
  const by = q.get("by") ?? "machine";
  const skill = q.get("skill");
  let d;
  try {
    d = await api(`/api/team?by=${enc(by)}${skill ? `&skill=${enc(skill)}` : ""}`);
  } catch (e) {
    const err = e.error ?? { message: e.message };
    return { html: `<h1>Team</h1><div class="card problem" id="team-error"><h2>${esc(err.code ?? "Error")}</h2><p>${esc(err.message)}</p>${err.next_command ? `<p>Fix: <code>${esc(err.next_command)}</code></p>` : ""}
      <p class="muted">The team database could not be read; this machine's pages work as before.</p></div>` };
  }
  if (!d.configured) {
    return { html: `<h1>Team</h1><div class="card empty"><h2>No team database</h2><p class="muted">${esc(d.message)}</p><p><code>${esc(d.next_command)}</code></p></div>` };
  }
  const st = d.status;
  const machines = st.machines.map((m) => `<tr><td>${esc(m.user_name)}@${esc(m.host_name)}</td><td class="muted">${esc(short(m.machine_id))}</td><td class="num">${num(m.sessions)}</td><td>${when(m.last_push_at)}</td><td>${m.share_prompts ? "prompts" : "hashes only"}</td></tr>`).join("");
  const skills = st.skills.map((k) => `<tr class="link" data-href="/team?by=${enc(by)}&skill=${enc(k.skill)}"><td>${esc(k.skill)}</td><td class="num">${num(k.triggers)}</td><td class="num">${num(k.misses)}</td><td>${esc(k.trend)}</td>
    <td>${k.machines.filter((m) => m.deploy).map((m) => `${esc(m.user_name)}: ${pill("s-" + m.deploy, m.deploy)} ${day(m.deploy_at)}`).join("<br>")}</td></tr>`).join("");
  const cost = d.cost.map((r) => `<tr><td>${esc(r.label)}</td><td class="num">${num(r.sessions)}</td><td class="num">${num(r.input_tokens)}</td><td class="num">${num(r.output_tokens)}</td><td class="num">${num(r.cache_read_tokens)}</td><td class="num">${usd(r.cost_usd)}</td></tr>`).join("");
  const misses = d.misses ? `<div class="section card" id="team-misses"><h2>Misses of ${esc(d.skill)} across the team <span class="count">${num(d.misses.length)}</span></h2>
    ${d.misses.length ? `<table><tr><th>machine</th><th>when</th><th>prompt</th><th class="num">confidence</th><th>status</th></tr>${d.misses.map((m) => `<tr><td>${esc(m.user_name)}@${esc(m.host_name)}</td><td>${when(m.occurred_at)}</td><td class="prompt">${m.text ? esc(m.text) : `<span class="muted">not shared (${num(m.text_length)} characters)</span>`}</td><td class="num">${pct(m.confidence)}</td><td>${esc(m.status)}</td></tr>`).join("")}</table>` : '<p class="muted">none</p>'}</div>` : "";
  return {
    html: `<h1>Team</h1><p class="sub">${esc(st.database)} · ${num(st.machines.length)} machines · what each pushed with <code>selftune team push</code>; the same records as <code>selftune team status|cost|misses --json</code>.</p>
      <div class="card" id="team-machines"><h2>Machines</h2>${machines ? `<table><tr><th>machine</th><th>id</th><th class="num">sessions</th><th>last push</th><th>shares</th></tr>${machines}</table>` : '<p class="muted">No machine has pushed yet: <code>selftune team push</code>.</p>'}</div>
      <div class="section card" id="team-skills"><h2>Skills across the team</h2>${skills ? `<table><tr><th>skill</th><th class="num">triggers</th><th class="num">misses</th><th>trend</th><th>deploys</th></tr>${skills}</table>` : '<p class="muted">none</p>'}</div>
      ${misses}
      <div class="section card" id="team-cost"><h2>Cost by ${esc(by)}</h2>
        <div class="row" style="margin-bottom:10px">${d.groupings.map((x) => `<a class="btn" style="${x === by ? "color:#fff;background:var(--accent)" : ""}" href="/team?by=${x}${skill ? `&skill=${enc(skill)}` : ""}">by ${x}</a>`).join("")}</div>
        ${cost ? `<table><tr><th>${esc(by)}</th><th class="num">sessions</th><th class="num">input</th><th class="num">output</th><th class="num">cache read</th><th class="num">cost</th></tr>${cost}</table>` : '<p class="muted">none</p>'}</div>`,
  };
}

// ---------- footer and live updates ----------
function footer(system) {
  if (!system) return;
  document.getElementById("foot-store").textContent = "store " + system.store_path;
  document.getElementById("foot-sync").textContent = system.last_sync ? `last sync ${when(system.last_sync.started_at)} UTC` : "never synced";
}

function liveText() {
  return live.mode === "sse" ? "live (server-sent events)" : live.mode === "poll" ? "polling every 5 s (live connection lost; retrying)" : "connecting…";
}

function setLive(mode) {
  live.mode = mode;
  const el = document.getElementById("foot-live");
  el.textContent = liveText();
  el.className = "live " + (mode === "sse" ? "on" : mode === "poll" ? "poll" : "");
  document.body.dataset.live = mode;
}

function connect() {
  if (!window.EventSource) { poll(); return; }
  const es = new EventSource("/api/events");
  live.source = es;
  es.addEventListener("hello", () => { setLive("sse"); clearInterval(live.pollTimer); live.pollTimer = null; });
  es.addEventListener("update", () => refresh(true));
  es.addEventListener("action", (e) => {
    const a = JSON.parse(e.data);
    live.lastAction = a;
    live.actions.push(a);
    if (live.actions.length > 200) live.actions.shift();
    const panel = document.getElementById("live-run");
    if (panel) panel.innerHTML = "<h2>Live</h2>" + liveView();
    if (a.state === "done") toast(`${a.kind} finished`);
    if (a.state === "failed") toast(`${a.kind} failed: ${a.message}`);
  });
  es.onerror = () => { if (es.readyState === EventSource.CLOSED || live.mode !== "poll") poll(); };
}

function poll() {
  setLive("poll");
  if (!live.pollTimer) live.pollTimer = setInterval(() => refresh(true), 5000);
}

// Back/forward cache: a page kept in it would hold its event stream (browsers allow 6 connections per host).
addEventListener("pagehide", () => live.source?.close());
addEventListener("pageshow", (e) => { if (e.persisted) connect(); });

if (location.pathname !== "/") api("/api/overview").then((o) => footer(o.status?.system)).catch(() => {});
show(false);
connect();
