// The advisers' page: upload, solve, show the decisions and the frame curve, download the report.
// Plain JavaScript, no build step, nothing loaded from elsewhere. Every text from the server is
// set with textContent (never parsed as HTML).
"use strict";

const WORDS = {
  en: {
    title: "allocator: the best use of the frame", language: "Language", token: "This service needs an access token",
    save: "Save", files: "Files", applications: "Applications (CSV or Excel)", policy: "Policy (TOML, optional)",
    ledger: "De minimis ledger (CSV, if the policy names one)", samples: "Example files:", call: "The call",
    frame: "Frame (kr)", weightsFree: "Weights (criterion=weight; …)", partial: "Allow partial grants",
    solve: "Find the best portfolio", working: "Working…", summary: "Summary",
    comparison: "Compared with ranking by score", report: "Download the Excel report", decisions: "Decisions",
    id: "Id", titleCol: "Title", requested: "Requested", granted: "Granted", score: "Score", rankFund: "Rank and fund",
    reason: "Reason", curve: "Value of the frame",
    footer: "Every decision is proven optimal within the frame and the call's rules.",
    status: "Status", value: "Value", funded: "Funded", totalGranted: "Granted", tieBreak: "Tie-break", solver: "Solver",
    of: "of", left: "left", optimal: "optimal (proven)", rfValue: "Rank and fund, value", optValue: "Optimal, value",
    gain: "Gain", onlyOpt: "Funded only by the optimum", onlyRF: "Funded only by rank and fund",
    otherAmount: "Funded at another amount", same: "The two portfolios are the same", broken: "Rank and fund still breaks",
    fundedGroup: "Funded", notFundedGroup: "Not funded", yes: "funded", no: "–", weight: "weight",
    curveRunning: "Computing the frame curve…", curveDone: "Optimal value (line) and rank and fund (dashed) by frame; the call's frame is marked.",
    curveFailed: "The frame curve could not be computed: ", frameAxis: "frame (kr)", valueAxis: "value",
    legendOpt: "optimal", legendRF: "rank and fund", needLedger: "The policy names a ledger: upload it too: ",
    chooseFile: "Choose the table of applications first.", frames: "frames",
  },
  nb: {
    title: "allocator: best bruk av rammen", language: "Språk", token: "Tjenesten krever en tilgangsnøkkel",
    save: "Lagre", files: "Filer", applications: "Søknader (CSV eller Excel)", policy: "Regelsett (TOML, valgfritt)",
    ledger: "Register over bagatellmessig støtte (CSV, om regelsettet viser til et)", samples: "Eksempelfiler:",
    call: "Utlysningen", frame: "Ramme (kr)", weightsFree: "Vekter (kriterium=vekt; …)", partial: "Tillat delvis innvilgelse",
    solve: "Finn beste fordeling", working: "Arbeider…", summary: "Sammendrag",
    comparison: "Sammenlignet med rangering etter poeng", report: "Last ned Excel-rapporten", decisions: "Vedtak",
    id: "Søknadsnr", titleCol: "Tittel", requested: "Søknadsbeløp", granted: "Tildelt", score: "Poeng",
    rankFund: "Rangering", reason: "Begrunnelse", curve: "Verdien av rammen",
    footer: "Hvert vedtak er bevist optimalt innenfor rammen og utlysningens regler.",
    status: "Status", value: "Verdi", funded: "Innvilget", totalGranted: "Tildelt", tieBreak: "Ved likhet", solver: "Løser",
    of: "av", left: "igjen", optimal: "optimal (bevist)", rfValue: "Rangering, verdi", optValue: "Optimal, verdi",
    gain: "Gevinst", onlyOpt: "Innvilget bare i optimum", onlyRF: "Innvilget bare ved rangering",
    otherAmount: "Innvilget med annet beløp", same: "De to fordelingene er like", broken: "Rangeringen bryter fortsatt",
    fundedGroup: "Innvilget", notFundedGroup: "Avslått", yes: "innvilget", no: "–", weight: "vekt",
    curveRunning: "Beregner verdien av rammen…", curveDone: "Optimal verdi (linje) og rangering (stiplet) etter ramme; utlysningens ramme er merket.",
    curveFailed: "Kunne ikke beregne verdien av rammen: ", frameAxis: "ramme (kr)", valueAxis: "verdi",
    legendOpt: "optimal", legendRF: "rangering", needLedger: "Regelsettet viser til et register; last det opp også: ",
    chooseFile: "Velg søknadstabellen først.", frames: "rammer",
  },
};

const $ = (id) => document.getElementById(id);
const state = { lang: "en", policy: null, last: null, curve: null, curveJob: null };

function t(key) { return (WORDS[state.lang] || WORDS.en)[key] || key; }

function kr(n) {
  if (n === null || n === undefined) return "–";
  const s = Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, state.lang === "nb" ? "\u00a0" : ",");
  return state.lang === "nb" ? s + " kr" : s + " NOK";
}
function num(x, digits) {
  if (x === null || x === undefined) return "–";
  const s = Number(x).toFixed(digits === undefined ? 3 : digits);
  return state.lang === "nb" ? s.replace(".", ",") : s;
}

function translatePage() {
  document.documentElement.lang = state.lang === "nb" ? "nb" : "en";
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
}

// ------------------------------------------------------------------ talking to the service
function headers(extra) {
  const h = Object.assign({}, extra || {});
  const token = sessionStorage.getItem("allocator-token");
  if (token) h["Authorization"] = "Bearer " + token;
  return h;
}

async function problemText(resp) {
  try {
    const p = await resp.json();
    let text = p.detail || p.title || resp.statusText;
    if (p.errors && p.errors.length > 1) text += "\n" + p.errors.map((e) => "• " + e.path + ": " + e.message).join("\n");
    return text;
  } catch (e) { return resp.status + " " + resp.statusText; }
}

async function call(path, options) {
  const resp = await fetch(path, Object.assign({}, options, { headers: headers(options && options.headers) }));
  if (resp.status === 401) { $("token-box").hidden = false; }
  if (!resp.ok) throw new Error(await problemText(resp));
  return resp;
}

function showError(message) { const e = $("error"); e.textContent = message || ""; e.hidden = !message; }
function busy(on) { $("busy").hidden = !on; $("solve").disabled = on; $("report").disabled = on; }

// ------------------------------------------------------------------ the form
function formData() {
  const fd = new FormData();
  const apps = $("applications").files[0];
  if (!apps) throw new Error(t("chooseFile"));
  fd.append("applications", apps, apps.name);
  if ($("policy").files[0]) fd.append("policy", $("policy").files[0], $("policy").files[0].name);
  if ($("ledger").files[0]) fd.append("ledger", $("ledger").files[0], $("ledger").files[0].name);
  if ($("frame").value.trim()) fd.append("frame", $("frame").value.trim());
  const weights = [];
  for (const input of document.querySelectorAll("#weights input")) {
    if (input.value.trim() !== "") weights.push(input.dataset.name + "=" + input.value.trim().replace(",", "."));
  }
  const free = $("weights-free").value.trim();
  fd.append("weights", weights.length ? weights.join("; ") : free);
  if ($("partial").checked) fd.append("partial", "true");
  fd.append("lang", state.lang);
  return fd;
}

function renderWeights(policy) {
  const box = $("weights");
  box.replaceChildren();
  const names = Object.keys(policy ? policy.weights : {});
  $("weights-free-row").hidden = names.length > 0;
  for (const name of names) {
    const label = document.createElement("label");
    label.className = "weight";
    const span = document.createElement("span");
    span.textContent = ((policy.labels && policy.labels[name]) || name) + " (" + t("weight") + ")";
    const input = document.createElement("input");
    input.dataset.name = name;
    input.inputMode = "decimal";
    input.value = String(policy.weights[name]);
    label.append(span, " ", input);
    box.append(label);
  }
}

async function readPolicy() {
  showError("");
  const file = $("policy").files[0];
  state.policy = null;
  if (!file) { renderWeights(null); return; }
  const fd = new FormData();
  fd.append("policy", file, file.name);
  if ($("ledger").files[0]) fd.append("ledger", $("ledger").files[0], $("ledger").files[0].name);
  fd.append("prefill", "true");
  try {
    const resp = await call("/v1/policy", { method: "POST", body: fd });
    state.policy = await resp.json();
    if (state.policy.frame) $("frame").value = String(state.policy.frame).replace(/\B(?=(\d{3})+(?!\d))/g, " ");
    $("partial").checked = !!(state.policy.options && state.policy.options.partial);
    renderWeights(state.policy);
    if (state.policy.ledger && !$("ledger").files[0]) showError(t("needLedger") + state.policy.ledger);
  } catch (e) { showError(e.message); }
}

// ------------------------------------------------------------------ results
function dl(el, rows) {
  el.replaceChildren();
  for (const [k, v] of rows) {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.textContent = v;
    el.append(dt, dd);
  }
}

function renderResults(data) {
  const opt = data.optimal, rf = data.rank_and_fund, c = data.comparison;
  $("results").hidden = false;
  dl($("summary"), [
    [t("status"), opt.status === "optimal" ? t("optimal") : opt.status + (opt.gap ? " (gap " + num(opt.gap * 100, 2) + " %)" : "")],
    [t("value"), num(opt.objective, 4)],
    [t("funded"), opt.n_funded + " " + t("of") + " " + opt.decisions.length],
    [t("totalGranted"), kr(opt.total_granted) + " " + t("of") + " " + kr(opt.frame) + " (" + kr(opt.frame_left) + " " + t("left") + ")"],
    [t("tieBreak"), opt.tie_break_text || "–"],
    [t("solver"), (opt.versions && opt.versions.solver) || opt.solver],
  ]);
  const rows = [
    [t("optValue"), num(c.optimal_value, 4) + " (" + kr(c.optimal_granted) + ")"],
    [t("rfValue"), num(c.baseline_value, 4) + " (" + kr(c.baseline_granted) + ")"],
    [t("gain"), num(c.improvement, 4) + (c.improvement_pct !== null ? " (" + num(c.improvement_pct, 1) + " %)" : "")],
  ];
  if (c.only_optimal.length) rows.push([t("onlyOpt"), c.only_optimal.join(", ")]);
  if (c.only_baseline.length) rows.push([t("onlyRF"), c.only_baseline.join(", ")]);
  if (c.different_amount.length) rows.push([t("otherAmount"), c.different_amount.join(", ")]);
  if (!c.only_optimal.length && !c.only_baseline.length && !c.different_amount.length) rows.push(["", t("same")]);
  if (data.rules_broken && data.rules_broken.length) rows.push([t("broken"), data.rules_broken.join("; ")]);
  dl($("comparison"), rows);

  const rfGrant = {};
  for (const d of rf.decisions) rfGrant[d.id] = d.granted;
  const order = (a, b) => b.score - a.score || a.rank - b.rank;
  const body = $("decisions").tBodies[0];
  body.replaceChildren();
  const groups = [[t("fundedGroup"), opt.decisions.filter((d) => d.funded).sort(order)],
                  [t("notFundedGroup"), opt.decisions.filter((d) => !d.funded).sort(order)]];
  for (const [label, list] of groups) {
    if (!list.length) continue;
    const head = document.createElement("tr"); head.className = "group";
    const th = document.createElement("th"); th.colSpan = 7; th.textContent = label + " (" + list.length + ")";
    head.append(th); body.append(head);
    for (const d of list) {
      const tr = document.createElement("tr");
      tr.className = d.funded ? "funded" : "not-funded";
      tr.dataset.id = d.id;
      const cells = [[d.id], [d.title], [kr(d.requested), "num"], [kr(d.granted), "num"], [num(d.score), "num"],
                     [rfGrant[d.id] ? kr(rfGrant[d.id]) : t("no")], [d.reason_text]];
      for (const [text, cls] of cells) {
        const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.append(td);
      }
      body.append(tr);
    }
  }
}

// ------------------------------------------------------------------ the frame curve (a job)
async function* events(path) {
  const resp = await call(path, { headers: { Accept: "text/event-stream" } });
  const reader = resp.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
      let name = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (data) yield [name, JSON.parse(data)];
    }
  }
}

async function frameCurve(problem) {
  const status = $("curve-status"), bar = $("curve-progress");
  status.textContent = t("curveRunning"); bar.hidden = false; bar.value = 0;
  $("chart").replaceChildren();
  try {
    const resp = await call("/v1/jobs", { method: "POST", headers: { "Content-Type": "application/json" },
                                          body: JSON.stringify({ kind: "frame_curve", problem: problem, n: 25 }) });
    const job = await resp.json();
    state.curveJob = job.id;
    let final = job.status === "done" ? job : null;
    if (!final) {
      for await (const [name, ev] of events("/v1/jobs/" + job.id + "/events")) {
        if (state.curveJob !== job.id) return;
        if (ev.progress && ev.progress.total) { bar.value = ev.progress.fraction; status.textContent = t("curveRunning") + " " + ev.progress.done + " / " + ev.progress.total + " " + t("frames"); }
        if (name !== "status") { final = ev; break; }
      }
    }
    if (!final || final.status !== "done") throw new Error((final && final.error && final.error.detail) || (final && final.status) || "?");
    const full = final.result ? final : await (await call("/v1/jobs/" + job.id)).json();
    state.curve = full.result;
    bar.hidden = true;
    status.textContent = t("curveDone");
    drawCurve(state.curve);
  } catch (e) { bar.hidden = true; status.textContent = t("curveFailed") + e.message; }
}

function svg(tag, attrs, text) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function ticks(max) {
  // round steps (1, 2 or 5 times a power of ten) from 0 up to max, four or five of them
  const raw = max / 4, p = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = 0; v <= max * 1.0001; v += step) out.push(v);
  return out;
}

function drawCurve(result) {
  const box = $("chart");
  box.replaceChildren();
  const rows = result.curve.filter((r) => r.value !== null);
  if (!rows.length) return;
  const W = 760, H = 340, L = 64, R = 40, T = 16, B = 48;
  const maxF = Math.max(...rows.map((r) => r.frame)) || 1;
  const maxV = Math.max(...rows.map((r) => Math.max(r.value, r.rank_and_fund || 0))) || 1;
  const x = (f) => L + (W - L - R) * f / maxF, y = (v) => H - B - (H - T - B) * v / maxV;
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-label": t("curve") });
  const axis = svg("g", { class: "axis" });
  axis.append(svg("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#888" }), svg("line", { x1: L, y1: T, x2: L, y2: H - B, stroke: "#888" }));
  for (const f of ticks(maxF)) {
    axis.append(svg("text", { x: x(f), y: H - B + 16, "text-anchor": f === 0 ? "start" : "middle" }, kr(f).replace(/ ?(kr|NOK)$/, "")));
    axis.append(svg("line", { x1: x(f), y1: H - B, x2: x(f), y2: H - B + 4, stroke: "#888" }));
  }
  for (const v of ticks(maxV)) {
    axis.append(svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, num(v, 1)));
    axis.append(svg("line", { x1: L, y1: y(v), x2: W - R, y2: y(v), stroke: "#eee" }));
  }
  axis.append(svg("text", { x: (L + W - R) / 2, y: H - 8, "text-anchor": "middle" }, t("frameAxis")));
  axis.append(svg("text", { x: 14, y: (T + H - B) / 2, transform: `rotate(-90 14 ${(T + H - B) / 2})`, "text-anchor": "middle" }, t("valueAxis")));
  root.append(axis);
  const line = (key) => rows.filter((r) => r[key] !== null && r[key] !== undefined).map((r) => `${x(r.frame).toFixed(1)},${y(r[key]).toFixed(1)}`).join(" ");
  root.append(svg("polyline", { points: line("rank_and_fund"), fill: "none", stroke: "#c07a2c", "stroke-width": 2, "stroke-dasharray": "6 4", class: "rank-and-fund" }));
  root.append(svg("polyline", { points: line("value"), fill: "none", stroke: "#2d6a5f", "stroke-width": 2.5, class: "optimal" }));
  for (const r of rows) root.append(svg("circle", { cx: x(r.frame), cy: y(r.value), r: 2.5, fill: "#2d6a5f" }));
  const cur = rows.find((r) => r.current);
  if (cur) {
    root.append(svg("line", { x1: x(cur.frame), y1: T, x2: x(cur.frame), y2: H - B, stroke: "#999", "stroke-dasharray": "2 3" }));
    root.append(svg("circle", { cx: x(cur.frame), cy: y(cur.value), r: 5, fill: "none", stroke: "#1f4e46", "stroke-width": 2, class: "current" }));
  }
  const legend = svg("g", { class: "legend" });
  legend.append(svg("line", { x1: L + 12, y1: T + 8, x2: L + 40, y2: T + 8, stroke: "#2d6a5f", "stroke-width": 2.5 }),
                svg("text", { x: L + 46, y: T + 12 }, t("legendOpt")),
                svg("line", { x1: L + 130, y1: T + 8, x2: L + 158, y2: T + 8, stroke: "#c07a2c", "stroke-width": 2, "stroke-dasharray": "6 4" }),
                svg("text", { x: L + 164, y: T + 12 }, t("legendRF")));
  root.append(legend);
  box.append(root);
}

// ------------------------------------------------------------------ actions
async function solve(event) {
  if (event) event.preventDefault();
  showError("");
  let fd;
  try { fd = formData(); } catch (e) { showError(e.message); return; }
  fd.append("include_problem", "true");
  busy(true);
  try {
    const resp = await call("/v1/solve/table", { method: "POST", body: fd, headers: { Accept: "application/json" } });
    state.last = await resp.json();
    renderResults(state.last);
    frameCurve(state.last.problem);
  } catch (e) { showError(e.message); }
  finally { busy(false); }
}

async function report() {
  showError("");
  busy(true);
  try {
    const resp = await call("/v1/solve/table", { method: "POST", body: formData(),
      headers: { Accept: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" } });
    const url = URL.createObjectURL(await resp.blob());
    const a = document.createElement("a");
    a.href = url; a.download = "allocator-report.xlsx";
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) { showError(e.message); }
  finally { busy(false); }
}

async function switchLanguage() {
  state.lang = $("lang").value;
  localStorage.setItem("allocator-lang", state.lang);
  translatePage();
  if (state.policy) renderWeights(state.policy);
  if (state.last) {
    try {
      const resp = await call("/v1/solve/table", { method: "POST", body: formData(), headers: { Accept: "application/json" } });
      state.last = Object.assign(await resp.json(), { problem: state.last.problem });
      renderResults(state.last);
    } catch (e) { showError(e.message); }
    if (state.curve) { $("curve-status").textContent = t("curveDone"); drawCurve(state.curve); }
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const saved = localStorage.getItem("allocator-lang");
  state.lang = saved === "nb" ? "nb" : (saved === "en" ? "en" : ((navigator.language || "").startsWith("n") ? "nb" : "en"));
  $("lang").value = state.lang;
  translatePage();
  renderWeights(null);
  $("form").addEventListener("submit", solve);
  $("report").addEventListener("click", report);
  $("lang").addEventListener("change", switchLanguage);
  $("policy").addEventListener("change", readPolicy);
  $("ledger").addEventListener("change", () => { if ($("policy").files[0]) readPolicy(); });
  $("token-save").addEventListener("click", () => {
    sessionStorage.setItem("allocator-token", $("token").value.trim());
    $("token-box").hidden = true;
  });
});
