// How long the dashboard takes to render a large study's page, in headless
// Chromium: starts `tuner serve --http` on a fresh db, fills study dash_e2e
// with N trials (tests/e2e/dashboard_study.py --trials N: 5 intermediate
// values each), then loads #/study/dash_e2e LOADS times in a fresh page and
// measures, from navigation to the moment each is drawn: the first chart, every
// chart of the study page, and the trials table's first page. Prints a table
// and the medians. A benchmark, not a test: nothing here asserts a time.
//
//   TUNER_BIN=build/tuner PYTHONPATH=clients/python \
//   node bench/dashboard_render.mjs [--trials 10000] [--loads 7]
//
// Chromium: $CHROMIUM or /usr/bin/chromium; playwright-core from
// dashboard/node_modules (as tests/e2e/dashboard_test.mjs).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const require = createRequire(path.join(repo, 'dashboard/package.json'));
const { chromium } = require('playwright-core');

const TUNER = process.env.TUNER_BIN || path.join(repo, 'build/tuner');
const PYTHON = process.env.PYTHON || '/usr/bin/python3';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const argv = process.argv.slice(2);
const opt = (name, def) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? Number(argv[i + 1]) : def; };
const TRIALS = opt('trials', 10000);
const LOADS = opt('loads', 7);
const CHARTS = ['chart-history', 'chart-curves', 'chart-importance', 'chart-parallel', 'chart-slice', 'chart-contour', 'chart-edf'];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tuner-dashboard-bench-'));
const children = [];

function startServer() {
  const child = spawn(TUNER, ['serve', '--db', path.join(tmp, 'study.db'), '--listen', '127.0.0.1:0',
    '--http', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.on('exit', (code) => reject(new Error(`tuner serve exited with ${code}`)));
    child.stdout.on('data', (d) => {
      out += d;
      const grpc = out.match(/listening on (\S+)/), url = out.match(/dashboard: (\S+)/);
      if (grpc && url) resolve({ endpoint: grpc[1], url: url[1] });
    });
  });
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd}: exit ${code}`))));
  });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

async function main() {
  const { endpoint, url } = await startServer();
  const t0 = Date.now();
  await run(PYTHON, [path.join(repo, 'tests/e2e/dashboard_study.py'), endpoint, '--trials', String(TRIALS)]);
  console.log(`filled ${TRIALS} trials in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const rows = [];
  for (let i = 0; i < LOADS; i++) {
    const page = await context.newPage();
    await page.goto('about:blank');
    const start = Date.now();
    await page.goto(`${url}#/study/dash_e2e`);
    // Polled from inside the page, every animation frame: the time (since
    // navigation start) at which each part is drawn.
    const times = await page.evaluate((charts) => new Promise((resolve) => {
      const seen = {};
      const tick = () => {
        const now = performance.now();
        for (const id of charts) {
          const n = document.getElementById(id);
          if (!(id in seen) && n && n.dataset.rendered && n.dataset.rendered !== 'loading') seen[id] = now;
        }
        if (!('table' in seen) && document.querySelectorAll('#trials-table tbody tr[data-trial]').length) seen.table = now;
        if (Object.keys(seen).length === charts.length + 1) resolve(seen);
        else requestAnimationFrame(tick);
      };
      tick();
    }), CHARTS);
    const wall = Date.now() - start;
    const firstChart = Math.min(...CHARTS.map((id) => times[id]));
    const allCharts = Math.max(...CHARTS.map((id) => times[id]));
    rows.push({ load: i + 1, first_chart_ms: Math.round(firstChart), all_charts_ms: Math.round(allCharts),
      table_ms: Math.round(times.table), page_ms: Math.round(Math.max(allCharts, times.table)), wall_ms: wall });
    await page.close();
  }
  await browser.close();
  console.log(`\ndashboard page of a ${TRIALS}-trial study (ms since navigation start, headless Chromium, ${os.cpus().length} CPUs)`);
  console.table(rows);
  const keys = ['first_chart_ms', 'all_charts_ms', 'table_ms', 'page_ms'];
  console.log('median: ' + keys.map((k) => `${k}=${median(rows.map((r) => r[k]))}`).join('  '));
}

try {
  await main();
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  fs.rmSync(tmp, { recursive: true, force: true });
}
