// End-to-end test of the web dashboard in headless Chromium.
//
// Starts `tuner serve --http` on a fresh db, fills it with finished studies of
// known numbers (dashboard_study.py, through the Python client), opens the
// dashboard, checks that the plots and the table show the stored numbers,
// that the page updates live when a better trial arrives, and that it loads
// nothing from outside the server; then opens a study whose metric names,
// values, reasons and client ids are HTML/JS payloads, hovers every chart and
// checks that nothing ran (window.__xss stays undefined, no dialog) and that
// the re-run command line is shell-quoted; saves screenshots; stops every
// process.
//
//   TUNER_BIN=build/tuner PYTHONPATH=clients/python \
//   SCREENSHOT_DIR=build node tests/e2e/dashboard_test.mjs
//
// Chromium: $CHROMIUM or /usr/bin/chromium (Debian's package; scripts/setup.sh
// installs it); playwright-core comes from dashboard/node_modules.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const require = createRequire(path.join(repo, 'dashboard/package.json'));
const { chromium } = require('playwright-core');

const TUNER = process.env.TUNER_BIN || path.join(repo, 'build/tuner');
const PYTHON = process.env.PYTHON || '/usr/bin/python3';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.SCREENSHOT_DIR || path.join(repo, 'build');
const DEADLINE_MS = 240_000;

// A screenshot of the whole page: the viewport grows to the page's height
// (a full-page capture would repeat the sticky bars).
async function screenshotPage(page, file) {
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  const before = page.viewportSize();
  await page.setViewportSize({ width: before.width, height: Math.min(height, 6000) });
  await page.waitForTimeout(300);  // the charts follow the resize
  await page.screenshot({ path: file });
  await page.setViewportSize(before);
}

const children = [];
let browser = null;
let page = null;
const pageErrors = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tuner-dashboard-'));

function log(...args) {
  console.log('[dashboard e2e]', ...args);
}

// Starts `tuner serve` and resolves with its gRPC address and dashboard URL.
function startServer() {
  const child = spawn(TUNER, ['serve', '--db', path.join(tmp, 'study.db'), '--listen', '127.0.0.1:0',
    '--http', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`tuner serve did not start: ${out}${stderr}`)), 30_000);
    child.on('exit', (code) => reject(new Error(`tuner serve exited with ${code}: ${stderr}`)));
    child.stdout.on('data', (d) => {
      out += d;
      const grpc = out.match(/listening on (\S+)/);
      const url = out.match(/dashboard: (\S+)/);
      if (grpc && url) {
        clearTimeout(timer);
        resolve({ endpoint: grpc[1], url: url[1] });
      }
    });
  });
}

function run(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}\n${err}`))));
  });
}

async function stopAll() {
  if (browser) await browser.close().catch(() => {});
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => { c.kill('SIGKILL'); r(); }, 5000);
        c.on('exit', () => { clearTimeout(t); r(); });
      });
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}

// What the page shows for a number: up to 6 significant digits.
const shown = (v) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6))));
const close = (a, b) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

async function getJson(url) {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

// The data of a chart's series, read from its ECharts instance.
async function seriesData(page, id) {
  return page.evaluate((id) => {
    const c = echarts.getInstanceByDom(document.getElementById(id));
    if (!c) return null;
    return c.getOption().series.map((s) => ({ name: s.name, type: s.type, data: s.data }));
  }, id);
}

// Hovers every point of every chart of the page (ECharts' showTip for each
// data item, then the mouse over a grid of each chart's area) so that every
// tooltip is rendered; returns the tooltip texts seen.
async function hoverAllCharts(page) {
  const tips = [];
  const ids = await page.evaluate(() => [...document.querySelectorAll('.chart')]
    .filter((n) => n.dataset.rendered === 'chart' && n.offsetParent !== null).map((n) => n.id));
  for (const id of ids) {
    const counts = await page.evaluate((id) => {
      const c = echarts.getInstanceByDom(document.getElementById(id));
      return c ? c.getOption().series.map((s) => (Array.isArray(s.data) ? s.data.length : 0)) : [];
    }, id);
    for (let si = 0; si < counts.length; si++) {
      for (let di = 0; di < Math.min(counts[si], 50); di++) {
        tips.push(await page.evaluate(({ id, si, di }) => {
          const c = echarts.getInstanceByDom(document.getElementById(id));
          c.dispatchAction({ type: 'showTip', seriesIndex: si, dataIndex: di });
          const tip = [...document.getElementById(id).querySelectorAll('div')]
            .find((d) => d.style.position === 'absolute' && d.style.display !== 'none' && d.textContent);
          return tip ? tip.innerHTML : '';
        }, { id, si, di }));
      }
    }
    const box = await page.locator(`#${id}`).boundingBox();
    if (!box) continue;
    for (let y = 0.05; y < 1; y += 0.1) {
      for (let x = 0.03; x < 1; x += 0.06) {
        await page.mouse.move(box.x + x * box.width, box.y + y * box.height);
      }
    }
    await page.mouse.move(0, 0);
  }
  return { ids, tips };
}

async function checkNoXss(page, xss, dialogs) {
  // A fresh page load: a payload that ran would set window.__xss in it.
  await page.goto('about:blank');
  await page.goto(`${xssUrl}#/study/dash_xss`);
  await page.waitForFunction(() => document.getElementById('chart-pareto')?.dataset.rendered === 'chart',
    null, { timeout: 20_000 });
  for (const id of ['chart-history', 'chart-curves', 'chart-parallel', 'chart-slice']) {
    await page.waitForFunction((id) => document.getElementById(id).dataset.rendered === 'chart', id, { timeout: 20_000 });
  }
  await page.waitForFunction((n) => document.querySelectorAll('#trials-table tbody tr[data-trial]').length === n,
    xss.ids.length, { timeout: 10_000 });
  const { ids, tips } = await hoverAllCharts(page);
  log('xss: hovered', ids.join(', '), `(${tips.filter(Boolean).length} tooltips)`);
  assert.ok(ids.includes('chart-history') && ids.includes('chart-pareto') && ids.includes('chart-slice'), `charts: ${ids}`);
  // The tooltips showed the payloads, as text.
  const escaped = (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  assert.ok(tips.some((t) => t.includes(escaped('<img src=x onerror='))),
    `no tooltip showed the metric name as text: ${tips.slice(0, 5).join(' | ')}`);

  // A trial's drawer: its measurement chart, reason, client id, command line.
  const stopped = xss.ids[4];
  await page.locator(`#trials-table tr[data-trial="${stopped}"]`).click();
  await page.waitForFunction(() => document.getElementById('chart-trial')?.dataset.rendered === 'chart', null, { timeout: 10_000 });
  assert.match(await page.locator('#drawer-body').textContent(), /<img src=x onerror=window.__xss=4> stopped/);
  assert.match(await page.locator('#drawer-body').textContent(), /client <img src=x onerror=window.__xss=6>/);
  await hoverAllCharts(page);
  // The re-run line and what its copy button copies: POSIX-quoted.
  const trial = await (await fetch(`${xssUrl}api/studies/dash_xss/trials/${stopped}`)).json();
  const quote = (w) => (/^[A-Za-z0-9_@%+=:,.\/-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`);
  const want = Object.keys(trial.params).sort().map((k) => quote(`--${k}=${trial.params[k]}`)).join(' ');
  assert.ok(want.includes(`'--opt=a b'\\''c$HOME"\`id\`;*'`), want);
  const cmd = page.locator('#drawer-body .cmd');
  assert.equal(await cmd.locator('.cmd-text').textContent(), want);
  await page.evaluate(() => {
    window.__copied = null;
    navigator.clipboard.writeText = async (text) => { window.__copied = text; };
  });
  await cmd.locator('button').click();
  await page.waitForFunction(() => window.__copied !== null, null, { timeout: 5_000 });
  assert.equal(await page.evaluate(() => window.__copied), want);
  // The quoted line gives the trainer back the exact values (through sh).
  const echoed = await run('/bin/sh', ['-c', `printf '%s\\n' ${want}`]);
  assert.equal(echoed, Object.keys(trial.params).sort().map((k) => `--${k}=${trial.params[k]}`).join('\n') + '\n');
  await page.keyboard.press('Escape');
  await screenshotPage(page, path.join(SHOTS, 'dashboard_e2e_xss.png'));

  // Nothing ran: no payload set window.__xss, no dialog opened, no element a
  // payload would have created exists.
  assert.equal(await page.evaluate(() => typeof window.__xss), 'undefined', 'a payload ran');
  assert.deepEqual(dialogs, [], 'a dialog opened');
  assert.equal(await page.evaluate(() => document.querySelectorAll('img[src="x"], svg[onload], #main script').length), 0,
    'a payload became an element');
}

let xssUrl = '';

async function main() {
  const watchdog = setTimeout(() => { console.error('dashboard e2e: timed out'); stopAll().finally(() => process.exit(1)); }, DEADLINE_MS);
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/setup.sh installs Debian's chromium`);
  assert.ok(fs.existsSync(TUNER), `${TUNER} is missing: build it first`);

  const { endpoint, url } = await startServer();
  xssUrl = url;
  log('server', endpoint, 'dashboard', url);
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const fixture = path.join(here, 'dashboard_study.py');
  const expected = JSON.parse(await run(PYTHON, [fixture, endpoint]));
  const single = expected.single;
  log(`study ${single.name}: ${single.completed.length} completed, best #${single.best.id} = ${single.best.val_accuracy}`);

  // ---- the API, as the page will read it
  const studies = await getJson(`${url}api/studies`);
  assert.equal(studies.status, 200);
  assert.deepEqual(studies.body.studies.map((s) => s.name), ['dash_e2e', 'dash_hb', 'dash_pareto', 'dash_xss']);
  assert.equal(studies.body.studies[0].best_value, single.best.val_accuracy);
  const missing = await getJson(`${url}api/studies/nope`);
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'NOT_FOUND');
  const traversal = await fetch(`${url}%2e%2e/%2e%2e/etc/passwd`);
  assert.equal(traversal.status, 404);

  // ---- the page
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
  page = await context.newPage();
  const outside = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // (the bad filter below gets a 400 on purpose; Chromium logs that)
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 400/.test(m.text())) pageErrors.push(m.text()); });
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('request', (r) => { if (!r.url().startsWith(url) && !r.url().startsWith('data:')) outside.push(r.url()); });

  // While the study's data is on its way, its panels say "Loading…" (the
  // columns are held back here for a moment).
  const slowColumns = async (r) => { await new Promise((res) => setTimeout(res, 1500)); await r.continue().catch(() => {}); };
  await page.route('**/api/studies/dash_e2e/columns', slowColumns);
  const first = await page.goto(`${url}#/study/dash_e2e`);
  assert.match(first.headers()['content-security-policy'] || '', /script-src 'self';/);
  await page.waitForFunction(() => window.echarts !== undefined, null, { timeout: 20_000 });
  await page.locator('#chart-history .loading').waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#chart-history .loading').textContent(), 'Loading…');
  assert.equal(await page.locator('#chart-parallel').getAttribute('data-rendered'), 'loading');
  await page.waitForFunction(() => document.getElementById('chart-history').dataset.rendered === 'chart', null, { timeout: 20_000 });
  await page.unroute('**/api/studies/dash_e2e/columns', slowColumns);

  // The best value and configuration.
  const bestValue = page.locator('#best-value');
  await bestValue.waitFor({ timeout: 20_000 });
  assert.equal(await bestValue.textContent(), shown(single.best.val_accuracy));
  assert.equal(await page.locator('#best-title').textContent(), `Best trial · #${single.best.id}`);
  const args = Object.keys(single.best.params).sort().map((k) => `--${k}=${single.best.params[k]}`).join(' ');
  assert.equal(await page.locator('#best-card .cmd-text').textContent(), args);

  // Every chart drew on a canvas.
  for (const id of ['chart-history', 'chart-curves', 'chart-importance', 'chart-parallel', 'chart-slice']) {
    await page.waitForFunction((id) => document.getElementById(id).dataset.rendered === 'chart', id, { timeout: 20_000 });
    assert.ok(await page.locator(`#${id} canvas`).count() > 0, `${id} has no canvas`);
  }
  assert.ok(await page.locator('#pareto-card').isHidden(), 'one objective: no Pareto card');

  // The history plots the stored objective of each completed trial, and the
  // best-so-far line ends at the best value.
  const history = await seriesData(page, 'chart-history');
  const completed = history.find((s) => s.name === 'completed').data;
  assert.deepEqual(completed.map((d) => d[0]), single.completed.map((t) => t.id));
  completed.forEach((d, i) => assert.ok(close(d[1], single.completed[i].val_accuracy), `history of trial ${d[0]}`));
  const bestLine = history.find((s) => s.name === 'best so far').data;
  assert.equal(bestLine[bestLine.length - 1][1], single.best.val_accuracy);
  const stoppedPoint = history.find((s) => s.name === 'stopped / other').data;
  assert.deepEqual(stoppedPoint.map((d) => d.value), [[single.stopped[0].id, single.stopped[0].val_accuracy]]);

  // Learning curves: one line per trial that reported; stopped and failed ends marked.
  const curves = await seriesData(page, 'chart-curves');
  const lines = curves.filter((s) => s.type === 'lines').flatMap((s) => s.data);
  // (the failed trial reported once: a single point, drawn by its end marker)
  assert.deepEqual(lines.map((l) => l.trial).sort((a, b) => a - b),
    [...single.completed.map((t) => t.id), single.stopped[0].id].sort((a, b) => a - b));
  const bestCurve = lines.find((l) => l.trial === single.best.id);
  assert.equal(bestCurve.coords.length, 5);
  assert.ok(close(bestCurve.coords[4][1], single.best.val_accuracy));
  const stoppedEnds = curves.find((s) => s.type === 'scatter' && s.name === 'stopped').data;
  assert.deepEqual(stoppedEnds.map((d) => d.trial), [single.stopped[0].id]);
  const failedEnds = curves.find((s) => s.type === 'scatter' && s.name === 'failed').data;
  assert.deepEqual(failedEnds.map((d) => d.trial), [single.failed[0].id]);

  // Parallel coordinates: one line per completed trial, objective last.
  const parallel = await seriesData(page, 'chart-parallel');
  assert.equal(parallel[0].data.length, single.completed.length);
  const objs = parallel[0].data.map((row) => row[row.length - 1]).sort();
  assert.deepEqual(objs, single.completed.map((t) => t.val_accuracy).sort());

  // Importance: one bar per parameter, and the method is named.
  const importance = await seriesData(page, 'chart-importance');
  assert.equal(importance[0].data.length, 4);
  assert.match(await page.locator('#importance-method').textContent(), /variance/);
  // ... each with a whisker: the bootstrap interval the API gives.
  const apiImportance = (await getJson(`${url}api/studies/dash_e2e/importance`)).body;
  const whiskers = importance.find((s) => s.name === 'interval').data;
  assert.deepEqual(whiskers.map((w) => [w[0], w[1]]),
    apiImportance.parameters.slice().reverse().map((p) => [p.importance_low, p.importance_high]));
  assert.ok(apiImportance.parameters.every((p) => p.importance_low <= p.importance_high));
  assert.ok(apiImportance.parameters.some((p) => p.importance_high > p.importance_low), 'every interval is empty');
  assert.match(await page.locator('#importance-method').textContent(), /Whiskers: 10th-90th percentile over 200 bootstrap resamples/);

  // The table: every trial, with its stored numbers.
  const rows = page.locator('#trials-table tbody tr');
  await page.waitForFunction((n) => document.querySelectorAll('#trials-table tbody tr').length === n,
    single.completed.length + 2, { timeout: 10_000 });
  for (const t of single.completed) {
    const cell = page.locator(`#trials-table tr[data-trial="${t.id}"] td[data-key="metrics.val_accuracy"]`);
    assert.ok(close(Number(await cell.getAttribute('title')), t.val_accuracy), `table value of trial ${t.id}`);
    assert.equal(await cell.textContent(), shown(t.val_accuracy));
    const lr = page.locator(`#trials-table tr[data-trial="${t.id}"] td[data-key="params.learning_rate"]`);
    assert.equal(await lr.textContent(), shown(t.params.learning_rate));
  }
  // The table grows with the page (no inner scroll box), and a long reason
  // stays on one line, cut with an ellipsis, whole on hover.
  const wrap = await page.evaluate(() => {
    const w = document.querySelector('.table-wrap');
    return { maxHeight: getComputedStyle(w).maxHeight, scroll: w.scrollHeight, client: w.clientHeight };
  });
  assert.equal(wrap.maxHeight, 'none');
  assert.ok(wrap.scroll <= wrap.client + 1, `the table scrolls inside its box: ${JSON.stringify(wrap)}`);
  const stoppedRow = page.locator(`#trials-table tr[data-trial="${single.stopped[0].id}"]`);
  const rowBox = await stoppedRow.boundingBox();
  assert.ok(rowBox.height < 45, `the stopped row is ${rowBox.height} px tall`);
  const reason = stoppedRow.locator('td[data-key="reason"] .reason-text');
  assert.equal(await reason.getAttribute('title'), single.stopped[0].reason);
  assert.ok(await reason.evaluate((n) => n.scrollWidth > n.clientWidth && getComputedStyle(n).textOverflow === 'ellipsis'),
    'the long reason is not cut with an ellipsis');

  // Numeric axes follow the spec: an integer from its min to its max (not
  // from 0), a log-scaled double on a log axis.
  await page.selectOption('#slice-param', { label: 'input_buckets' });
  const intAxis = await page.evaluate(() => echarts.getInstanceByDom(document.getElementById('chart-slice')).getOption().xAxis[0]);
  assert.deepEqual([intAxis.type, intAxis.min, intAxis.max, intAxis.minInterval], ['value', 2, 16, 1]);
  await page.selectOption('#slice-param', { label: 'learning_rate' });
  const logAxis = await page.evaluate(() => echarts.getInstanceByDom(document.getElementById('chart-slice')).getOption().xAxis[0]);
  assert.deepEqual([logAxis.type, logAxis.min, logAxis.max], ['log', 1e-4, 0.3]);

  // Contour of two parameters: both axes follow the spec (log, integer,
  // categories), each completed trial a dot with its objective as colour.
  await page.waitForFunction(() => document.getElementById('chart-contour').dataset.rendered === 'chart', null, { timeout: 20_000 });
  await page.selectOption('#contour-x', { label: 'learning_rate' });
  await page.selectOption('#contour-y', { label: 'input_buckets' });
  const contourOpt = () => page.evaluate(() => {
    const o = echarts.getInstanceByDom(document.getElementById('chart-contour')).getOption();
    return { x: o.xAxis[0], y: o.yAxis[0], series: o.series.map((s) => ({ name: s.name, data: s.data })), vm: o.visualMap[0].dimension };
  });
  let contour = await contourOpt();
  assert.deepEqual([contour.x.type, contour.x.min, contour.x.max], ['log', 1e-4, 0.3]);
  assert.deepEqual([contour.y.type, contour.y.min, contour.y.max, contour.y.minInterval], ['value', 2, 16, 1]);
  assert.equal(contour.vm, 2, 'the colour is the objective');
  const dots = contour.series.find((s) => s.name === 'trials').data;
  assert.deepEqual(dots.map((d) => d[3]).sort((a, b) => a - b), single.completed.map((t) => t.id));
  for (const t of single.completed) {
    const d = dots.find((q) => q[3] === t.id);
    assert.deepEqual([d[0], d[1]], [t.params.learning_rate, t.params.input_buckets]);
    assert.ok(close(d[2], t.val_accuracy), `contour value of trial ${t.id}`);
  }
  const cells = contour.series.find((s) => s.name === 'interpolated').data;
  assert.equal(cells.length, 36 * 36);
  const lo = Math.min(...single.completed.map((t) => t.val_accuracy)), hi = Math.max(...single.completed.map((t) => t.val_accuracy));
  assert.ok(cells.every((c) => c[2] >= lo - 1e-9 && c[2] <= hi + 1e-9), 'an interpolated value outside the trials\' range');
  await page.selectOption('#contour-y', { label: 'optimizer' });
  contour = await contourOpt();
  assert.deepEqual([contour.y.type, contour.y.data], ['category', ['adam', 'sgd']]);

  // Empirical distribution: the share of completed trials at or below each value.
  await page.waitForFunction(() => document.getElementById('chart-edf').dataset.rendered === 'chart', null, { timeout: 20_000 });
  const edf = (await seriesData(page, 'chart-edf')).find((s) => s.name === 'completed').data;
  const sortedAcc = single.completed.map((t) => t.val_accuracy).sort((a, b) => a - b);
  assert.deepEqual(edf.map((d) => d[0]), sortedAcc);
  edf.forEach((d, j) => assert.ok(close(d[1], (j + 1) / sortedAcc.length), `EDF at ${d[0]}`));
  assert.match(await page.locator('#edf-note').textContent(), new RegExp(`^${single.completed.length} completed trials`));

  const failedRow = page.locator(`#trials-table tr[data-trial="${single.failed[0].id}"]`);
  assert.match(await failedRow.textContent(), /failed/);
  assert.match(await failedRow.textContent(), new RegExp(single.failed[0].reason));

  // Sorting by the objective (descending for maximize) puts the best first.
  await page.locator('#trials-table th[data-key="metrics.val_accuracy"]').click();
  await page.waitForFunction((id) => document.querySelector('#trials-table tbody tr')?.dataset.trial === String(id),
    single.best.id, { timeout: 10_000 });
  // Filtering: the server evaluates the expression.
  await page.fill('#table-filter', 'optimizer=sgd val_accuracy>=0.5');
  const sgd = single.completed.filter((t) => t.params.optimizer === 'sgd' && t.val_accuracy >= 0.5).length;
  await page.waitForFunction((n) => document.querySelectorAll('#trials-table tbody tr[data-trial]').length === n, sgd, { timeout: 10_000 });
  assert.match(await page.locator('#table-summary').textContent(), new RegExp(`of ${sgd} matching`));
  await page.fill('#table-filter', 'no_such_field>1');
  await page.locator('#table-error').waitFor({ state: 'visible', timeout: 10_000 });
  assert.match(await page.locator('#table-error').textContent(), /unknown field "no_such_field"/);
  await page.fill('#table-filter', '');
  await page.waitForFunction((n) => document.querySelectorAll('#trials-table tbody tr[data-trial]').length === n,
    single.completed.length + 2, { timeout: 10_000 });

  // A trial's details, with its logs (the files `tuner logs` reads, beside
  // the db), shown as text.
  const logDir = path.join(tmp, 'tuner_trials', 'dash_e2e', `trial-${single.best.id}`, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const chiefLog = 'epoch 1 loss=0.5\n<img src=x onerror=window.__xss=7> & done\n';
  fs.writeFileSync(path.join(logDir, 'chief-0.log'), chiefLog);
  fs.writeFileSync(path.join(logDir, 'worker-0.log'), 'worker says hi\n');
  await page.locator(`#trials-table tr[data-trial="${single.best.id}"]`).click();
  await page.locator('#drawer-body h3').waitFor({ timeout: 10_000 });
  assert.match(await page.locator('#drawer-body h3').textContent(), new RegExp(`Trial #${single.best.id}`));
  await page.waitForFunction(() => document.getElementById('logs-text')?.textContent.startsWith('epoch 1'), null, { timeout: 10_000 });
  assert.equal(await page.locator('#logs-text').textContent(), chiefLog);
  assert.deepEqual(await page.locator('#logs-rank option').allTextContents(), ['chief:0', 'worker:0']);
  await page.selectOption('#logs-rank', 'worker-0');
  await page.waitForFunction(() => document.getElementById('logs-text').textContent === 'worker says hi\n', null, { timeout: 10_000 });
  assert.equal(await page.evaluate(() => typeof window.__xss), 'undefined', 'a log line ran');
  assert.equal(await page.locator('#drawer-body img').count(), 0);
  await page.waitForFunction(() => document.getElementById('chart-trial')?.dataset.rendered === 'chart', null, { timeout: 10_000 });
  // The trial view has its own address.
  assert.equal(await page.evaluate(() => location.hash), `#/study/dash_e2e/trial/${single.best.id}`);
  const apiTrial = (await getJson(`${url}api/studies/dash_e2e/trials/${single.best.id}`)).body;
  assert.equal(await page.locator('#trial-origin').textContent(), `origin: ${apiTrial.origin || 'not recorded'} · 5 steps`);
  // Every measurement as a curve, one metric at a time (the objective first).
  assert.deepEqual(await page.locator('#trial-metric option').allTextContents(), ['val_accuracy', 'loss']);
  const trialAcc = (await seriesData(page, 'chart-trial'))[0];
  assert.equal(trialAcc.name, 'val_accuracy');
  assert.deepEqual(trialAcc.data.map((d) => d[0]), [1, 2, 3, 4, 5]);
  assert.ok(close(trialAcc.data[4][1], single.best.val_accuracy));
  await page.selectOption('#trial-metric', { label: 'loss' });
  const trialLoss = (await seriesData(page, 'chart-trial'))[0];
  assert.equal(trialLoss.name, 'loss');
  assert.deepEqual(trialLoss.data.map((d) => d[1]).map((v) => Number(v.toFixed(6))), [1, 0.5, 0.333333, 0.25, 0.2]);
  // Its recorded artifacts: path, kind, step, size, the start of the sha256.
  const art = single.artifact;
  const artRow = page.locator(`#trial-artifacts tr[data-path="${art.path}"]`);
  await artRow.waitFor({ timeout: 10_000 });
  const artCells = await artRow.locator('td').allTextContents();
  assert.deepEqual(artCells.slice(0, 5), [art.path, 'model', '0', '2.3 KiB', art.sha256.slice(0, 12)]);
  assert.equal(await artRow.locator('td').nth(4).getAttribute('title'), art.sha256);
  assert.equal(await artRow.locator('td').nth(3).getAttribute('title'), `${art.size} bytes`);
  await page.screenshot({ path: path.join(SHOTS, 'dashboard_e2e_trial.png') });
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => location.hash === '#/study/dash_e2e' && document.getElementById('drawer').hidden, null, { timeout: 10_000 });
  // Opened from its address alone (a fresh load), it shows the same trial.
  await page.goto('about:blank');
  await page.goto(`${url}#/study/dash_e2e/trial/${single.failed[0].id}`);
  await page.locator('#drawer-body h3').waitFor({ timeout: 20_000 });
  assert.match(await page.locator('#drawer-body h3').textContent(), new RegExp(`Trial #${single.failed[0].id} failed`));
  assert.equal(await page.locator('#trial-artifacts').textContent(), 'No artifacts recorded.');
  await page.goBack().catch(() => {});
  await page.goto(`${url}#/study/dash_e2e`);
  await page.waitForFunction(() => document.getElementById('drawer').hidden, null, { timeout: 10_000 });
  await page.waitForFunction((n) => document.querySelectorAll('#trials-table tbody tr[data-trial]').length === n,
    single.completed.length + 2, { timeout: 20_000 });

  await page.locator('#trials-table th[data-key="id"]').click();  // back to id order
  await screenshotPage(page, path.join(SHOTS, 'dashboard_e2e.png'));
  log('screenshot', path.join(SHOTS, 'dashboard_e2e.png'));

  // ---- live: a better trial arrives while the page is open, pushed by the
  // server's event stream (the slow safety poll is turned off to tell).
  const events = () => page.evaluate(() => {
    const { state, received, refreshes } = window.__dashboard.events;
    return { state, received, refreshes, last: window.__dashboard.lastRefresh };
  });
  await page.waitForFunction(() => window.__dashboard.events.state === 'open', null, { timeout: 10_000 });
  await page.evaluate(() => { window.__dashboard.pushedPollEvery = 1e9; });
  // Refreshes do not overlap: two asked for at once draw the study once (the
  // second finds its version drawn), so an older one cannot finish last.
  const overlap = await page.evaluate(async () => {
    const d = window.__dashboard;
    const redraws = d.redraws;
    d.version = null;
    await Promise.all([d.refresh('open'), d.refresh('event')]);
    return { redraws: d.redraws - redraws, cause: d.lastRefresh.cause };
  });
  assert.deepEqual(overlap, { redraws: 1, cause: 'open' });
  await page.evaluate(() => window.__dashboard.refresh('poll'));  // none in flight now
  const before = await events();
  assert.ok(before.received >= 1, 'the stream sends the current version first');
  const added = JSON.parse(await run(PYTHON, [fixture, endpoint, '--add-best']));
  await page.waitForFunction((v) => document.getElementById('best-value')?.textContent === v,
    shown(added.val_accuracy), { timeout: 15_000 });
  await page.waitForFunction((id) => document.querySelector(`#trials-table tr[data-trial="${id}"]`) !== null,
    added.id, { timeout: 15_000 });
  const after = await events();
  assert.ok(after.received > before.received, `no event arrived: ${JSON.stringify(after)}`);
  assert.ok(after.refreshes > before.refreshes);
  assert.equal(after.last.cause, 'event');
  assert.equal(after.last.version, (await getJson(`${url}api/studies/dash_e2e`)).body.version);
  assert.match(await page.locator('#live-text').textContent(), /live · (pushed by the server|updated)/);
  await page.evaluate(() => { window.__dashboard.pushedPollEvery = 15; });
  log('live update pushed: trial', added.id, `(${after.received} events)`);

  // ---- several objectives: the Pareto front
  await page.goto(`${url}#/study/dash_pareto`);
  await page.waitForFunction(() => document.getElementById('chart-pareto').dataset.rendered === 'chart', null, { timeout: 20_000 });
  const pareto = await seriesData(page, 'chart-pareto');
  const front = pareto.find((s) => s.name === 'Pareto front').data.map((d) => d[2]).sort((a, b) => a - b);
  assert.deepEqual(front, expected.pareto.front);
  assert.equal(await page.locator('#best-title').textContent(), `Pareto front · ${expected.pareto.front.length} trials`);
  await screenshotPage(page, path.join(SHOTS, 'dashboard_e2e_pareto.png'));

  // Five completed trials are too few for importance: the page says so.
  await page.waitForFunction(() => document.getElementById('chart-importance').dataset.rendered === 'empty', null, { timeout: 20_000 });
  assert.match(await page.locator('#chart-importance').textContent(), /Not enough data: 5 completed trials, importance needs at least 10/);

  // ---- Hyperband: the budget is not a hyperparameter, and results are
  // coloured by budget in the history.
  await page.goto(`${url}#/study/dash_hb`);
  await page.waitForFunction(() => document.getElementById('chart-importance').dataset.rendered === 'chart', null, { timeout: 20_000 });
  await page.waitForFunction(() => document.getElementById('chart-history').dataset.rendered === 'chart', null, { timeout: 20_000 });
  const hbImportance = await page.evaluate(() => echarts.getInstanceByDom(document.getElementById('chart-importance')).getOption().yAxis[0].data);
  assert.deepEqual([...hbImportance].sort(), ['layers', 'learning_rate']);
  assert.match(await page.locator('#importance-method').textContent(), /epochs \(the Hyperband budget\) is left out/);
  const hbHistory = await seriesData(page, 'chart-history');
  for (const [budget, ids] of Object.entries(expected.hyperband.budgets)) {
    const series = hbHistory.find((s) => s.name === `epochs=${budget}`);
    assert.ok(series, `no history series for epochs=${budget}: ${hbHistory.map((s) => s.name)}`);
    assert.deepEqual(series.data.map((d) => d[0]), ids);
  }
  assert.equal(hbHistory.find((s) => s.name === 'completed'), undefined);
  // The contour only compares trials at the largest budget.
  await page.waitForFunction(() => document.getElementById('chart-contour').dataset.rendered === 'chart', null, { timeout: 20_000 });
  const hbDots = (await seriesData(page, 'chart-contour')).find((s) => s.name === 'trials').data;
  assert.deepEqual(hbDots.map((d) => d[3]).sort((a, b) => a - b), expected.hyperband.budgets['9']);
  assert.match(await page.locator('#contour-note').textContent(), /Only the 4 trials at the largest budget, epochs=9/);
  // The EDF too: one curve per budget.
  await page.waitForFunction(() => document.getElementById('chart-edf').dataset.rendered === 'chart', null, { timeout: 20_000 });
  const hbEdf = await seriesData(page, 'chart-edf');
  assert.deepEqual(hbEdf.map((s) => s.name), ['epochs=1', 'epochs=3', 'epochs=9']);
  assert.deepEqual(hbEdf.map((s) => s.data.length), Object.values(expected.hyperband.budgets).map((ids) => ids.length));
  await screenshotPage(page, path.join(SHOTS, 'dashboard_e2e_hyperband.png'));

  // ---- a trial `tuner run` launched: its exact command, and its retry
  // (retry_trainer.py fails its first attempt; trainer.max_retries is 1).
  const runSpec = path.join(tmp, 'dash_run.json');
  fs.writeFileSync(runSpec, JSON.stringify({
    name: 'dash_run', objective: { metric: 'score', goal: 'maximize' }, algorithm: { name: 'random', seed: 1 },
    max_trials: 1, parameters: [{ name: 'x', type: 'double', min: 0, max: 1 }],
    trainer: { command: [PYTHON, path.join(here, 'retry_trainer.py')], max_retries: 1 },
  }));
  await run(TUNER, ['run', runSpec, '--server', endpoint, '--output-dir', path.join(tmp, 'run_out')]);
  const ranTrial = (await getJson(`${url}api/studies/dash_run/trials/1`)).body;
  assert.match(ranTrial.command, /retry_trainer\.py --x=/);
  await page.goto(`${url}#/study/dash_run/trial/1`);
  await page.locator('#trial-attempts').waitFor({ timeout: 20_000 });
  assert.equal(await page.locator('#trial-command .cmd-text').textContent(), ranTrial.command);
  const attempts = await page.locator('#trial-attempts tr.attempt td').allTextContents();
  assert.deepEqual(attempts.slice(0, 4), ['1', 'failed', '1', '1']);
  assert.match(attempts[5], /exit(ed)? .*3|code 3/);
  assert.match(await page.locator('#drawer-body').textContent(), /Attempts \(2\)/);
  await page.screenshot({ path: path.join(SHOTS, 'dashboard_e2e_attempts.png') });

  // ---- a warm-started study: its first trial links to the earlier best.
  const warmSpec = path.join(tmp, 'dash_warm.json');
  fs.writeFileSync(warmSpec, JSON.stringify({
    name: 'dash_warm', objective: { metric: 'score', goal: 'maximize' }, algorithm: { name: 'random', seed: 2 },
    max_trials: 1, warm_start: { studies: ['dash_run'] }, parameters: [{ name: 'x', type: 'double', min: 0, max: 2 }],
    trainer: { command: [PYTHON, path.join(here, 'retry_trainer.py')], max_retries: 1 },
  }));
  await run(TUNER, ['run', warmSpec, '--server', endpoint, '--output-dir', path.join(tmp, 'run_out')]);
  const warmTrial = (await getJson(`${url}api/studies/dash_warm/trials/1`)).body;
  assert.equal(warmTrial.origin, 'warm_start:dash_run#1');
  assert.equal(warmTrial.params.x, ranTrial.params.x);
  await page.goto(`${url}#/study/dash_warm/trial/1`);
  await page.locator('#trial-origin-link').waitFor({ timeout: 20_000 });
  assert.match(await page.locator('#trial-origin').textContent(), /^origin: warm_start:dash_run#1 · \d+ steps$/);
  await page.locator('#trial-origin-link').click();
  await page.waitForFunction(() => location.hash === '#/study/dash_run/trial/1', null, { timeout: 20_000 });
  await page.waitForFunction(() => document.querySelector('#drawer-body h3')?.textContent.startsWith('Trial #1 '),
    null, { timeout: 20_000 });

  // ---- a retry of an interrupted (STALE) trial names and links to it.
  await run(PYTHON, ['-c', `
import sys, tuner_client
from tuner_client.client import pb
c = tuner_client.Client(sys.argv[1])
c.create_study({"name": "dash_retry", "objective": {"metric": "score", "goal": "maximize"},
                "max_trials": 3, "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})
t = c.suggest("dash_retry", 1, client_id="a")[0]
c._call("CompleteTrial", pb.CompleteTrialRequest(study="dash_retry", trial_id=t.id,
                                                 interrupted_reason="interrupted: dashboard test"))
r = c.suggest("dash_retry", 1, client_id="b")[0]
assert (r.origin, r.retry_of) == ("retry", t.id), (r.origin, r.retry_of)
c.complete_trial("dash_retry", r.id, {"score": 1.0})
`, endpoint], { PYTHONPATH: path.join(repo, 'clients/python') });
  await page.goto(`${url}#/study/dash_retry/trial/2`);
  await page.locator('#trial-origin-link').waitFor({ timeout: 20_000 });
  assert.match(await page.locator('#trial-origin').textContent(), /^origin: retry of 1 · \d+ steps$/);
  assert.match(await page.locator('#trial-origin-link').getAttribute('href'), /#\/study\/dash_retry\/trial\/1$/);
  await page.locator('#trials-table tr[data-trial="2"]', { hasText: 'retry of 1' }).waitFor({ timeout: 20_000 });

  // ---- PBT: a copy's page shows its lineage, its parent's the copies made.
  const pbtSpec = JSON.parse(fs.readFileSync(path.join(repo, 'examples/pbt-toy/study.json'), 'utf8'));
  pbtSpec.name = 'dash_pbt';
  pbtSpec.trainer.command = [PYTHON, path.join(repo, 'examples/pbt-toy/train.py')];
  pbtSpec.trainer.env = { PBT_TOY_STEPS: '16', PBT_TOY_PAUSE_S: '0.1',
    PBT_TOY_BARRIER: `${path.join(tmp, 'pbt_barrier')}:${pbtSpec.algorithm.population}` };
  fs.writeFileSync(path.join(tmp, 'dash_pbt.json'), JSON.stringify(pbtSpec));
  await run(TUNER, ['run', path.join(tmp, 'dash_pbt.json'), '--server', endpoint, '--output-dir', path.join(tmp, 'pbt_out')]);
  const pbtTrials = (await getJson(`${url}api/studies/dash_pbt/trials?limit=1000`)).body.trials;
  const copyRow = pbtTrials.find((t) => t.parent_trial);
  assert.ok(copyRow, `no PBT copy among ${JSON.stringify(pbtTrials.map((t) => [t.id, t.state, t.reason]))}`);
  const copy = (await getJson(`${url}api/studies/dash_pbt/trials/${copyRow.id}`)).body;
  assert.equal(copy.schedule.at(-1).trial, copy.id);
  assert.equal(copy.schedule.at(-2).trial, copy.parent_trial);
  await page.goto(`${url}#/study/dash_pbt/trial/${copy.id}`);
  await page.locator('#trial-lineage').waitFor({ timeout: 20_000 });
  const lineageRows = await page.locator('#trial-lineage tr.schedule').evaluateAll(
    (rows) => rows.map((r) => [...r.children].slice(0, 2).map((td) => td.textContent)));
  assert.deepEqual(lineageRows, copy.schedule.map((e) => [String(e.from_step), `#${e.trial}`]));
  assert.equal(await page.locator(`#trial-lineage a[href$="/trial/${copy.parent_trial}"]`).count(), 1);
  assert.match(await page.locator('#trial-origin').textContent(), /^origin: pbt/);
  await page.screenshot({ path: path.join(SHOTS, 'dashboard_e2e_lineage.png') });
  await page.goto(`${url}#/study/dash_pbt/trial/${copy.parent_trial}`);
  // The copy may have copies of its own: wait for the parent's page, not the
  // copy's children.
  await page.waitForFunction((id) => document.querySelector('#drawer-body h3')?.textContent.startsWith(`Trial #${id} `),
    copy.parent_trial, { timeout: 20_000 });
  await page.locator('#trial-children').waitFor({ timeout: 20_000 });
  assert.match(await page.locator('#trial-children').textContent(), new RegExp(`#${copy.id} at step ${copy.parent_step}`));

  // ---- payloads: nothing a study carries may run in the page
  await checkNoXss(page, expected.xss, dialogs);

  assert.deepEqual(outside, [], 'the page loaded something from outside the server');
  assert.deepEqual(pageErrors, [], 'the page logged errors');
  clearTimeout(watchdog);
}

try {
  await main();
  await stopAll();
  console.log('dashboard e2e: 1 passed, 0 failed');
} catch (e) {
  console.error(e);
  if (pageErrors.length) console.error('page errors:', pageErrors);
  if (page) {
    const shot = path.join(SHOTS, 'dashboard_e2e_failure.png');
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.error('screenshot of the failure:', shot);
  }
  await stopAll();
  console.log('dashboard e2e: 0 passed, 1 failed');
  process.exit(1);
}
