// Keisei dashboard: a small single-page app over the read-only JSON API (/api/...), written for Keisei without
// libraries. Pages: runs, run curves, ratings, champion, evaluations, evaluation, game viewer. Live updates arrive by
// server-sent events (/api/runs/{run}/events).
'use strict';

const $main = document.getElementById('main');
const $crumbs = document.getElementById('crumbs');
const $live = document.getElementById('live');
let pageToken = 0;          // bumped on every navigation; stale async work checks it
let stream = null;          // the open EventSource, at most one
let onLive = null;          // the page's handler of live events
let keyHandler = null;      // the page's keyboard handler

// ---------- small helpers ----------

/** Creates an element: h('td', {class: 'num'}, 'text', child, ...). Text is always set as text, never as HTML. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}
const svgNs = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...children) {
  const el = document.createElementNS(svgNs, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}
async function api(path) {
  const response = await fetch(path, { headers: { Accept: 'application/json' } });
  const body = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
  if (!response.ok) throw new Error(body.error || `${response.status} ${response.statusText}`);
  return body;
}
const enc = encodeURIComponent;
function fmt(v, digits = 3) { return v === null || v === undefined || Number.isNaN(v) ? '–' : Number(v).toFixed(digits); }
function signed(v, digits = 0) { return v === null || v === undefined ? '–' : (v > 0 ? '+' : '') + Number(v).toFixed(digits); }
function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  const t = Math.round(seconds), hh = Math.floor(t / 3600), mm = Math.floor(t / 60) % 60, ss = t % 60;
  return `${hh}:${String(mm).padStart(2, '0')}:${String(ss).padStart(2, '0')}`;
}
function words(text) { return text ? String(text).replaceAll('_', ' ') : '–'; }
function when(iso) { return iso ? new Date(iso).toLocaleString() : '–'; }
function fileName(path) { return path ? path.split(/[\\/]/).pop() : '–'; }
function showError(e) { $main.replaceChildren(h('p', { class: 'error' }, String(e.message || e))); }

function setCrumbs(run, tab) {
  const links = [h('a', { href: '#/', class: run ? null : 'active' }, 'Runs')];
  if (run) links.push(h('a', { href: `#/run/${enc(run)}`, class: 'active' }, run));
  $crumbs.replaceChildren(...links);
}
function runTabs(run, active) {
  const tabs = [['curves', 'Curves', ''], ['ratings', 'Ratings', '/ratings'], ['champion', 'Champion', '/champion'], ['evaluations', 'Evaluations', '/evaluations']];
  return h('div', { class: 'tabs' }, tabs.map(([id, label, path]) => h('a', { href: `#/run/${enc(run)}${path}`, class: id === active ? 'active' : null }, label)));
}

// ---------- live updates ----------

function openStream(run, since, handler) {
  closeStream();
  onLive = handler;
  const url = `/api/runs/${enc(run)}/events` + (since !== undefined ? `?since=${since}` : '');
  stream = new EventSource(url);
  stream.onopen = () => { $live.className = 'live on'; };
  stream.onerror = () => { $live.className = 'live off'; };
  for (const type of ['state', 'metrics', 'db']) {
    stream.addEventListener(type, ev => {
      $live.className = 'live on';
      if (onLive) onLive(type, JSON.parse(ev.data));
    });
  }
}
function closeStream() {
  if (stream) stream.close();
  stream = null;
  onLive = null;
  $live.className = 'live off';
}

// ---------- charts (canvas, drawn here) ----------

const palette = ['#2f6fdb', '#e4572e', '#17a398', '#f2a541', '#8e44ad', '#6b7280', '#c62828', '#1a7f37'];
const tip = document.body.appendChild(h('div', { class: 'tip' }));

function niceTicks(lo, hi, count) {
  if (!(hi > lo)) { hi = lo + 1; lo = lo - 1; }
  const raw = (hi - lo) / count, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(m => m * mag).find(x => x >= raw) || 10 * mag;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}
function tickLabel(v, axis) {
  if (axis === 'time') return duration(v);
  const a = Math.abs(v);
  if (a >= 1e6) return Number((v / 1e6).toPrecision(4)) + 'M';
  if (a >= 1e3) return Number((v / 1e3).toPrecision(4)) + 'k';
  if (a !== 0 && a < 1e-2) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

/**
 * A line chart. series: [{name, xs, ys, lo?, hi?}] (lo/hi: a band, e.g. a 95 % interval). Redraw with chart.draw(series).
 * axisOf() names the x-axis now ('step', 'time', 'games'), for the tick labels.
 */
function lineChart(title, axisOf) {
  const canvas = h('canvas');
  const legend = h('div', { class: 'legend' });
  const box = h('div', { class: 'chart', 'data-title': title }, h('h3', {}, title), canvas, legend);
  let current = [];
  let geometry = null;
  function draw(series) {
    current = series;
    const points = series.reduce((n, x) => n + x.xs.length, 0);
    box.setAttribute('data-points', points);
    box.setAttribute('data-series', series.filter(x => x.xs.length > 0).length);
    const dpr = window.devicePixelRatio || 1, w = canvas.clientWidth || 400, hgt = canvas.clientHeight || 220;
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(hgt * dpr);
    const g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, hgt);
    legend.replaceChildren(...series.map((x, i) => h('span', {}, h('i', { style: `background:${palette[i % palette.length]}` }), x.name)));
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const x of series) for (let i = 0; i < x.xs.length; i++) {
      const y = x.ys[i]; if (y === null) continue;
      x0 = Math.min(x0, x.xs[i]); x1 = Math.max(x1, x.xs[i]);
      y0 = Math.min(y0, x.lo ? x.lo[i] ?? y : y); y1 = Math.max(y1, x.hi ? x.hi[i] ?? y : y);
    }
    const L = 52, R = 10, T = 8, B = 22, pw = w - L - R, ph = hgt - T - B;
    g.font = '11px system-ui, sans-serif'; g.fillStyle = '#6b7280'; g.strokeStyle = '#e5e7eb'; g.lineWidth = 1;
    if (!Number.isFinite(x0)) { g.fillText('no data yet', L + 8, T + 20); geometry = null; return; }
    if (x1 === x0) { x1 = x0 + 1; }
    if (y1 === y0) { y1 = y0 + Math.max(1e-9, Math.abs(y0) * 0.05 || 1); y0 = y0 - (y1 - y0); }
    const pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad;
    const X = v => L + (v - x0) / (x1 - x0) * pw, Y = v => T + (1 - (v - y0) / (y1 - y0)) * ph;
    for (const t of niceTicks(y0, y1, 4)) { g.beginPath(); g.moveTo(L, Y(t)); g.lineTo(L + pw, Y(t)); g.stroke(); g.fillText(tickLabel(t), 4, Y(t) + 4); }
    for (const t of niceTicks(x0, x1, 5)) { const px = X(t); if (px < L || px > L + pw) continue; g.fillText(tickLabel(t, axisOf()), px - 14, hgt - 6); }
    series.forEach((x, k) => {
      const color = palette[k % palette.length];
      if (x.lo && x.hi) {
        g.fillStyle = color + '33'; g.beginPath();
        let started = false;
        for (let i = 0; i < x.xs.length; i++) if (x.hi[i] !== null) { started ? g.lineTo(X(x.xs[i]), Y(x.hi[i])) : g.moveTo(X(x.xs[i]), Y(x.hi[i])); started = true; }
        for (let i = x.xs.length - 1; i >= 0; i--) if (x.lo[i] !== null) g.lineTo(X(x.xs[i]), Y(x.lo[i]));
        g.closePath(); g.fill();
      }
      g.strokeStyle = color; g.lineWidth = 1.5; g.beginPath();
      let pen = false;
      for (let i = 0; i < x.xs.length; i++) {
        if (x.ys[i] === null) { pen = false; continue; }
        pen ? g.lineTo(X(x.xs[i]), Y(x.ys[i])) : g.moveTo(X(x.xs[i]), Y(x.ys[i]));
        pen = true;
      }
      g.stroke();
      if (x.xs.length < 60) { g.fillStyle = color; for (let i = 0; i < x.xs.length; i++) if (x.ys[i] !== null) { g.beginPath(); g.arc(X(x.xs[i]), Y(x.ys[i]), 2, 0, 7); g.fill(); } }
    });
    geometry = { L, pw, x0, x1 };
  }
  canvas.addEventListener('mousemove', ev => {
    if (!geometry) return;
    const rect = canvas.getBoundingClientRect();
    const xv = geometry.x0 + (ev.clientX - rect.left - geometry.L) / geometry.pw * (geometry.x1 - geometry.x0);
    const lines = [];
    for (const x of current) {
      let best = -1, dist = Infinity;
      for (let i = 0; i < x.xs.length; i++) { const d = Math.abs(x.xs[i] - xv); if (d < dist) { dist = d; best = i; } }
      if (best >= 0) lines.push(`${x.name}: ${fmt(x.ys[best], 4)} @ ${tickLabel(x.xs[best], axisOf())}`);
    }
    tip.textContent = lines.join('\n'); tip.style.display = 'block';
    tip.style.left = (ev.clientX + 12) + 'px'; tip.style.top = (ev.clientY + 12) + 'px';
  });
  canvas.addEventListener('mouseleave', () => { tip.style.display = 'none'; });
  return { el: box, draw, redraw: () => draw(current) };
}

// ---------- pages ----------

async function runsPage(token) {
  setCrumbs(null);
  const data = await api('/api/runs');
  if (token !== pageToken) return;
  const rows = data.runs.map(r => h('tr', { 'data-run': r.name },
    h('td', {}, h('a', { href: `#/run/${enc(r.name)}` }, r.name)),
    h('td', { class: r.status === 'active' ? 'status-running' : 'muted' }, r.status),
    h('td', { class: 'num' }, r.steps ?? '–'),
    h('td', { class: 'num' }, duration(r.elapsed_s)),
    h('td', { class: 'num' }, r.games ?? '–'),
    h('td', { class: 'num' }, fmt(r.scores.random?.score)),
    h('td', { class: 'num' }, fmt(r.scores.heuristic?.score)),
    h('td', {}, r.champion ? `${r.champion.name} (${r.champion.timesteps})` : '–'),
    h('td', { class: 'num' }, `${r.evaluations}${r.running_evaluations ? ` (${r.running_evaluations} running)` : ''}`),
    h('td', {}, when(r.last_activity))));
  $main.replaceChildren(h('h1', {}, 'Runs'), h('p', { class: 'muted' }, data.runs_root),
    rows.length === 0 ? h('p', {}, 'No runs in this folder yet.') :
      h('table', { id: 'runs' }, h('tr', {}, ['run', 'status', 'steps', 'time', 'games', 'vs random', 'vs heuristic', 'champion', 'evaluations', 'last activity'].map(t => h('th', {}, t))), rows));
  setTimeout(() => { if (token === pageToken) runsPage(token).catch(showError); }, 10000);
}

/** The charts of a run page: title, tags, and an optional band from a ±CI tag. */
const chartGroups = [
  ['Losses', ['ppo/policy_loss', 'ppo/value_loss']],
  ['Entropy', ['ppo/entropy']],
  ['KL and clipping', ['ppo/kl_divergence_approx', 'ppo/clip_fraction']],
  ['Self-play results', ['selfplay/black_win_rate', 'selfplay/white_win_rate', 'selfplay/draw_rate']],
  ['Game length (plies)', ['selfplay/episode_length']],
  ['Throughput', ['perf/samples_per_second', 'perf/plies_per_second']],
  ['Evaluation score', ['evaluation/score', 'evaluation/vs_random/score', 'evaluation/vs_heuristic/score']],
  ['Evaluation Elo ± 95 %', ['evaluation/elo'], { 'evaluation/elo': 'evaluation/elo_ci95' }],
  ['Training impact', ['evaluation/training_impact', 'evaluation/training_impact_sample']],
  ['SLA violations', ['evaluation/sla_violations']],
  ['Learning rate', ['ppo/learning_rate']],
];

async function runPage(token, run) {
  setCrumbs(run);
  const [summary, metrics] = await Promise.all([api(`/api/runs/${enc(run)}`), api(`/api/runs/${enc(run)}/metrics`)]);
  if (token !== pageToken) return;
  let series = metrics.series;       // tag -> {row, step, time, games, value}
  let cursor = metrics.rows;
  let axis = 'step', zoom = 'all';
  const head = h('div', { class: 'kv card', id: 'summary' });
  function showSummary(r) {
    head.replaceChildren(
      h('dt', {}, 'status'), h('dd', {}, r.status),
      h('dt', {}, 'steps'), h('dd', { id: 'steps' }, r.steps ?? '–'),
      h('dt', {}, 'time'), h('dd', {}, duration(r.elapsed_s)),
      h('dt', {}, 'self-play games'), h('dd', {}, r.games ?? '–'),
      h('dt', {}, 'champion'), h('dd', {}, r.champion ? `${r.champion.name} (${r.champion.timesteps} steps)` : '–'),
      h('dt', {}, 'metric rows'), h('dd', { id: 'rows' }, r.metric_rows),
      ...(r.metric_problems?.length ? [h('dt', {}, 'unreadable lines'), h('dd', { class: 'error' }, r.metric_problems.join('\n'))] : []),
      ...(r.schema_note ? [h('dt', {}, 'database'), h('dd', { id: 'schema-note' }, r.schema_note)] : []));
  }
  showSummary(summary);
  const axisSelect = h('select', { id: 'axis', onchange: e => { axis = e.target.value; draw(); } },
    h('option', { value: 'step' }, 'training steps'), h('option', { value: 'time' }, 'wall time'), h('option', { value: 'games' }, 'self-play games'));
  const zoomSelect = h('select', { id: 'zoom', onchange: e => { zoom = e.target.value; draw(); } },
    h('option', { value: 'all' }, 'whole run'), h('option', { value: '0.25' }, 'last 25 %'), h('option', { value: '0.05' }, 'last 5 %'), h('option', { value: '200' }, 'last 200 rows'));
  const known = new Set(chartGroups.flatMap(g => [...g[1], ...Object.values(g[2] || {})]));
  const extra = h('select', { id: 'extra', onchange: e => { if (e.target.value) { addChart(e.target.value, [e.target.value]); e.target.value = ''; draw(); } } },
    h('option', { value: '' }, 'add a chart…'), summary.tags.filter(t => !known.has(t)).map(t => h('option', { value: t }, t)));
  const grid = h('div', { class: 'charts', id: 'charts' });
  const charts = [];
  function addChart(title, tags, bands) { const c = lineChart(title, () => axis); c.tags = tags; c.bands = bands || {}; charts.push(c); grid.append(c.el); }
  for (const [title, tags, bands] of chartGroups) if (tags.some(t => series[t])) addChart(title, tags, bands);

  // Zoomed views ask the server for the recent rows at full resolution (up to 2,000 points per tag).
  let zoomed = null;
  async function fetchZoom() {
    const z = zoom;
    const from = z.includes('.') ? Math.floor(cursor * (1 - Number(z))) : Math.max(0, cursor - Number(z));
    const part = await api(`/api/runs/${enc(run)}/metrics?from=${from}&points=2000`);
    if (zoom === z && token === pageToken) { zoomed = { from, series: part.series }; render(); }
  }
  function draw() { if (zoom === 'all') { zoomed = null; render(); } else fetchZoom().catch(showError); }
  function render() {
    const source = zoomed ? zoomed.series : series;
    for (const c of charts) {
      c.draw(c.tags.filter(t => source[t]).map(t => {
        const d = source[t], band = c.bands[t] && source[c.bands[t]];
        const out = { name: t, xs: d[axis], ys: d.value };
        if (band) {
          const ci = new Map(band.row.map((row, i) => [row, band.value[i]]));
          out.lo = d.row.map((row, i) => ci.has(row) && d.value[i] !== null ? d.value[i] - ci.get(row) : null);
          out.hi = d.row.map((row, i) => ci.has(row) && d.value[i] !== null ? d.value[i] + ci.get(row) : null);
        }
        return out;
      }));
    }
  }
  $main.replaceChildren(h('h1', {}, run), runTabs(run, 'curves'), head,
    h('div', { class: 'controls' }, h('label', {}, 'x-axis ', axisSelect), h('label', {}, 'range ', zoomSelect), extra), grid);
  render();
  window.onresize = () => charts.forEach(c => c.redraw());

  openStream(run, cursor, (type, data) => {
    if (token !== pageToken) return;
    if (type === 'metrics') {
      for (const [tag, d] of Object.entries(data.series)) {
        const into = series[tag] || (series[tag] = { row: [], step: [], time: [], games: [], value: [] });
        for (const k of ['row', 'step', 'time', 'games', 'value']) into[k].push(...d[k]);
        if (!charts.some(c => c.tags.includes(tag))) {
          const group = chartGroups.find(g => g[1].includes(tag));
          if (group) addChart(group[0], group[1], group[2]);
        }
      }
      cursor = data.rows;
      document.getElementById('rows').textContent = data.total_rows;
      const steps = series['ppo/policy_loss']?.step;
      if (steps?.length) document.getElementById('steps').textContent = steps[steps.length - 1];
      if (zoom === 'all') render(); else fetchZoom().catch(showError);
    } else if (type === 'db') {
      api(`/api/runs/${enc(run)}`).then(r => { if (token === pageToken) showSummary(r); }).catch(() => {});
    }
  });
}

async function ratingsPage(token, run) {
  setCrumbs(run);
  const data = await api(`/api/runs/${enc(run)}/ratings`);
  if (token !== pageToken) return;
  const ladder = h('table', { id: 'ladder' },
    h('tr', {}, ['#', 'player', 'rating', '± 95 %', 'games', 'score', 'LOS vs next', 'rated'].map(t => h('th', { class: t === 'player' ? null : 'num' }, t))),
    data.players.map((p, i) => h('tr', { 'data-player': p.name },
      h('td', { class: 'num' }, i + 1), h('td', {}, p.name), h('td', { class: 'num' }, fmt(p.rating, 0)), h('td', { class: 'num' }, fmt(p.ci95, 0)),
      h('td', { class: 'num' }, p.games), h('td', { class: 'num' }, fmt(p.score)), h('td', { class: 'num' }, p.los_vs_next === null ? '–' : fmt(p.los_vs_next * 100, 1) + ' %'),
      h('td', { class: p.rated ? 'num' : 'num muted' }, p.rated ? 'rated' : 'regularised'))));
  const over = lineChart('Rating over checkpoints (± 95 %)', () => 'step');
  const names = data.head_to_head.players;
  const matrix = h('table', { class: 'matrix', id: 'matrix' },
    h('tr', {}, h('th', {}, 'row vs column (W-D-L)'), names.map(n => h('th', {}, n))),
    names.map((n, i) => h('tr', {}, h('th', {}, n), data.head_to_head.results[i].map(c => {
      if (!c) return h('td', { class: 'muted' }, '·');
      const games = c.wins + c.draws + c.losses, score = (c.wins + c.draws / 2) / games;
      return h('td', { style: `background: hsl(${Math.round(score * 120)}, 60%, 88%)`, title: `score ${fmt(score)}` }, `${c.wins}-${c.draws}-${c.losses}`);
    }))));
  $main.replaceChildren(h('h1', {}, run), runTabs(run, 'ratings'),
    h('p', { class: 'muted' }, `Bradley–Terry over ${data.games} games, ${data.anchor ? data.anchor + ' held at 1500' : 'pool mean 1500'}; checkpoints in series.`),
    data.players.length ? ladder : h('p', {}, 'No rated games yet.'),
    h('h2', {}, 'Rating over checkpoints'), over.el,
    h('h2', {}, 'Head to head'), names.length ? h('div', { style: 'overflow:auto' }, matrix) : h('p', {}, '–'));
  const cps = data.checkpoints;
  over.draw([{ name: 'rating', xs: cps.map(c => c.timesteps), ys: cps.map(c => c.rating),
    lo: cps.map(c => c.ci95 === null ? null : c.rating - c.ci95), hi: cps.map(c => c.ci95 === null ? null : c.rating + c.ci95) }]);
  openStream(run, undefined, type => { if (type === 'db' && token === pageToken) ratingsPage(token, run).catch(showError); });
}

function evidenceText(e) {
  if (e === null || e === undefined) return '–';
  if (typeof e === 'string') return e;
  if (e.reason) return e.reason;
  const parts = [];
  if (e.mode) parts.push(`gate ${e.mode}`);
  if (e.evaluation_id) parts.push(`evaluation ${e.evaluation_id}`);
  if (e.status) parts.push(words(e.status));
  if (e.wins !== undefined) parts.push(`${e.wins}-${e.draws}-${e.losses}`);
  if (e.score !== undefined && e.score !== null) parts.push(`score ${fmt(e.score)}`);
  if (e.elo !== undefined && e.elo !== null) parts.push(`Elo ${signed(e.elo)}`);
  if (e.llr !== undefined && e.llr !== null) parts.push(`LLR ${fmt(e.llr, 2)}`);
  return parts.join(', ');
}

function evaluationRows(run, list) {
  return [h('tr', {}, ['id', 'status', 'agent', 'opponents', 'games', 'W-D-L', 'score', 'Elo ± 95 %', 'LLR [lower, upper]', 'started'].map(t => h('th', {}, t))),
    list.map(e => h('tr', { 'data-evaluation': e.id },
      h('td', {}, h('a', { href: `#/run/${enc(run)}/evaluations/${e.id}` }, e.id)),
      h('td', { class: e.status === 'running' ? 'status-running' : null }, words(e.status)),
      h('td', {}, e.agent), h('td', {}, e.opponents.join(', ')),
      h('td', { class: 'num' }, `${e.played_games}/${e.planned_games}`),
      h('td', { class: 'num' }, `${e.wins}-${e.draws}-${e.losses}`),
      h('td', { class: 'num' }, fmt(e.score)),
      h('td', { class: 'num' }, e.elo === null ? '–' : `${signed(e.elo)} ± ${fmt(e.elo_ci95, 0)}`),
      h('td', { class: 'num' }, e.sprt ? `${fmt(e.sprt.llr, 2)} [${fmt(e.sprt.lower, 2)}, ${fmt(e.sprt.upper, 2)}]` : '–'),
      h('td', {}, when(e.created_at))))];
}

async function championPage(token, run) {
  setCrumbs(run);
  const data = await api(`/api/runs/${enc(run)}/champion`);
  if (token !== pageToken) return;
  $main.replaceChildren(h('h1', {}, run), runTabs(run, 'champion'),
    h('div', { class: 'card', id: 'current-champion' }, data.champion ? `Champion: ${data.champion.name} (${data.champion.timesteps} steps), since ${when(data.champion.promoted_at)} — ${evidenceText(data.champion.evidence)}` : 'No champion yet.'),
    h('h2', {}, 'Promotions'),
    h('table', { id: 'history' }, h('tr', {}, ['#', 'checkpoint', 'steps', 'status', 'promoted', 'reason / evidence'].map(t => h('th', {}, t))),
      data.history.map((c, i) => h('tr', {}, h('td', {}, i + 1), h('td', {}, c.name), h('td', { class: 'num' }, c.timesteps),
        h('td', { class: c.status === 'rolled_back' ? 'bad' : c.status === 'active' ? 'good' : null }, words(c.status)), h('td', {}, when(c.promoted_at)), h('td', {}, evidenceText(c.evidence))))),
    h('h2', {}, 'Gate matches'),
    data.gates.length ? h('table', { id: 'gates' }, evaluationRows(run, data.gates)) : h('p', {}, 'None.'),
    h('h2', {}, 'Rollbacks'),
    data.rollbacks.length
      ? h('table', { id: 'rollbacks' }, h('tr', {}, ['when', 'from champion', 'to champion', 'resumed from', 'steps', 'moved aside', 'reason'].map(t => h('th', {}, t))),
        data.rollbacks.map(r => h('tr', {}, h('td', {}, when(r.rolled_back_at)), h('td', {}, r.from_champion ?? '–'), h('td', {}, r.to_champion ?? '–'),
          h('td', {}, fileName(r.to_checkpoint)), h('td', { class: 'num' }, r.to_timesteps), h('td', { class: 'num' }, r.moved), h('td', {}, r.reason))))
      : h('p', {}, 'No rollbacks recorded.'),
    h('h2', {}, 'Rolled-back checkpoints'),
    data.rolled_back_checkpoints.length
      ? h('table', {}, h('tr', {}, h('th', {}, 'checkpoint'), h('th', {}, 'steps'), h('th', {}, 'kept at')),
        data.rolled_back_checkpoints.map(c => h('tr', {}, h('td', {}, c.file), h('td', { class: 'num' }, c.timesteps), h('td', {}, c.path))))
      : h('p', {}, 'Nothing was rolled back.'));
  openStream(run, undefined, type => { if (type === 'db' && token === pageToken) championPage(token, run).catch(showError); });
}

async function evaluationsPage(token, run) {
  setCrumbs(run);
  const data = await api(`/api/runs/${enc(run)}/evaluations`);
  if (token !== pageToken) return;
  $main.replaceChildren(h('h1', {}, run), runTabs(run, 'evaluations'),
    data.evaluations.length ? h('table', { id: 'evaluations' }, evaluationRows(run, data.evaluations)) : h('p', {}, 'No evaluations yet.'));
  openStream(run, undefined, type => { if (type === 'db' && token === pageToken) evaluationsPage(token, run).catch(showError); });
}

async function evaluationPage(token, run, id) {
  setCrumbs(run);
  const e = await api(`/api/runs/${enc(run)}/evaluations/${id}`);
  if (token !== pageToken) return;
  const t = e.total;
  const pairs = e.opponents.reduce((acc, o) => { for (const k of Object.keys(o.pairs)) acc[k] = (acc[k] || 0) + o.pairs[k]; return acc; }, {});
  const sprt = e.sprt;
  let llrBar = null;
  if (sprt && sprt.llr !== null) {
    const span = sprt.upper - sprt.lower, pos = Math.max(0, Math.min(1, (sprt.llr - sprt.lower) / span));
    llrBar = h('span', { class: 'bar', title: `LLR ${fmt(sprt.llr, 3)} in [${fmt(sprt.lower, 3)}, ${fmt(sprt.upper, 3)}]` }, h('span', { style: `left:${(pos * 100).toFixed(1)}%` }));
  }
  $main.replaceChildren(h('h1', {}, `${run} · evaluation ${e.evaluation_id}`), runTabs(run, 'evaluations'),
    h('dl', { class: 'kv card', id: 'evaluation' },
      h('dt', {}, 'status'), h('dd', { class: e.status === 'running' ? 'status-running' : null }, words(e.status)),
      h('dt', {}, 'agent'), h('dd', {}, e.agent),
      h('dt', {}, 'strategy'), h('dd', {}, e.strategy),
      h('dt', {}, 'games'), h('dd', {}, `${e.played_games} of ${e.planned_games}`),
      h('dt', {}, 'W-D-L'), h('dd', { id: 'wdl' }, `${t.wins}-${t.draws}-${t.losses}`),
      h('dt', {}, 'score'), h('dd', {}, `${fmt(t.score)} [${fmt(t.score_ci95?.[0])}, ${fmt(t.score_ci95?.[1])}]`),
      h('dt', {}, 'Elo ± 95 %'), h('dd', { id: 'elo' }, t.elo === null ? '–' : `${signed(t.elo, 1)} ± ${fmt(t.elo_ci95, 1)}`),
      h('dt', {}, 'pentanomial Elo'), h('dd', {}, t.pentanomial_elo === undefined || t.pentanomial_elo === null ? '–' : `${signed(t.pentanomial_elo, 1)} ± ${fmt(t.pentanomial_elo_ci95, 1)}`),
      h('dt', {}, 'pairs (LL LD WL DD WD WW)'), h('dd', { id: 'pairs' }, ['LL', 'LD', 'WL', 'DD', 'WD', 'WW'].map(k => pairs[k] || 0).join(' ')),
      h('dt', {}, 'SPRT'), h('dd', { id: 'sprt' }, sprt ? [`LLR ${fmt(sprt.llr, 3)} in [${fmt(sprt.lower, 3)}, ${fmt(sprt.upper, 3)}] (${sprt.decision}) `, llrBar] : 'none'),
      h('dt', {}, 'elapsed'), h('dd', {}, duration(e.elapsed_s))),
    h('h2', {}, 'By opponent'),
    h('table', {}, h('tr', {}, ['opponent', 'W-D-L', 'as black', 'as white', 'score', 'Elo ± 95 %', 'LL LD WL DD WD WW', 'mean length'].map(x => h('th', {}, x))),
      e.opponents.map(o => h('tr', {}, h('td', {}, o.opponent), h('td', { class: 'num' }, `${o.wins}-${o.draws}-${o.losses}`),
        h('td', { class: 'num' }, `${o.as_black.wins}-${o.as_black.draws}-${o.as_black.losses}`), h('td', { class: 'num' }, `${o.as_white.wins}-${o.as_white.draws}-${o.as_white.losses}`),
        h('td', { class: 'num' }, fmt(o.score)), h('td', { class: 'num' }, o.elo === null ? '–' : `${signed(o.elo, 1)} ± ${fmt(o.elo_ci95, 1)}`),
        h('td', { class: 'num' }, ['LL', 'LD', 'WL', 'DD', 'WD', 'WW'].map(k => o.pairs[k]).join(' ')), h('td', { class: 'num' }, fmt(o.game_length.mean, 1))))),
    h('h2', {}, `Games (${e.games.length})`),
    h('table', { id: 'games' }, h('tr', {}, ['#', 'pair', 'black', 'white', 'result', 'ending', 'plies'].map(x => h('th', {}, x))),
      e.games.map(g => h('tr', {}, h('td', {}, h('a', { href: `#/run/${enc(run)}/games/${g.id}` }, g.game_index)), h('td', { class: 'num' }, g.pair_index),
        h('td', {}, g.black), h('td', {}, g.white), h('td', {}, words(g.result)), h('td', {}, words(g.termination)), h('td', { class: 'num' }, g.plies)))));
  openStream(run, undefined, type => { if (type === 'db' && token === pageToken) evaluationPage(token, run, id).catch(showError); });
}

// ---------- game viewer ----------

const glyph = { P: '歩', L: '香', N: '桂', S: '銀', G: '金', B: '角', R: '飛', K: '玉', '+P': 'と', '+L': '杏', '+N': '圭', '+S': '全', '+B': '馬', '+R': '龍' };
const handOrder = ['R', 'B', 'G', 'S', 'N', 'L', 'P'];

/** Board, hands and side to move from an SFEN (only read for drawing; the server checked every move). */
function parseSfen(sfen) {
  const [board, side, hands] = sfen.split(' ');
  const squares = [];   // squares[rank][fileIndex] with fileIndex 0 = file 9
  for (const row of board.split('/')) {
    const cells = [];
    for (let i = 0; i < row.length; i++) {
      const c = row[i];
      if (c >= '1' && c <= '9') { for (let k = 0; k < Number(c); k++) cells.push(null); continue; }
      let promoted = false, ch = c;
      if (c === '+') { promoted = true; ch = row[++i]; }
      const upper = ch.toUpperCase();
      cells.push({ type: (promoted ? '+' : '') + upper, black: ch === upper });
    }
    squares.push(cells);
  }
  const hand = { black: {}, white: {} };
  if (hands && hands !== '-') {
    let n = '';
    for (const c of hands) {
      if (c >= '0' && c <= '9') { n += c; continue; }
      const upper = c.toUpperCase();
      hand[c === upper ? 'black' : 'white'][upper] = Number(n || '1');
      n = '';
    }
  }
  return { squares, black: side === 'b', hand };
}

function squareOf(usi) { // '7g' -> {file: 7, rank: 6}
  return { file: Number(usi[0]), rank: usi.charCodeAt(1) - 97 };
}

function drawBoard(sfen, lastMove) {
  const pos = parseSfen(sfen), cell = 40, x0 = 20, y0 = 52;
  const svg = s('svg', { viewBox: `0 0 ${x0 + 9 * cell + 30} ${y0 + 9 * cell + 52}`, role: 'img', 'aria-label': 'board' });
  svg.append(s('rect', { x: x0, y: y0, width: 9 * cell, height: 9 * cell, fill: '#f3d48c', stroke: '#333' }));
  if (lastMove) {
    const to = squareOf(lastMove.includes('*') ? lastMove.slice(2) : lastMove.slice(2, 4));
    svg.append(s('rect', { x: x0 + (9 - to.file) * cell, y: y0 + to.rank * cell, width: cell, height: cell, fill: '#f59e0b', opacity: 0.35, class: 'last' }));
  }
  for (let i = 1; i < 9; i++) {
    svg.append(s('line', { x1: x0 + i * cell, y1: y0, x2: x0 + i * cell, y2: y0 + 9 * cell, stroke: '#555', 'stroke-width': 0.7 }));
    svg.append(s('line', { x1: x0, y1: y0 + i * cell, x2: x0 + 9 * cell, y2: y0 + i * cell, stroke: '#555', 'stroke-width': 0.7 }));
  }
  for (let f = 0; f < 9; f++) svg.append(s('text', { x: x0 + f * cell + cell / 2, y: y0 - 6, 'text-anchor': 'middle', 'font-size': 12, fill: '#555' }, String(9 - f)));
  const kanji = '一二三四五六七八九';
  for (let r = 0; r < 9; r++) svg.append(s('text', { x: x0 + 9 * cell + 14, y: y0 + r * cell + cell / 2 + 5, 'text-anchor': 'middle', 'font-size': 12, fill: '#555' }, kanji[r]));
  pos.squares.forEach((row, r) => row.forEach((p, f) => {
    if (!p) return;
    const cx = x0 + f * cell + cell / 2, cy = y0 + r * cell + cell / 2;
    const g = s('g', { transform: p.black ? `translate(${cx},${cy})` : `translate(${cx},${cy}) rotate(180)`, class: 'piece', 'data-square': `${9 - f}${'abcdefghi'[r]}`, 'data-piece': (p.black ? 'b' : 'w') + p.type });
    g.append(s('path', { d: 'M0,-17 L12,-11 L15,17 L-15,17 L-12,-11 Z', fill: '#fbe9c0', stroke: '#8a6a2a', 'stroke-width': 0.8 }));
    g.append(s('text', { x: 0, y: 7, 'text-anchor': 'middle', 'font-size': 19, fill: p.type.startsWith('+') ? '#c62828' : '#111', 'font-family': '"VL Gothic", "Noto Sans CJK JP", sans-serif' }, glyph[p.type]));
    svg.append(g);
  }));
  const handText = (side) => {
    const parts = handOrder.filter(k => pos.hand[side][k]).map(k => glyph[k] + (pos.hand[side][k] > 1 ? pos.hand[side][k] : ''));
    return (side === 'black' ? '☗先手 ' : '☖後手 ') + (parts.length ? parts.join(' ') : 'なし');
  };
  svg.append(s('text', { x: x0, y: 22, 'font-size': 15, class: 'hand-white', 'font-family': '"VL Gothic", sans-serif' }, handText('white')));
  svg.append(s('text', { x: x0, y: y0 + 9 * cell + 34, 'font-size': 15, class: 'hand-black', 'font-family': '"VL Gothic", sans-serif' }, handText('black')));
  return svg;
}

async function gamePage(token, run, id) {
  setCrumbs(run);
  closeStream();
  const g = await api(`/api/runs/${enc(run)}/games/${id}`);
  if (token !== pageToken) return;
  let ply = 0;
  const board = h('div', { class: 'board', id: 'board' });
  const scrub = h('input', { type: 'range', min: 0, max: g.moves.length, value: 0, class: 'scrub', id: 'scrub', oninput: e => show(Number(e.target.value)) });
  const status = h('div', { id: 'ply' });
  const rows = g.moves.map((m, i) => h('tr', { 'data-ply': i + 1, onclick: () => show(i + 1) },
    h('td', { class: 'num' }, i + 1), h('td', {}, m.ja), h('td', { class: 'muted' }, m.usi), h('td', { class: 'num muted' }, m.time_ms === null ? '' : (m.time_ms / 1000).toFixed(1) + ' s')));
  const list = h('div', { class: 'moves card' }, h('table', { id: 'moves' }, h('tr', { 'data-ply': 0, onclick: () => show(0) }, h('td', {}, 0), h('td', { colspan: 3 }, '開始局面 (start)')), rows));
  function show(n) {
    ply = Math.max(0, Math.min(g.moves.length, n));
    const sfen = ply === 0 ? g.start_sfen : g.moves[ply - 1].sfen;
    board.setAttribute('data-sfen', sfen);
    board.setAttribute('data-ply', ply);
    board.replaceChildren(drawBoard(sfen, ply === 0 ? null : g.moves[ply - 1].usi));
    scrub.value = ply;
    status.textContent = ply === 0 ? 'Start position' : `Move ${ply}: ${g.moves[ply - 1].ja} (${g.moves[ply - 1].usi})`;
    for (const tr of list.querySelectorAll('tr')) tr.classList.toggle('current', Number(tr.dataset.ply) === ply);
    const current = list.querySelector('tr.current');
    if (current) current.scrollIntoView({ block: 'nearest' });
  }
  keyHandler = ev => {
    if (ev.target instanceof HTMLInputElement && ev.target.type !== 'range') return;
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 1, ArrowUp: -1 }[ev.key];
    if (step !== undefined) { show(ply + step); ev.preventDefault(); }
    else if (ev.key === 'Home') { show(0); ev.preventDefault(); }
    else if (ev.key === 'End') { show(g.moves.length); ev.preventDefault(); }
  };
  const base = `/api/runs/${enc(run)}/games/${g.id}`;
  $main.replaceChildren(h('h1', {}, `${g.black} (☗) vs ${g.white} (☖)`),
    h('p', {}, h('a', { href: `#/run/${enc(run)}/evaluations/${g.evaluation_id}` }, `evaluation ${g.evaluation_id}`), ` · game ${g.game_index} · `,
      h('span', { id: 'result' }, `${words(g.result)} by ${words(g.termination)}`), g.detail ? ` (${g.detail})` : '', ` · ${g.plies} plies · `,
      h('a', { href: `${base}.kif`, download: true }, 'KIF'), ' · ', h('a', { href: `${base}.csa`, download: true }, 'CSA')),
    h('div', { class: 'game' }, h('div', {}, board, scrub, status, h('p', { class: 'muted' }, '← → step, Home / End jump, or drag the slider.')), list));
  show(0);
}

// ---------- router ----------

function route() {
  const token = ++pageToken;
  closeStream();
  keyHandler = null;
  window.onresize = null;
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  let page;
  if (parts[0] === 'run' && parts[1]) {
    const run = parts[1];
    if (parts[2] === 'ratings') page = ratingsPage(token, run);
    else if (parts[2] === 'champion') page = championPage(token, run);
    else if (parts[2] === 'evaluations' && parts[3]) page = evaluationPage(token, run, Number(parts[3]));
    else if (parts[2] === 'evaluations') page = evaluationsPage(token, run);
    else if (parts[2] === 'games' && parts[3]) page = gamePage(token, run, Number(parts[3]));
    else page = runPage(token, run);
  } else page = runsPage(token);
  page.then(() => { if (token === pageToken) document.body.setAttribute('data-page-ready', token); }).catch(showError);
}
document.addEventListener('keydown', ev => { if (keyHandler) keyHandler(ev); });
window.addEventListener('hashchange', route);
route();
