// The tuner dashboard: a single page over the server's JSON API (/api/...),
// charts by ECharts (served from the npm package by the server; no internet
// needed). The study shown is followed by server-sent events
// (/api/studies/{s}/events: the server pushes the study's version when it
// moves) and the page refetches the heavy parts only then; a slow poll
// refreshes the study list, and takes over (every 2 s) while the event
// stream is down.
'use strict';

const POLL_MS = 2000;
const STUDIES_EVERY = 3;  // refresh the study list every third poll
const STATES = ['COMPLETED', 'ACTIVE', 'STOPPING', 'STOPPED', 'FAILED', 'INFEASIBLE', 'STALE'];
const COLORS = {
  COMPLETED: '#2563eb', ACTIVE: '#0891b2', STOPPING: '#0891b2', STOPPED: '#d97706',
  FAILED: '#dc2626', INFEASIBLE: '#9333ea', STALE: '#64748b', best: '#e11d48',
};
const X_SYMBOL = 'path://M2,0 L10,8 L18,0 L20,2 L12,10 L20,18 L18,20 L10,12 L2,20 L0,18 L8,10 L0,2 Z';

const S = {
  studies: [],
  study: null,      // name of the study shown
  summary: null,
  version: null,    // of the data drawn
  columns: null,
  curves: null,
  importance: null,
  table: { offset: 0, limit: 50, sort: 'id', order: 'asc', states: new Set(), filter: '' },
  tableVersion: null,
  objectiveIndex: 0,
  curvesMetric: null,
  sliceParam: null,
  contourX: null,
  contourY: null,
  paretoX: 0,
  paretoY: 1,
  trial: null,      // id of the trial open in the trial view
  live: true,
  polls: 0,
  pushedPollEvery: 15,  // with the event stream up, poll the study every 15th poll (30 s) only
  // The event stream of the study shown: its state ('off', 'connecting',
  // 'open', 'reconnecting', 'closed'), the events received, and how many
  // refreshes they caused.
  events: { source: null, study: null, state: 'off', received: 0, refreshes: 0, busy: false, pending: false },
  lastRefresh: null,  // {cause: 'event' | 'poll' | 'open', version} of the last redraw
  redraws: 0,         // redraws of the study's data (one per version drawn)
  charts: {},
};
window.__dashboard = S;  // for the browser test and for curious users

// ------------------------------------------------------------------ helpers

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// Text for HTML: every string that comes from a study (names, metric and
// parameter names, values, reasons) goes through this before it reaches
// markup. The DOM is built with textContent (el() above), which needs no
// escaping; ECharts' tooltips are HTML, so their formatters escape with it.
const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function esc(v) {
  return String(v).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

// One word for a POSIX shell: as it is when it has only characters no shell
// treats specially, else in single quotes (a ' inside as '\''), so that
// spaces, quotes, $, backticks, globs and newlines stay literal.
function shellQuote(word) {
  const w = String(word);
  if (/^[A-Za-z0-9_@%+=:,.\/-]+$/.test(w)) return w;
  return "'" + w.replace(/'/g, "'\\''") + "'";
}

// The trainer arguments of a trial's parameters, --name=value each, sorted by
// name, every word shell-quoted: what "re-run" shows and copies. Built here
// from the parameters rather than taken from the server's command_line, which
// is not quoted.
function commandLine(params, fallback) {
  if (!params) return fallback || '';
  return Object.keys(params).sort()
    .map((k) => shellQuote(`--${k}=${typeof params[k] === 'string' ? params[k] : fmtArg(params[k])}`))
    .join(' ');
}

// A number in full (as the server prints it: the shortest text that reads back
// the same).
function fmtArg(v) {
  return v === null || v === undefined ? '' : String(v);
}

// Numbers as people read them; up to 6 significant digits (the exact value
// is in the cell's title).
function fmt(v) {
  if (v === null || v === undefined) return '–';
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}

function fmtDuration(secs) {
  if (!(secs > 0)) return '–';
  if (secs < 60) return secs.toFixed(secs < 10 ? 2 : 1) + ' s';
  if (secs < 3600) return (secs / 60).toFixed(1) + ' min';
  return (secs / 3600).toFixed(2) + ' h';
}

function fmtTime(unix) {
  if (!unix) return '–';
  return new Date(unix * 1000).toLocaleString();
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path) {
  // no-cache: the browser revalidates with If-None-Match; a 304 reuses its copy.
  const res = await fetch(path, { cache: 'no-cache' });
  let body = null;
  try { body = await res.json(); } catch (e) { /* not JSON */ }
  if (!res.ok) {
    const msg = body && body.error ? body.error.message : `HTTP ${res.status}`;
    throw new ApiError(res.status, msg);
  }
  return body;
}

const studyPath = (name) => `/api/studies/${encodeURIComponent(name)}`;

function setLive(ok, text) {
  $('live').className = 'live ' + (ok ? 'ok' : 'err');
  $('live-text').textContent = text;
}

function fatal(msg) {
  const f = $('fatal');
  f.textContent = msg;
  f.hidden = !msg;
}

function chart(id) {
  if (!window.echarts) return null;
  let c = S.charts[id];
  if (!c) {
    const node = $(id);
    node.textContent = '';
    c = echarts.init(node, null, { renderer: 'canvas' });
    S.charts[id] = c;
  }
  return c;
}

function noData(id, text) {
  if (S.charts[id]) { S.charts[id].dispose(); delete S.charts[id]; }
  const node = $(id);
  node.textContent = '';
  node.append(el('div', { class: 'nodata', text }));
  node.dataset.rendered = 'empty';
}

// ECharts' default tooltip puts series and item names into HTML; every chart
// with a tooltip must have a formatter of its own that escapes (esc), and a
// tooltip without one gets safeTip.
function draw(id, option) {
  const c = chart(id);
  if (!c) return;
  if (option.tooltip && !option.tooltip.formatter) option.tooltip = { ...option.tooltip, formatter: safeTip };
  c.setOption(option, true);
  $(id).dataset.rendered = 'chart';
}

// A tooltip for any chart: series name and value(s), escaped. Handles the
// 'axis' trigger (an array of params) and the 'item' one.
function safeTip(params) {
  const list = Array.isArray(params) ? params : [params];
  const lines = [];
  if (Array.isArray(params) && list.length && list[0].axisValueLabel !== undefined) lines.push(esc(list[0].axisValueLabel));
  for (const p of list) {
    const v = Array.isArray(p.value) ? p.value[p.value.length - 1] : p.value;
    lines.push(`${p.marker || ''}${esc(p.seriesName || p.name || '')}: <b>${esc(fmt(v))}</b>`);
  }
  return lines.join('<br>');
}

const objectives = () => (S.summary ? S.summary.objectives : []);
const objective = () => objectives()[S.objectiveIndex] || objectives()[0];
const better = (goal, a, b) => (goal === 'maximize' ? a > b : a < b);

function paramSpec(name) {
  return S.summary.parameters.find((p) => p.name === name);
}

// An axis for a parameter: categories for choices; for numbers the spec's
// range (not from 0) on its scale (log where the spec says log), whole steps
// for integers.
function paramAxis(p, extra = {}) {
  if (p.type === 'categorical' || (p.type === 'discrete' && p.values.some((v) => typeof v === 'string'))) {
    return { type: 'category', data: p.values.map(String), ...extra };
  }
  const min = p.min !== undefined ? p.min : Math.min(...p.values);
  const max = p.max !== undefined ? p.max : Math.max(...p.values);
  const range = min < max ? { min, max } : {};
  const whole = p.type === 'integer' || (p.values && p.values.every((v) => Number.isInteger(v)));
  if (p.scale === 'log' && min > 0) return { type: 'log', ...range, ...extra };
  return { type: 'value', ...range, ...(whole ? { minInterval: 1 } : {}), ...extra };
}

// Hyperband's budget parameter (e.g. epochs), or null.
const budgetParam = () => (S.summary && S.summary.resource) || null;
const BUDGET_COLORS = ['#93c5fd', '#60a5fa', '#2563eb', '#1d4ed8', '#1e3a8a', '#0f172a'];

// ------------------------------------------------------------------ studies

async function refreshStudies() {
  const data = await api('/api/studies');
  S.studies = data.studies;
  renderStudyList();
}

function renderStudyList() {
  const q = $('study-search').value.trim().toLowerCase();
  const list = $('study-list');
  list.textContent = '';
  for (const s of S.studies) {
    if (q && !s.name.toLowerCase().includes(q)) continue;
    const obj = s.objectives.map((o) => o.metric).join(', ');
    const running = s.counts.active + s.counts.stopping;
    list.append(el('li', {},
      el('a', { href: `#/study/${encodeURIComponent(s.name)}`, class: s.name === S.study ? 'active' : '' },
        el('div', { class: 'sname' }, el('span', { text: s.name }),
          el('span', { class: `badge ${running ? 'st-ACTIVE' : s.state === 'COMPLETED' ? 'st-COMPLETED' : 'idle'}`,
                       text: running ? `${running} running` : s.state === 'COMPLETED' ? 'completed' : 'idle' })),
        el('div', { class: 'sinfo', text: `${s.counts.total} trials · ${obj}` +
          (s.best_value !== null ? ` · best ${fmt(s.best_value)}` : '') }))));
  }
  if (!S.studies.length) list.append(el('li', { class: 'hint', text: 'No studies yet.' }));
}

// ------------------------------------------------------------------ a study

async function selectStudy(name) {
  if (S.study !== name) {
    S.study = name;
    S.version = null;
    S.tableVersion = null;
    S.summary = null;
    S.objectiveIndex = 0;
    S.curvesMetric = null;
    S.sliceParam = null;
    S.contourX = null;
    S.contourY = null;
    S.paretoX = 0;
    S.paretoY = 1;
    S.table = { offset: 0, limit: Number($('page-size').value), sort: 'id', order: 'asc', states: new Set(), filter: '' };
    $('table-filter').value = '';
    for (const id of Object.keys(S.charts)) { S.charts[id].dispose(); delete S.charts[id]; }
    // A trial of the previous study is no longer shown (the same id in the
    // next study is another trial); the route opens the next one's.
    $('drawer').hidden = true;
    S.trial = null;
    trialSeq++;
    showLoading(name);
  }
  renderStudyList();
  $('empty').hidden = !!name;
  $('study').hidden = !name;
  $('crumbs').textContent = '';
  follow(name);
  if (!name) return;
  $('crumbs').append('studies / ', el('b', { text: name }));
  await pollStudy('open');
}

// Follows one study's event stream (the browser reconnects by itself after
// an error); each version it did not draw yet is fetched at once.
function follow(name) {
  const ev = S.events;
  if (ev.study === name && ev.source) return;
  if (ev.source) ev.source.close();
  Object.assign(ev, { source: null, study: name, state: 'off', busy: false, pending: false });
  if (!name || !window.EventSource) return;
  const source = new EventSource(`${studyPath(name)}/events`);
  Object.assign(ev, { source, state: 'connecting' });
  source.onopen = () => {
    if (ev.source !== source) return;
    ev.state = 'open';
    if (S.live) setLive(true, `live · pushed by the server`);
  };
  source.onerror = () => {
    if (ev.source !== source) return;
    ev.state = source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting';
    if (S.live) setLive(false, ev.state === 'closed' ? 'no event stream: polling every 2 s' : 'reconnecting…');
  };
  source.addEventListener('version', async (e) => {
    if (ev.source !== source) return;
    ev.received++;
    ev.state = 'open';
    let v;
    try { v = JSON.parse(e.data).version; } catch (err) { return; }
    if (!S.live || v === S.version || name !== S.study) return;
    // One refresh at a time; versions that arrive meanwhile make one more.
    if (ev.busy) { ev.pending = true; return; }
    ev.busy = true;
    try {
      do {
        ev.pending = false;
        ev.refreshes++;
        await pollStudy('event');
      } while (ev.pending && ev.source === source);
      setLive(true, `live · updated ${new Date().toLocaleTimeString()}`);
      fatal('');
    } catch (err) { onError(err); } finally { ev.busy = false; }
  });
}

// Until a study's data arrives its panels say that it is loading.
function showLoading(name) {
  if (!name) return;
  $('study-name').textContent = name;
  $('study-meta').textContent = '';
  $('study-counts').textContent = '';
  for (const id of ['chart-history', 'chart-curves', 'chart-importance', 'chart-parallel', 'chart-slice', 'chart-pareto', 'chart-contour', 'chart-edf']) {
    const node = $(id);
    node.textContent = '';
    node.append(el('div', { class: 'nodata loading', text: 'Loading…' }));
    node.dataset.rendered = 'loading';
  }
  $('importance-method').textContent = '';
  $('best-body').textContent = '';
  $('best-body').append(el('p', { class: 'hint loading', text: 'Loading…' }));
  $('trials-table').tHead.textContent = '';
  $('trials-table').tBodies[0].textContent = '';
  $('trials-table').tBodies[0].append(el('tr', {}, el('td', { class: 'hint loading', text: 'Loading trials…' })));
  $('table-summary').textContent = '';
  $('pager').textContent = '';
}

// Fetches the summary (cheap; 304 while unchanged) and, when the version
// moved, everything drawn from the trials. Refreshes run one after another:
// overlapping ones (opening a study while its stream's first event arrives)
// could finish out of order and draw an older version over a newer one.
let studyRefresh = Promise.resolve();
function pollStudy(cause = 'poll') {
  const run = studyRefresh.then(() => refreshStudy(cause));
  studyRefresh = run.catch(() => {});
  return run;
}
S.refresh = pollStudy;  // for the browser test

async function refreshStudy(cause) {
  const name = S.study;
  if (!name) return;
  const summary = await api(studyPath(name));
  if (name !== S.study) return;
  S.summary = summary;
  renderSummary();
  if (summary.version === S.version) return;
  // The table's page is asked for at once, beside the data of the charts.
  const table = loadTable();
  const [columns, curves, importance] = await Promise.all([
    api(`${studyPath(name)}/columns`),
    api(`${studyPath(name)}/curves?metric=${encodeURIComponent(S.curvesMetric || summary.objectives[0].metric)}`),
    api(`${studyPath(name)}/importance?metric=${encodeURIComponent(objective().metric)}`),
  ]);
  if (name !== S.study) return;
  S.columns = columns;
  S.curves = curves;
  S.importance = importance;
  S.version = summary.version;
  S.lastRefresh = { cause, version: summary.version };
  S.redraws++;
  renderCharts();
  await table;
}

function renderSummary() {
  const s = S.summary;
  document.title = `${s.name} · tuner dashboard`;
  $('study-name').textContent = s.name;
  const obj = s.objectives.map((o) => `${o.metric} (${o.goal})`).join(', ');
  const meta = $('study-meta');
  meta.textContent = '';
  const running = s.counts.active + s.counts.stopping;
  meta.append(el('span', { class: `badge ${running ? 'st-ACTIVE' : s.state === 'COMPLETED' ? 'st-COMPLETED' : 'idle'}`,
    text: running ? 'running' : s.state === 'COMPLETED' ? 'completed' : 'idle' }),
    '  ', el('code', { text: obj }), ` · ${s.algorithm} search · up to ${s.max_parallel_trials} in parallel` +
    (s.early_stopping && s.early_stopping !== 'none' ? ` · early stopping: ${s.early_stopping}` : '') +
    ` · created ${fmtTime(s.create_time)}`);
  const c = s.counts;
  const counts = $('study-counts');
  counts.textContent = '';
  const chip = (label, n, cls) => el('span', { class: `chip ${cls}` }, el('b', { text: String(n) }), label);
  counts.append(chip('trials', c.total, ''), chip('completed', c.completed, 'st-COMPLETED'));
  if (c.active + c.stopping) counts.append(chip('running', c.active + c.stopping, 'st-ACTIVE'));
  if (c.stopped) counts.append(chip('stopped', c.stopped, 'st-STOPPED'));
  if (c.failed) counts.append(chip('failed', c.failed, 'st-FAILED'));
  if (c.infeasible) counts.append(chip('infeasible', c.infeasible, 'st-INFEASIBLE'));
  if (c.stale) counts.append(chip('stale', c.stale, 'st-STALE'));
  const done = c.completed + c.stopped + c.infeasible;
  $('study-progress').style.width = `${Math.min(100, (100 * done) / Math.max(1, s.max_trials))}%`;
  $('study-progress').parentElement.title = `${done} of ${s.max_trials} trials done`;
  renderBest();
  renderSelectors();
}

function commandBox(cmd) {
  const box = el('div', { class: 'cmd' }, el('span', { class: 'cmd-text', text: cmd }));
  const btn = el('button', { text: 'copy', onclick: async () => {
    try { await navigator.clipboard.writeText(cmd); btn.textContent = 'copied'; }
    catch (e) { btn.textContent = 'select it'; }
    setTimeout(() => { btn.textContent = 'copy'; }, 1500);
  } });
  box.append(btn);
  return box;
}

function renderBest() {
  const s = S.summary;
  const body = $('best-body');
  body.textContent = '';
  if (!s.best.length) {
    $('best-title').textContent = 'Best trial';
    body.append(el('p', { class: 'hint', text: 'No completed trial yet.' }));
    return;
  }
  if (s.objectives.length === 1) {
    const b = s.best[0];
    const m = s.objectives[0].metric;
    $('best-title').textContent = `Best trial · #${b.id}`;
    body.append(
      el('div', { class: 'value', id: 'best-value', title: String(b.metrics[m]), text: fmt(b.metrics[m]) }),
      el('div', { class: 'value-label', text: `${m} (${s.objectives[0].goal})` }));
    const t = el('table', { id: 'best-params' });
    for (const [k, v] of Object.entries(b.params)) {
      t.append(el('tr', {}, el('td', { text: k }), el('td', { title: String(v), text: fmt(v) })));
    }
    for (const [k, v] of Object.entries(b.metrics)) {
      if (k !== m) t.append(el('tr', {}, el('td', { class: 'hint', text: k }), el('td', { text: fmt(v) })));
    }
    body.append(t, el('div', { class: 'note', text: 'Re-run it with these trainer arguments:' }), commandBox(commandLine(b.params, b.command_line)));
    return;
  }
  $('best-title').textContent = `Pareto front · ${s.best.length} trials`;
  const t = el('table', { id: 'best-front' });
  t.append(el('tr', {}, el('td', { class: 'hint', text: 'trial' }),
    ...s.objectives.map((o) => el('td', { class: 'hint', text: `${o.metric} (${o.goal === 'maximize' ? 'max' : 'min'})` }))));
  for (const b of s.best) {
    t.append(el('tr', { style: 'cursor:pointer', onclick: () => goTrial(b.id) }, el('td', { text: `#${b.id}` }),
      ...s.objectives.map((o) => el('td', { text: fmt(b.metrics[o.metric]) }))));
  }
  body.append(el('div', { class: 'front-list' }, t),
    el('div', { class: 'note', text: 'Click a trial for its parameters and command line.' }));
}

function fillSelect(select, values, current, label = (v) => v) {
  const key = values.join('\u0001');
  if (select.dataset.key !== key) {
    select.textContent = '';
    values.forEach((v, i) => select.append(el('option', { value: String(i), text: label(v) })));
    select.dataset.key = key;
  }
  select.value = String(Math.max(0, values.indexOf(current)));
}

function renderSelectors() {
  const s = S.summary;
  const objs = s.objectives.map((o) => o.metric);
  const hist = $('history-objective');
  hist.hidden = objs.length < 2;
  fillSelect(hist, objs, objs[S.objectiveIndex]);
  if (!S.curvesMetric) S.curvesMetric = objs[0];
  fillSelect($('curves-metric'), s.metrics, S.curvesMetric);
  const params = s.parameters.map((p) => p.name);
  if (!S.sliceParam || !params.includes(S.sliceParam)) S.sliceParam = params[0];
  fillSelect($('slice-param'), params, S.sliceParam);
  if (!S.contourX || !params.includes(S.contourX)) S.contourX = params[0];
  if (!S.contourY || !params.includes(S.contourY)) S.contourY = params[1] || params[0];
  fillSelect($('contour-x'), params, S.contourX);
  fillSelect($('contour-y'), params, S.contourY);
  const multi = objs.length > 1;
  $('pareto-card').hidden = !multi;
  $('slice-card').classList.toggle('span3', !multi);
  $('slice-card').classList.toggle('span2', multi);
  const axes = $('pareto-axes');
  axes.hidden = objs.length < 3;
  if (objs.length >= 3 && !axes.children.length) {
    const x = el('select', { 'aria-label': 'x objective' }), y = el('select', { 'aria-label': 'y objective' });
    fillSelect(x, objs, objs[S.paretoX]);
    fillSelect(y, objs, objs[S.paretoY]);
    x.onchange = () => { S.paretoX = Number(x.value); renderPareto(); };
    y.onchange = () => { S.paretoY = Number(y.value); renderPareto(); };
    axes.append(x, ' vs ', y);
  }
}

// ------------------------------------------------------------------ charts

function renderCharts() {
  for (const f of [renderHistory, renderCurves, renderImportance, renderParallel, renderSlice, renderContour, renderEdf, renderPareto]) {
    try { f(); } catch (e) { console.error(e); fatal(`drawing failed: ${e.message}`); }
  }
}

const baseGrid = { left: 56, right: 20, top: 34, bottom: 42, containLabel: false };
const axisName = (name) => ({ name, nameLocation: 'middle', nameGap: 28, nameTextStyle: { color: '#667085' } });

function renderHistory() {
  const cols = S.columns;
  const o = objective();
  const values = cols.metrics[o.metric] || [];
  const completed = [], other = [], best = [];
  // Hyperband: results at different budgets are not comparable; one series
  // (colour) per budget.
  const budget = budgetParam();
  const byBudget = new Map();
  let bestSoFar = null;
  for (let i = 0; i < cols.ids.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    const st = cols.states[i];
    if (st === 'COMPLETED') {
      if (budget) {
        const b = cols.params[budget][i];
        if (!byBudget.has(b)) byBudget.set(b, []);
        byBudget.get(b).push([cols.ids[i], v]);
      } else {
        completed.push([cols.ids[i], v]);
      }
      if (bestSoFar === null || better(o.goal, v, bestSoFar)) bestSoFar = v;
      best.push([cols.ids[i], bestSoFar]);
    } else {
      other.push({ value: [cols.ids[i], v], itemStyle: { color: COLORS[st] || '#999' }, state: st });
    }
  }
  if (!best.length && !other.length) return noData('chart-history', 'No trial has a final value yet.');
  const large = best.length > 2000;
  const budgets = [...byBudget.keys()].sort((a, b) => a - b);
  const completedSeries = budget
    ? budgets.map((b, k) => ({ name: `${budget}=${b}`, type: 'scatter', data: byBudget.get(b), symbolSize: large ? 3 : 8, large,
      itemStyle: { color: BUDGET_COLORS[Math.min(BUDGET_COLORS.length - 1, Math.round(k * (BUDGET_COLORS.length - 1) / Math.max(1, budgets.length - 1)))], opacity: 0.85 } }))
    : [{ name: 'completed', type: 'scatter', data: completed, symbolSize: large ? 3 : 8, large,
      itemStyle: { color: COLORS.COMPLETED, opacity: 0.75 } }];
  draw('chart-history', {
    animation: !large,
    grid: baseGrid,
    legend: { top: 0, right: 0, data: [...completedSeries.map((c) => c.name), 'stopped / other', 'best so far'] },
    tooltip: { trigger: 'item', formatter: (p) => `trial #${esc(p.value[0])}<br>${esc(o.metric)}: <b>${esc(fmt(p.value[1]))}</b>` +
      (p.seriesName === 'best so far' ? ' (best so far)' : p.data && p.data.state ? ` (${esc(p.data.state.toLowerCase())})`
        : budget ? ` (${esc(p.seriesName)})` : '') },
    xAxis: { type: 'value', min: 'dataMin', max: 'dataMax', minInterval: 1, ...axisName('trial') },
    yAxis: { type: 'value', scale: true, ...axisName(o.metric), nameGap: 44 },
    dataZoom: [{ type: 'inside' }],
    series: [
      ...completedSeries,
      { name: 'stopped / other', type: 'scatter', data: other, symbolSize: large ? 3 : 8, symbol: 'diamond',
        itemStyle: { color: COLORS.STOPPED, opacity: 0.8 } },
      { name: 'best so far', type: 'line', step: 'end', data: best, showSymbol: false,
        lineStyle: { color: COLORS.best, width: 2 }, itemStyle: { color: COLORS.best }, z: 5 },
    ],
  });
}

function renderCurves() {
  const cv = S.curves;
  if (!cv || !cv.ids.length) return noData('chart-curves', 'No intermediate values reported yet.');
  const groups = { COMPLETED: [], RUNNING: [], STOPPED: [], FAILED: [], ONE: [] };
  const ends = { STOPPED: [], FAILED: [] };
  let xmin = Infinity, xmax = -Infinity, ymin = Infinity, ymax = -Infinity;
  const bestIds = new Set(S.summary.best.map((b) => b.id));
  const bestLines = [];
  for (let i = 0; i < cv.ids.length; i++) {
    const st = cv.states[i];
    const g = st === 'COMPLETED' ? 'COMPLETED' : st === 'ACTIVE' || st === 'STOPPING' ? 'RUNNING'
      : st === 'STOPPED' ? 'STOPPED' : 'FAILED';
    const coords = cv.steps[i].map((x, j) => [x, cv.values[i][j]]);
    for (const [x, y] of coords) {
      if (x < xmin) xmin = x; if (x > xmax) xmax = x;
      if (y < ymin) ymin = y; if (y > ymax) ymax = y;
    }
    // A polyline needs two points; a one-step curve is drawn by its end marker.
    if (coords.length > 1) groups[g].push({ coords, trial: cv.ids[i], state: st });
    else if (g === 'COMPLETED' || g === 'RUNNING') groups.ONE.push({ value: coords[0], trial: cv.ids[i], state: st });
    if (ends[g]) ends[g].push({ value: coords[coords.length - 1], trial: cv.ids[i], state: st });
    if (bestIds.has(cv.ids[i]) && bestLines.length < 5) bestLines.push({ trial: cv.ids[i], coords });
  }
  const pad = (ymax - ymin) * 0.05 || Math.abs(ymax) * 0.05 || 1;
  const many = cv.ids.length > 300;
  // Completed curves on top; with many trials the others fade so they do
  // not hide them.
  const lineSeries = (name, key, color, z, extra = {}) => ({
    name, type: 'lines', coordinateSystem: 'cartesian2d', polyline: true, data: groups[key], z,
    large: many, lineStyle: { color, width: many ? 0.6 : 1.2, opacity: many ? 0.25 : 0.55, ...extra }, silent: many,
  });
  const faint = many ? { opacity: 0.12 } : {};
  const mark = many ? 5 : 9;
  const series = [
    lineSeries('completed', 'COMPLETED', COLORS.COMPLETED, 3),
    lineSeries('running', 'RUNNING', COLORS.ACTIVE, 4, { width: 1.6, opacity: 0.9 }),
    lineSeries('stopped', 'STOPPED', COLORS.STOPPED, 2, { type: 'dashed', ...faint }),
    lineSeries('failed', 'FAILED', COLORS.FAILED, 2, { type: 'dotted', ...faint }),
    { name: 'completed', type: 'scatter', data: groups.ONE, symbolSize: 5, itemStyle: { color: COLORS.COMPLETED }, z: 3 },
    { name: 'stopped', type: 'scatter', data: ends.STOPPED, symbol: 'triangle', symbolRotate: 180,
      symbolSize: mark, itemStyle: { color: COLORS.STOPPED, opacity: many ? 0.5 : 1 }, z: 2 },
    { name: 'failed', type: 'scatter', data: ends.FAILED, symbol: X_SYMBOL, symbolSize: mark,
      itemStyle: { color: COLORS.FAILED, opacity: many ? 0.5 : 1 }, z: 2 },
  ];
  for (const b of bestLines) {
    series.push({ name: 'best', type: 'line', data: b.coords, showSymbol: false, z: 6, trial: b.trial,
      lineStyle: { color: COLORS.best, width: 2.5 }, itemStyle: { color: COLORS.best } });
  }
  draw('chart-curves', {
    animation: false,
    grid: baseGrid,
    legend: { top: 0, right: 0, data: ['completed', 'running', 'stopped', 'failed', 'best'] },
    tooltip: { trigger: 'item', formatter: (p) => {
      const d = p.data || {};
      const id = d.trial || (p.seriesName === 'best' ? S.summary.best[0].id : '?');
      const st = d.state ? ` (${esc(d.state.toLowerCase())})` : p.seriesName === 'best' ? ' (best)' : '';
      const v = Array.isArray(p.value) ? `<br>step ${esc(p.value[0])}: <b>${esc(fmt(p.value[1]))}</b>` : '';
      return `trial #${esc(id)}${st}${v}`;
    } },
    xAxis: { type: 'value', min: xmin, max: xmax, minInterval: 1, ...axisName('step') },
    yAxis: { type: 'value', min: ymin - pad, max: ymax + pad, ...axisName(cv.metric), nameGap: 44,
      axisLabel: { formatter: (v) => fmt(v), showMinLabel: false, showMaxLabel: false } },
    series,
  });
}

function renderImportance() {
  const imp = S.importance;
  const none = imp && imp.parameters.every((p) => p.importance === 0);
  const left = imp && imp.excluded ? ` ${imp.excluded.join(', ')} (the Hyperband budget) is left out.` : '';
  $('importance-method').textContent = imp
    ? (none && imp.enough ? 'No parameter explains more of the variance than chance would. ' : '') +
      `Method: ${imp.method}. ${imp.trials_used} completed trials, objective ${imp.metric}.${left}` +
      (imp.interval ? ` Whiskers: ${imp.interval}.` : '') : '';
  if (!imp) return noData('chart-importance', 'Loading…');
  if (!imp.enough) {
    return noData('chart-importance', `Not enough data: ${imp.trials_used} completed trials, importance needs at least ` +
      `${imp.min_trials} (2 per parameter, 10 at least). With fewer, one parameter can seem to explain everything by chance.`);
  }
  const rows = imp.parameters.slice().reverse();
  draw('chart-importance', {
    animation: false,
    grid: { left: 110, right: 54, top: 8, bottom: 26 },
    tooltip: { trigger: 'item', formatter: (p) => {
      const r = rows[p.dataIndex];
      return `${esc(r.name)}<br>importance: <b>${(100 * r.importance).toFixed(1)}%</b>` +
        ` (${pct(r.importance_low)}–${pct(r.importance_high)})` +
        `<br>variance explained alone: ${(100 * r.variance_explained).toFixed(1)}%<br>${esc(r.groups)} groups`;
    } },
    xAxis: { type: 'value', max: 1, axisLabel: { formatter: (v) => `${Math.round(v * 100)}%` } },
    yAxis: { type: 'category', data: rows.map((r) => r.name), axisLabel: { width: 100, overflow: 'truncate' } },
    series: [{ type: 'bar', data: rows.map((r) => r.importance), barMaxWidth: 22,
      itemStyle: { color: '#6366f1', borderRadius: [0, 4, 4, 0] } },
    // The uncertainty: a whisker from the 10th to the 90th bootstrap
    // percentile, the share written right of it.
    { type: 'custom', name: 'interval', data: rows.map((r, i) => [r.importance_low, r.importance_high, i, r.importance]),
      encode: { x: [0, 1], y: 2 }, z: 3, silent: true,
      renderItem: (params, api) => {
        const lo = api.coord([api.value(0), api.value(2)]);
        const hi = api.coord([api.value(1), api.value(2)]);
        const h = 5;
        const style = { stroke: '#1d2939', lineWidth: 1.5 };
        return { type: 'group', children: [
          { type: 'line', shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style },
          { type: 'line', shape: { x1: lo[0], y1: lo[1] - h, x2: lo[0], y2: lo[1] + h }, style },
          { type: 'line', shape: { x1: hi[0], y1: hi[1] - h, x2: hi[0], y2: hi[1] + h }, style },
          { type: 'text', style: { x: hi[0] + 5, y: hi[1], text: pct(api.value(3)), fill: '#475467', verticalAlign: 'middle' } }] };
      } }],
  });
}

const pct = (v) => `${(100 * (v || 0)).toFixed(0)}%`;

function completedRows(metric) {
  const cols = S.columns;
  const values = cols.metrics[metric] || [];
  const out = [];
  for (let i = 0; i < cols.ids.length; i++) {
    if (cols.states[i] === 'COMPLETED' && values[i] !== null && values[i] !== undefined) out.push(i);
  }
  return out;
}

function renderParallel() {
  const o = objective();
  const rows = completedRows(o.metric);
  if (!rows.length) return noData('chart-parallel', 'No completed trial yet.');
  const cols = S.columns;
  const params = S.summary.parameters;
  // A conditional parameter's inactive trials meet its axis at an "n/a" mark
  // below the range (or an "n/a" category).
  const axes = params.map((p, i) => {
    const axis = { dim: i, name: p.name, ...paramAxis(p) };
    if (!p.when) return axis;
    if (axis.type === 'category') {
      axis.data = ['n/a', ...axis.data];
      axis.na = 'n/a';
      return axis;
    }
    const lo = p.min !== undefined ? p.min : Math.min(...p.values);
    const hi = p.max !== undefined ? p.max : Math.max(...p.values);
    axis.na = axis.type === 'log' ? lo / Math.pow(hi / lo, 0.12) : lo - 0.12 * (hi - lo || 1);
    axis.min = axis.na;
    axis.max = hi;
    axis.axisLabel = { showMinLabel: true, formatter: (v) => (v <= axis.na * (axis.na < 0 ? 0.999 : 1.001) ? 'n/a' : fmt(v)) };
    return axis;
  });
  const vals = rows.map((i) => cols.metrics[o.metric][i]);
  const lo = Math.min(...vals), hi = Math.max(...vals);
  axes.push({ dim: params.length, name: o.metric, type: 'value', scale: true,
    nameTextStyle: { fontWeight: 'bold', color: '#1d4ed8' } });
  const data = rows.map((i) => {
    const row = params.map((p, j) => {
      const v = cols.params[p.name][i];
      if (v === null) return axes[j].na !== undefined ? axes[j].na : null;
      return axes[j].type === 'category' ? String(v) : v;
    });
    row.push(cols.metrics[o.metric][i]);
    row.trial = cols.ids[i];
    return row;
  });
  const many = data.length > 1000;
  draw('chart-parallel', {
    animation: false,
    parallel: { left: 70, right: 90, top: 40, bottom: 28,
      parallelAxisDefault: { nameLocation: 'end', nameGap: 14, nameTextStyle: { color: '#344054', fontSize: 12 },
        axisLabel: { color: '#667085', formatter: (v) => (typeof v === 'number' ? fmt(v) : v) } } },
    parallelAxis: axes,
    visualMap: { show: true, type: 'continuous', dimension: params.length, min: lo, max: hi === lo ? lo + 1 : hi,
      right: 0, top: 'middle', itemHeight: 120, calculable: false, precision: 3,
      text: [o.goal === 'maximize' ? 'better' : 'worse', ''], textStyle: { color: '#667085' },
      inRange: { color: o.goal === 'maximize' ? ['#cbd5e1', '#93c5fd', '#2563eb', '#1e3a8a'] : ['#1e3a8a', '#2563eb', '#93c5fd', '#cbd5e1'] } },
    series: [{ type: 'parallel', data, smooth: false, progressive: many ? 500 : 0,
      lineStyle: { width: many ? 0.6 : 1.4, opacity: many ? 0.25 : 0.7 },
      emphasis: { lineStyle: { width: 3, opacity: 1 } } }],
  });
}

function renderSlice() {
  const o = objective();
  const p = paramSpec(S.sliceParam);
  const rows = completedRows(o.metric);
  if (!p || !rows.length) return noData('chart-slice', 'No completed trial yet.');
  const cols = S.columns;
  const axis = paramAxis(p);
  const data = [];
  let inactive = 0;
  for (const i of rows) {
    const v = cols.params[p.name][i];
    if (v === null) { inactive++; continue; }
    data.push([axis.type === 'category' ? String(v) : v, cols.metrics[o.metric][i], cols.ids[i]]);
  }
  const ids = data.map((d) => d[2]);
  const large = data.length > 2000;
  draw('chart-slice', {
    animation: !large,
    grid: { ...baseGrid, right: 80 },
    title: inactive ? { text: `${inactive} trials without ${p.name} (inactive) not shown`, right: 90, top: 0,
      textStyle: { fontSize: 11, fontWeight: 'normal', color: '#667085' } } : undefined,
    tooltip: { trigger: 'item', formatter: (q) => `trial #${esc(q.value[2])}<br>${esc(p.name)}: ${esc(fmt(q.value[0]))}` +
      `<br>${esc(o.metric)}: <b>${esc(fmt(q.value[1]))}</b>` },
    xAxis: { ...axis, ...axisName(`${p.name}${p.scale === 'log' ? ' (log)' : ''}`) },
    yAxis: { type: 'value', scale: true, ...axisName(o.metric), nameGap: 44 },
    visualMap: { type: 'continuous', dimension: 2, min: Math.min(...ids), max: Math.max(Math.max(...ids), Math.min(...ids) + 1),
      right: 0, top: 'middle', itemHeight: 120, text: ['later', 'earlier'], textStyle: { color: '#667085' },
      inRange: { color: ['#c7d2fe', '#6366f1', '#312e81'] }, calculable: false },
    series: [{ type: 'scatter', data, symbolSize: large ? 3 : 9, large, itemStyle: { opacity: 0.8 } }],
  });
}

// A parameter's value as a position in [0, 1] along its axis (log where the
// spec says log; categories evenly spaced), for the contour's interpolation.
function unitPosition(p, axis) {
  if (axis.type === 'category') {
    const n = axis.data.length;
    return (v) => (n > 1 ? axis.data.indexOf(String(v)) / (n - 1) : 0.5);
  }
  const lo = axis.min, hi = axis.max;
  if (lo === undefined || hi === undefined || !(hi > lo)) return () => 0.5;
  if (axis.type === 'log') return (v) => Math.log(v / lo) / Math.log(hi / lo);
  return (v) => (v - lo) / (hi - lo);
}

// The point of an axis at position u in [0, 1] (the inverse of unitPosition).
function axisPoint(axis, u) {
  if (axis.type === 'category') return axis.data[Math.round(u * (axis.data.length - 1))];
  if (axis.type === 'log') return axis.min * Math.pow(axis.max / axis.min, u);
  return axis.min + u * (axis.max - axis.min);
}

const CONTOUR_CELLS = 36;

// Contour of the objective over two parameters: the plane is a grid of cells
// coloured by the objective interpolated between the completed trials
// (inverse-distance weighting, squared distance, in axis units), with the
// trials as dots on top. Both axes follow the spec (log, integer, category).
function renderContour() {
  $('contour-note').textContent = '';
  const o = objective();
  const params = S.summary.parameters;
  if (params.length < 2) return noData('chart-contour', 'A contour needs two parameters.');
  const px = paramSpec(S.contourX), py = paramSpec(S.contourY);
  if (!px || !py || px.name === py.name) return noData('chart-contour', 'Choose two different parameters.');
  const cols = S.columns;
  let rows = completedRows(o.metric);
  // Hyperband: results at different budgets are not comparable; unless the
  // budget is an axis, only the trials at the largest budget reached count.
  const budget = budgetParam();
  let note = 'The objective between completed trials (dots), interpolated by inverse-distance weighting: a guide, not a model.';
  if (budget && px.name !== budget && py.name !== budget && rows.length) {
    const top = Math.max(...rows.map((i) => cols.params[budget][i]));
    rows = rows.filter((i) => cols.params[budget][i] === top);
    note += ` Only the ${rows.length} trials at the largest budget, ${budget}=${fmt(top)}.`;
  }
  $('contour-note').textContent = note;
  const ax = paramAxis(px), ay = paramAxis(py);
  const ux = unitPosition(px, ax), uy = unitPosition(py, ay);
  const trials = [], pts = [];
  for (const i of rows) {
    const x = cols.params[px.name][i], y = cols.params[py.name][i];
    if (x === null || y === null || x === undefined || y === undefined) continue;
    const v = cols.metrics[o.metric][i];
    trials.push([ax.type === 'category' ? String(x) : x, ay.type === 'category' ? String(y) : y, v, cols.ids[i]]);
    pts.push([ux(x), uy(y), v]);
  }
  if (!trials.length) return noData('chart-contour', 'No completed trial with both parameters yet.');
  const vals = trials.map((t) => t[2]);
  const lo = Math.min(...vals), hi = Math.max(...vals);
  // Cells: categories get one cell each, numeric axes CONTOUR_CELLS.
  const nx = ax.type === 'category' ? ax.data.length : CONTOUR_CELLS;
  const ny = ay.type === 'category' ? ay.data.length : CONTOUR_CELLS;
  // A numeric axis without a range (one value only) gets no cells.
  const spans = (axis) => axis.type === 'category' || (axis.min !== undefined && axis.max > axis.min);
  const sample = !spans(ax) || !spans(ay) ? [] : pts.length > 2000 ? pts.filter((_, k) => k % Math.ceil(pts.length / 2000) === 0) : pts;
  const cells = [];
  for (let a = 0; a < (sample.length ? nx : 0); a++) {
    const u = ax.type === 'category' ? (nx > 1 ? a / (nx - 1) : 0.5) : (a + 0.5) / nx;
    for (let b = 0; b < ny; b++) {
      const w = ay.type === 'category' ? (ny > 1 ? b / (ny - 1) : 0.5) : (b + 0.5) / ny;
      let num = 0, den = 0, exact = null;
      for (const q of sample) {
        const d2 = (q[0] - u) ** 2 + (q[1] - w) ** 2;
        if (d2 < 1e-12) { exact = q[2]; break; }
        num += q[2] / d2; den += 1 / d2;
      }
      cells.push([axisPoint(ax, u), axisPoint(ay, w), exact !== null ? exact : num / den]);
    }
  }
  const c = chart('chart-contour');
  const gridW = Math.max(100, (c ? c.getWidth() : 600) - 56 - 90), gridH = Math.max(100, (c ? c.getHeight() : 300) - 34 - 42);
  const cellW = Math.ceil(gridW / nx) + 1, cellH = Math.ceil(gridH / ny) + 1;
  // Cells sit at their centres; a numeric axis spans the spec's range exactly.
  const name = (p) => `${p.name}${p.scale === 'log' ? ' (log)' : ''}`;
  const catAxis = (axis) => (axis.type === 'category' ? { boundaryGap: true } : {});
  draw('chart-contour', {
    animation: false,
    grid: { ...baseGrid, right: 90 },
    tooltip: { trigger: 'item', formatter: (q) => (q.seriesName === 'trials'
      ? `trial #${esc(q.value[3])}<br>${esc(px.name)}: ${esc(fmt(q.value[0]))}<br>${esc(py.name)}: ${esc(fmt(q.value[1]))}` +
        `<br>${esc(o.metric)}: <b>${esc(fmt(q.value[2]))}</b>`
      : `${esc(o.metric)} ≈ ${esc(fmt(q.value[2]))} (interpolated)`) },
    xAxis: { ...ax, ...catAxis(ax), ...axisName(name(px)), splitLine: { show: false } },
    yAxis: { ...ay, ...catAxis(ay), ...axisName(name(py)), nameGap: 44, splitLine: { show: false } },
    visualMap: { type: 'continuous', dimension: 2, min: lo, max: hi === lo ? lo + 1 : hi, seriesIndex: [0, 1],
      right: 0, top: 'middle', itemHeight: 120, calculable: false, precision: 3,
      text: [o.goal === 'maximize' ? 'better' : 'worse', ''], textStyle: { color: '#667085' },
      inRange: { color: o.goal === 'maximize' ? ['#f8fafc', '#93c5fd', '#2563eb', '#1e3a8a'] : ['#1e3a8a', '#2563eb', '#93c5fd', '#f8fafc'] } },
    series: [
      { name: 'interpolated', type: 'scatter', data: cells, symbol: 'rect', symbolSize: [cellW, cellH], silent: true,
        itemStyle: { opacity: 0.85 }, z: 1 },
      { name: 'trials', type: 'scatter', data: trials, symbolSize: 8, z: 5,
        itemStyle: { borderColor: '#0f172a', borderWidth: 1.2 } },
    ],
  });
}

// The empirical distribution function of the objective over the completed
// trials: for each value v, the share of trials whose result is at most v.
// In a Hyperband study one line per budget (results at different budgets are
// not comparable).
function renderEdf() {
  const o = objective();
  const rows = completedRows(o.metric);
  if (!rows.length) { $('edf-note').textContent = ''; return noData('chart-edf', 'No completed trial yet.'); }
  const cols = S.columns;
  const budget = budgetParam();
  const groups = new Map();
  for (const i of rows) {
    const key = budget ? `${budget}=${fmt(cols.params[budget][i])}` : 'completed';
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(cols.metrics[o.metric][i]);
  }
  const keys = [...groups.keys()].sort((a, b) => (budget ? parseFloat(a.split('=')[1]) - parseFloat(b.split('=')[1]) : 0));
  const series = keys.map((k, g) => {
    const v = groups.get(k).sort((a, b) => a - b);
    return { name: k, type: 'line', step: 'end', symbol: 'none', data: v.map((x, j) => [x, (j + 1) / v.length]),
      ...(budget ? { lineStyle: { color: BUDGET_COLORS[Math.min(g, BUDGET_COLORS.length - 1)] },
        itemStyle: { color: BUDGET_COLORS[Math.min(g, BUDGET_COLORS.length - 1)] } } : {}) };
  });
  $('edf-note').textContent = `${rows.length} completed trials; a curve further ` +
    `${o.goal === 'maximize' ? 'right' : 'left'} is better.`;
  draw('chart-edf', {
    animation: false,
    grid: { ...baseGrid, top: budget ? 40 : 20 },
    legend: budget ? { top: 0, right: 0 } : undefined,
    tooltip: { trigger: 'item', formatter: (q) => `${esc(q.seriesName)}<br>${esc(o.metric)} ≤ ${esc(fmt(q.value[0]))}: ` +
      `<b>${esc(fmt(q.value[1] * 100))} %</b> of trials` },
    xAxis: { type: 'value', scale: true, ...axisName(o.metric) },
    yAxis: { type: 'value', min: 0, max: 1, ...axisName('share of trials ≤ x'), nameGap: 36 },
    series,
  });
}

function renderPareto() {
  const objs = objectives();
  if (objs.length < 2) { $('pareto-note').textContent = ''; return; }
  const ox = objs[S.paretoX], oy = objs[S.paretoY];
  const cols = S.columns;
  const front = new Set(cols.best_ids);
  const dominated = [], onFront = [];
  for (let i = 0; i < cols.ids.length; i++) {
    if (cols.states[i] !== 'COMPLETED') continue;
    const x = cols.metrics[ox.metric][i], y = cols.metrics[oy.metric][i];
    if (x === null || y === null || x === undefined || y === undefined) continue;
    (front.has(cols.ids[i]) ? onFront : dominated).push([x, y, cols.ids[i]]);
  }
  if (!onFront.length && !dominated.length) return noData('chart-pareto', 'No completed trial yet.');
  onFront.sort((a, b) => a[0] - b[0]);
  $('pareto-note').textContent = `${onFront.length} of ${onFront.length + dominated.length} completed trials are on the front ` +
    `(no other trial is at least as good in every objective and better in one).`;
  const large = dominated.length > 2000;
  const tip = (q) => `trial #${esc(q.value[2])}<br>${esc(ox.metric)}: <b>${esc(fmt(q.value[0]))}</b>` +
    `<br>${esc(oy.metric)}: <b>${esc(fmt(q.value[1]))}</b>`;
  draw('chart-pareto', {
    animation: !large,
    grid: { ...baseGrid, left: 60 },
    legend: { top: 0, right: 0, data: ['dominated', 'Pareto front'] },
    tooltip: { trigger: 'item', formatter: tip },
    xAxis: { type: 'value', scale: true, ...axisName(`${ox.metric} (${ox.goal === 'maximize' ? 'max' : 'min'})`) },
    yAxis: { type: 'value', scale: true, ...axisName(`${oy.metric} (${oy.goal === 'maximize' ? 'max' : 'min'})`), nameGap: 44 },
    series: [
      { name: 'dominated', type: 'scatter', data: dominated, symbolSize: large ? 3 : 7, large,
        itemStyle: { color: '#94a3b8', opacity: 0.7 } },
      { name: 'Pareto front', type: 'line', data: onFront, symbolSize: 10, symbol: 'circle', showSymbol: true, showAllSymbol: true,
        lineStyle: { color: COLORS.best, width: 1.5, type: 'dashed' }, itemStyle: { color: COLORS.best }, z: 5 },
    ],
  });
}

// ------------------------------------------------------------------ table

function tableColumns() {
  const s = S.summary;
  const objNames = s.objectives.map((o) => o.metric);
  const cols = [{ key: 'id', label: 'Trial', num: true, get: (t) => t.id }];
  cols.push({ key: 'state', label: 'State', get: (t) => t.state, cell: (t) => el('span', { class: `chip st-${t.state}`, text: t.state.toLowerCase() }) });
  // Which stage proposed the trial (sobol, gp, random, grid, hyperband, retry, user).
  cols.push({ key: 'origin', label: 'Origin', get: (t) => originText(t) });
  for (const m of objNames) cols.push({ key: `metrics.${m}`, label: m, num: true, obj: true, get: (t) => t.metrics[m] });
  for (const p of s.parameters) cols.push({ key: `params.${p.name}`, label: p.name, num: p.type !== 'categorical', get: (t) => t.params[p.name] });
  for (const m of s.metrics) if (!objNames.includes(m)) cols.push({ key: `metrics.${m}`, label: m, num: true, get: (t) => t.metrics[m] });
  cols.push({ key: 'steps', label: 'Steps', num: true, get: (t) => t.steps });
  cols.push({ key: 'duration', label: 'Duration', num: true, get: (t) => (t.end_time > 0 ? t.end_time - t.create_time : null),
    cell: (t) => fmtDuration(t.end_time > 0 ? t.end_time - t.create_time : 0) });
  cols.push({ key: 'reason', label: 'Reason', get: (t) => t.reason || '', reason: true });
  return cols;
}

function renderStateChips() {
  const box = $('state-chips');
  box.textContent = '';
  const c = S.summary.counts;
  const n = { COMPLETED: c.completed, ACTIVE: c.active, STOPPING: c.stopping, STOPPED: c.stopped, FAILED: c.failed,
    INFEASIBLE: c.infeasible, STALE: c.stale || 0 };
  for (const st of STATES) {
    if (!n[st] && !S.table.states.has(st)) continue;
    const on = S.table.states.has(st);
    box.append(el('span', { class: `chip ${on ? 'on st-' + st : ''}`, title: on ? 'click to show every state' : `show only ${st.toLowerCase()} (with the others selected)`,
      onclick: () => { on ? S.table.states.delete(st) : S.table.states.add(st); S.table.offset = 0; renderStateChips(); loadTable(); } },
      `${st.toLowerCase()} ${n[st]}`));
  }
}

let tableSeq = 0;
async function loadTable() {
  if (!S.summary) return;
  const t = S.table;
  const q = new URLSearchParams({ offset: t.offset, limit: t.limit, sort: t.sort, order: t.order });
  if (t.states.size) q.set('state', [...t.states].join(','));
  if (t.filter) q.set('filter', t.filter);
  const seq = ++tableSeq;
  renderStateChips();
  try {
    const page = await api(`${studyPath(S.study)}/trials?${q}`);
    if (seq !== tableSeq) return;  // a newer request is on its way
    $('table-error').hidden = true;
    $('table-filter').classList.remove('bad');
    renderTable(page);
  } catch (e) {
    if (seq !== tableSeq) return;
    $('table-error').hidden = false;
    $('table-error').textContent = e.message;
  }
}

function renderTable(page) {
  const cols = tableColumns();
  const thead = $('trials-table').tHead;
  const tbody = $('trials-table').tBodies[0];
  thead.textContent = '';
  const hr = el('tr');
  for (const c of cols) {
    const sorted = S.table.sort === c.key || (c.key === 'id' && S.table.sort === 'id');
    hr.append(el('th', { class: c.obj ? 'obj' : '', 'data-key': c.key, title: `sort by ${c.label}`,
      onclick: () => {
        if (S.table.sort === c.key) S.table.order = S.table.order === 'asc' ? 'desc' : 'asc';
        else { S.table.sort = c.key; S.table.order = c.obj && objective() && objective().goal === 'maximize' ? 'desc' : 'asc'; }
        S.table.offset = 0;
        loadTable();
      } }, c.label, sorted ? el('span', { class: 'arrow', text: S.table.order === 'asc' ? '▲' : '▼' }) : null));
  }
  thead.append(hr);
  const bestIds = new Set(S.summary.best.map((b) => b.id));
  const frag = document.createDocumentFragment();
  for (const t of page.trials) {
    const tr = el('tr', { 'data-trial': t.id, class: bestIds.has(t.id) ? 'best-row' : '', onclick: () => goTrial(t.id) });
    for (const c of cols) {
      const v = c.get(t);
      const td = el('td', { class: c.reason ? 'reason' : c.num ? 'num' : '', 'data-key': c.key });
      if (c.cell) td.append(c.cell(t));
      else if (c.reason) td.append(el('div', { class: 'reason-text', title: v || null, text: v }));
      else { td.textContent = c.key === 'id' ? `#${v}` : fmt(v); if (typeof v === 'number') td.title = String(v); }
      tr.append(td);
    }
    frag.append(tr);
  }
  tbody.textContent = '';
  tbody.append(frag);
  if (!page.trials.length) tbody.append(el('tr', {}, el('td', { colspan: cols.length, class: 'hint', text: 'No trial matches.' })));
  const first = page.matched ? page.offset + 1 : 0;
  const last = page.offset + page.trials.length;
  $('table-summary').textContent = `${first}–${last} of ${page.matched} matching` +
    (page.matched !== page.total ? ` (${page.total} trials)` : '');
  const pages = Math.max(1, Math.ceil(page.matched / page.limit));
  const cur = Math.floor(page.offset / page.limit) + 1;
  const go = (p) => { S.table.offset = (p - 1) * page.limit; loadTable(); };
  const pager = $('pager');
  pager.textContent = '';
  pager.append(
    el('button', { text: '«', disabled: cur <= 1, onclick: () => go(1), title: 'first page' }),
    el('button', { text: '‹', disabled: cur <= 1, onclick: () => go(cur - 1), title: 'previous page' }),
    el('span', { id: 'page-info', text: `page ${cur} of ${pages}` }),
    el('button', { text: '›', disabled: cur >= pages, onclick: () => go(cur + 1), title: 'next page' }),
    el('button', { text: '»', disabled: cur >= pages, onclick: () => go(pages), title: 'last page' }));
}

// ------------------------------------------------------------------ one trial

// A trial has its own address, #/study/NAME/trial/ID (a link to share; the
// back button closes it).
const studyHash = (name) => `#/study/${encodeURIComponent(name)}`;
// A trial's origin; a retry names the interrupted (STALE) trial it runs again.
const originText = (t) => (t.retry_of ? `retry of ${t.retry_of}` : t.origin || '');
// In the drawer, "warm_start:<study>#<id>" (docs/warm-start.md) links to that
// trial of the earlier study, and a retry to the trial it runs again.
function originView(t) {
  if (t.retry_of) {
    return el('a', { id: 'trial-origin-link', href: `${studyHash(S.study)}/trial/${t.retry_of}`, title: 'the interrupted trial whose parameters it runs again' },
      originText(t));
  }
  const m = /^warm_start:(.+)#(\d+)$/.exec(t.origin || '');
  if (!m) return document.createTextNode(t.origin || 'not recorded');
  return el('a', { id: 'trial-origin-link', href: `${studyHash(m[1])}/trial/${m[2]}`, title: 'the earlier study\'s best trial, run first' },
    t.origin);
}
function goTrial(id) {
  location.hash = `${studyHash(S.study)}/trial/${id}`;
}

let trialSeq = 0;
async function openTrial(id) {
  const seq = ++trialSeq;
  let t;
  try { t = await api(`${studyPath(S.study)}/trials/${id}`); } catch (e) { fatal(`trial ${id}: ${e.message}`); return; }
  if (seq !== trialSeq) return;
  S.trial = t.id;
  const body = $('drawer-body');
  body.textContent = '';
  const kv = (obj) => {
    const tb = el('table', { class: 'kv' });
    for (const [k, v] of Object.entries(obj)) tb.append(el('tr', {}, el('td', { text: k }), el('td', { title: String(v), text: fmt(v) })));
    return tb;
  };
  body.append(el('h3', {}, `Trial #${t.id} `, el('span', { class: `chip st-${t.state}`, text: t.state.toLowerCase() })),
    el('div', { class: 'hint', text: `created ${fmtTime(t.create_time)}` + (t.end_time ? ` · took ${fmtDuration(t.end_time - t.create_time)}` : '') +
      (t.client_id ? ` · client ${t.client_id}` : '') }),
    el('div', { class: 'hint', id: 'trial-origin' }, 'origin: ', originView(t), ` · ${t.steps || 0} steps`));
  if (t.reason) body.append(el('p', { class: 'table-error', text: t.reason }));
  body.append(el('h4', { text: 'Parameters' }), kv(t.params));
  if (Object.keys(t.metrics).length) body.append(el('h4', { text: 'Final metrics' }), kv(t.metrics));
  if (t.command) {
    body.append(el('h4', { text: 'Exact command' }),
      el('div', { class: 'note', text: 'The command its cluster was launched with (the chief\'s, as `tuner best` prints it):' }),
      el('div', { id: 'trial-command' }, commandBox(t.command)));
  }
  body.append(el('h4', { text: 'Trainer arguments' }), commandBox(commandLine(t.params, t.command_line)));
  body.append(el('h4', { text: `Attempts (${(t.attempts || []).length + 1})` }), attemptsView(t));
  if ((t.schedule || []).length > 1 || (t.children || []).length) body.append(el('h4', { text: 'Lineage (PBT)' }), lineageView(t));
  body.append(el('h4', { text: 'Logs' }), logsView(t.id));
  body.append(el('h4', { text: 'Artifacts' }), artifactsView(t.id));
  const names = [...new Set(t.measurements.flatMap((m) => Object.keys(m.metrics)))];
  const metricSelect = el('select', { id: 'trial-metric', 'aria-label': 'Metric', hidden: names.length < 2 });
  body.append(el('h4', {}, `Measurements (${t.measurements.length}) `, metricSelect));
  const chartDiv = el('div', { class: 'chart short', id: 'chart-trial' });
  body.append(chartDiv);
  $('drawer').hidden = false;
  if (S.charts['chart-trial']) { S.charts['chart-trial'].dispose(); delete S.charts['chart-trial']; }
  if (!t.measurements.length) { noData('chart-trial', 'No intermediate values.'); return; }
  // One metric at a time (their scales differ): the objective first.
  const objNames = objectives().map((o) => o.metric);
  names.sort((a, b) => (objNames.includes(b) ? 1 : 0) - (objNames.includes(a) ? 1 : 0));
  fillSelect(metricSelect, names, names[0]);
  const drawMetric = (n) => draw('chart-trial', {
    animation: false, grid: { ...baseGrid, top: 30 }, legend: { top: 0 }, tooltip: { trigger: 'axis', formatter: safeTip },
    xAxis: { type: 'value', minInterval: 1, ...axisName('step') }, yAxis: { type: 'value', scale: true },
    series: [{ name: n, type: 'line', data: t.measurements.filter((m) => n in m.metrics).map((m) => [m.step, m.metrics[n]]) }],
  });
  metricSelect.addEventListener('change', () => drawMetric(names[Number(metricSelect.value)]));
  drawMetric(names[0]);
  const mt = el('table', { class: 'kv' });
  mt.append(el('tr', {}, el('td', { class: 'hint', text: 'step' }), ...names.map((n) => el('td', { class: 'hint', text: n }))));
  for (const m of t.measurements.slice(-200)) {
    mt.append(el('tr', {}, el('td', { text: String(m.step) }), ...names.map((n) => el('td', { text: fmt(m.metrics[n]) }))));
  }
  body.append(mt);
}

// Every run of a trial's cluster: the earlier attempts (a failure retried by
// trainer.max_retries, or a trial requeued with `tuner retry`), then the
// current one.
function attemptsView(t) {
  const tb = el('table', { class: 'kv', id: 'trial-attempts' });
  tb.append(el('tr', {}, ...['#', 'outcome', 'reports', 'last step', 'ran', 'reason']
    .map((h) => el('td', { class: 'hint', text: h }))));
  for (const a of t.attempts || []) {
    tb.append(el('tr', { class: 'attempt' }, el('td', { text: String(a.number) }),
      el('td', {}, el('span', { class: `chip st-${a.outcome}`, text: a.outcome.toLowerCase() })),
      el('td', { text: String(a.reports) }), el('td', { text: String(a.last_step) }),
      el('td', { text: a.end_time > a.start_time ? fmtDuration(a.end_time - a.start_time) : '–' }),
      el('td', { class: 'reason-text', title: a.reason || null, text: a.reason || '' })));
  }
  tb.append(el('tr', {}, el('td', { text: String((t.attempts || []).length + 1) }),
    el('td', {}, el('span', { class: `chip st-${t.state}`, text: `${t.state.toLowerCase()} (current)` })),
    el('td', { text: String(t.steps || 0) }), el('td', { text: '' }), el('td', { text: '' }), el('td', { text: '' })));
  return tb;
}

// Population-Based Training: the members this trial descends from, each with
// the step from which its parameters applied (the schedule), and the copies
// made of it.
function lineageView(t) {
  const box = el('div', { id: 'trial-lineage' });
  const link = (id) => el('a', { href: `${studyHash(S.study)}/trial/${id}`, text: `#${id}` });
  const tb = el('table', { class: 'kv' });
  tb.append(el('tr', {}, ...['from step', 'trial', 'parameters'].map((h) => el('td', { class: 'hint', text: h }))));
  for (const e of t.schedule || []) {
    tb.append(el('tr', { class: 'schedule' }, el('td', { text: String(e.from_step) }),
      el('td', {}, e.trial === t.id ? el('b', { text: `#${e.trial}` }) : link(e.trial)),
      el('td', { class: 'reason-text', text: Object.keys(e.params).sort().map((k) => `${k}=${fmt(e.params[k])}`).join('  ') })));
  }
  box.append(tb);
  if ((t.children || []).length) {
    const p = el('p', { class: 'hint', id: 'trial-children' }, 'Copied (exploited) by ');
    t.children.forEach((c, i) => p.append(i ? ', ' : '', link(c.id), ` at step ${c.step}`));
    box.append(p);
  }
  return box;
}

function fmtBytes(n) {
  return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;
}

// A trial's logs, one rank at a time: the end of the file the trainer wrote
// (/api/.../trials/{id}/logs, the files `tuner logs` reads), shown as text.
function logsView(id) {
  const select = el('select', { 'aria-label': 'Rank', id: 'logs-rank', hidden: true });
  const note = el('span', { class: 'hint', id: 'logs-note' });
  const pre = el('pre', { class: 'log', id: 'logs-text', text: 'Loading…' });
  const load = async (rank) => {
    try {
      const l = await api(`${studyPath(S.study)}/trials/${id}/logs${rank ? `?rank=${encodeURIComponent(rank)}` : ''}`);
      const key = l.ranks.join(',');
      if (select.dataset.key !== key) {
        select.textContent = '';
        for (const r of l.ranks) select.append(el('option', { value: r, text: r.replace('-', ':') }));
        select.dataset.key = key;
      }
      select.hidden = !l.ranks.length;
      if (l.rank) select.value = l.rank;
      pre.textContent = l.message || l.text || '(empty)';
      note.textContent = !l.ranks.length ? '' : l.truncated ? `the last ${fmtBytes(l.text.length)} of ${fmtBytes(l.size)}` : fmtBytes(l.size);
      pre.scrollTop = pre.scrollHeight;
    } catch (e) {
      pre.textContent = e.message;
      note.textContent = '';
    }
  };
  select.addEventListener('change', () => load(select.value));
  load('');
  return el('div', { class: 'logs', id: 'trial-logs' },
    el('div', { class: 'logs-head' }, select, el('button', { text: 'refresh', onclick: () => load(select.value) }), note), pre);
}

// The files the trial recorded (checkpoints, exports, …): path, kind, step,
// size, the start of the sha256, the attempt and whether it was removed.
function artifactsView(id) {
  const box = el('div', { id: 'trial-artifacts' }, el('p', { class: 'hint', text: 'Loading…' }));
  api(`${studyPath(S.study)}/trials/${id}/artifacts`).then((a) => {
    box.textContent = '';
    if (!a.artifacts.length) { box.append(el('p', { class: 'hint', text: 'No artifacts recorded.' })); return; }
    const attempts = new Set(a.artifacts.map((x) => x.attempt));
    if (attempts.size > 1) box.append(el('p', { class: 'hint', text: `written over ${attempts.size} attempts` }));
    const t = el('table', { class: 'kv artifacts' });
    t.append(el('tr', {}, ...['path', 'kind', 'step', 'size', 'sha256', 'attempt', ''].map((h) => el('td', { class: 'hint', text: h }))));
    for (const x of a.artifacts) {
      t.append(el('tr', { class: x.removed ? 'removed' : '', 'data-path': x.path },
        el('td', { class: 'path', title: x.path, text: x.path }), el('td', { text: x.kind }),
        el('td', { text: fmt(x.step) }), el('td', { title: `${x.size} bytes`, text: fmtBytes(x.size) }),
        el('td', { title: x.sha256 || '', text: (x.sha256 || '').slice(0, 12) }), el('td', { text: fmt(x.attempt) }),
        el('td', { class: 'hint', text: x.removed ? 'removed' : '' })));
    }
    box.append(t);
  }).catch((e) => { box.textContent = ''; box.append(el('p', { class: 'table-error', text: e.message })); });
  return box;
}

function closeDrawer() {
  if ($('drawer').hidden) return;
  $('drawer').hidden = true;
  S.trial = null;
  trialSeq++;
  if (/\/trial\/\d+$/.test(location.hash) && S.study) location.hash = studyHash(S.study);
  if (S.charts['chart-trial']) { S.charts['chart-trial'].dispose(); delete S.charts['chart-trial']; }
}

// ------------------------------------------------------------------ wiring

function route() {
  const m = location.hash.match(/^#\/study\/([^/]+)(?:\/trial\/(\d+))?$/);
  const name = m ? decodeURIComponent(m[1]) : null;
  const trial = m && m[2] !== undefined ? Number(m[2]) : null;
  if (!name && S.studies.length) {
    location.replace(studyHash(S.studies[0].name));
    return;
  }
  if (trial === null) closeDrawer();
  selectStudy(name).catch(onError).then(() => {
    if (trial !== null && S.study === name && S.trial !== trial) openTrial(trial);
  });
}

function onError(e) {
  if (e instanceof ApiError && e.status === 404 && S.study) {
    fatal(`study ${S.study}: ${e.message}`);
    return;
  }
  setLive(false, `offline: ${e.message}`);
}

async function poll() {
  if (S.live) {
    try {
      if (S.polls % STUDIES_EVERY === 0) await refreshStudies();
      const pushed = S.events.state === 'open';
      if (!pushed || S.polls % S.pushedPollEvery === 0) await pollStudy('poll');
      setLive(true, pushed ? 'live · pushed by the server' : `live · polled ${new Date().toLocaleTimeString()}`);
      fatal('');
    } catch (e) { onError(e); }
    S.polls++;
  }
  setTimeout(poll, POLL_MS);
}

let filterTimer = null;
function wire() {
  window.addEventListener('hashchange', route);
  window.addEventListener('resize', () => { for (const c of Object.values(S.charts)) c.resize(); });
  $('study-search').addEventListener('input', renderStudyList);
  $('live-toggle').addEventListener('change', (e) => {
    S.live = e.target.checked;
    if (!S.live) setLive(true, 'paused');
  });
  $('history-objective').addEventListener('change', async (e) => {
    S.objectiveIndex = Number(e.target.value);
    S.importance = await api(`${studyPath(S.study)}/importance?metric=${encodeURIComponent(objective().metric)}`);
    renderCharts();
  });
  $('curves-metric').addEventListener('change', async (e) => {
    S.curvesMetric = S.summary.metrics[Number(e.target.value)];
    S.curves = await api(`${studyPath(S.study)}/curves?metric=${encodeURIComponent(S.curvesMetric)}`);
    renderCurves();
  });
  $('slice-param').addEventListener('change', (e) => {
    S.sliceParam = S.summary.parameters[Number(e.target.value)].name;
    renderSlice();
  });
  $('contour-x').addEventListener('change', (e) => {
    S.contourX = S.summary.parameters[Number(e.target.value)].name;
    renderContour();
  });
  $('contour-y').addEventListener('change', (e) => {
    S.contourY = S.summary.parameters[Number(e.target.value)].name;
    renderContour();
  });
  $('table-filter').addEventListener('input', (e) => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => { S.table.filter = e.target.value.trim(); S.table.offset = 0; loadTable(); }, 250);
  });
  $('page-size').addEventListener('change', (e) => { S.table.limit = Number(e.target.value); S.table.offset = 0; loadTable(); });
  $('drawer-close').addEventListener('click', closeDrawer);
  $('drawer').addEventListener('click', (e) => { if (e.target === $('drawer')) closeDrawer(); });
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') closeDrawer(); });
}

async function start() {
  wire();
  if (!window.echarts) fatal('The charting library did not load (/vendor/echarts.min.js): run scripts/setup.sh or `npm ci` in dashboard/.');
  try {
    await refreshStudies();
    setLive(true, 'live');
  } catch (e) { onError(e); }
  S.polls = 1;
  route();
  setTimeout(poll, POLL_MS);
}

start();
