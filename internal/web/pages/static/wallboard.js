// The wallboard: one tile per queue, fed by queue_update events.
import { api, stream, t, translate, fmt, el, params, showProblem, problemText, showConn } from './common.js';

// Thresholds: longest wait in seconds, service level in percent.
const param = (k, d) => {
  const v = parseFloat(params.get(k));
  return Number.isFinite(v) && v >= 0 ? v : d;
};
const th = {
  amberWait: param('amber_wait', 30),
  redWait: param('red_wait', 60),
  amberSL: param('amber_sl', 80),
  redSL: param('red_sl', 60),
};

// Agent states as the tiles group them; reserved is about to ring.
const CHIPS = [
  ['ready', ['ready']],
  ['ringing', ['reserved', 'ringing']],
  ['on_call', ['on_call']],
  ['wrap_up', ['wrap_up']],
  ['paused', ['paused']],
];
const BADGE = { ok: '✓', amber: '▲', red: '⚠\uFE0E' };

let queues = [];
// When the snapshot arrived: callers keep waiting between events, so the
// tiles add the time since, and a tile turns red without a new event.
let receivedAt = performance.now();
// Bumped by every snapshot, so a slow fetch cannot undo a newer event.
let version = 0;
const csat = new Map(); // queue -> fraction, or null when nobody answered
const csatDue = new Set(); // queues whose CSAT changed (feedback events)
const tiles = new Map(); // queue -> { root, f: fields }

function apply(body) {
  queues = (body && body.queues) || [];
  receivedAt = performance.now();
  version++;
  document.getElementById('updated').textContent = t('updated', { time: fmt.time(new Date()) });
  syncTiles();
  render();
}

async function load() {
  const v = version;
  try {
    const body = await api('/api/v1/queues');
    showProblem('');
    if (v === version) apply(body);
  } catch (e) {
    showProblem(problemText(e));
  }
}

async function loadCSAT(name) {
  try {
    const body = await api('/api/v1/feedback/summary?queue=' + encodeURIComponent(name));
    // One queue may ask several questions; the first is the headline one.
    const s = ((body && body.summaries) || [])[0];
    csat.set(name, s && s.count > 0 ? s.csat / 100 : null);
    render();
  } catch {
    // Feedback may be off: the tile shows a dash.
  }
}

function tile(name) {
  const f = { chips: {} };
  const metric = (k, big) => {
    f[k] = el('dd', { 'data-k': k });
    return el('div', { class: big ? 'm big' : 'm' }, el('dt', { text: t(k) }), f[k]);
  };
  f.badge = el('span', { class: 'badge', 'data-k': 'badge' });
  f.why = el('p', { class: 'why', 'data-k': 'why' });
  const chips = el('ul', { class: 'agents', 'aria-label': t('agents') });
  for (const [k] of CHIPS) {
    f.chips[k] = el('span', { class: 'n', 'data-k': 'agents_' + k });
    chips.append(el('li', { dataset: { state: k } }, f.chips[k], el('span', { class: 'l', text: t('s_' + k) })));
  }
  const root = el('article', { class: 'tile level-ok', 'data-queue': name },
    el('header', {}, el('h2', { text: name }), f.badge),
    f.why,
    el('dl', { class: 'metrics primary' }, metric('waiting', true), metric('longest', true)),
    el('dl', { class: 'metrics' }, metric('ewt'), metric('sl'), metric('abandoned'), metric('csat')),
    chips);
  return { root, f };
}

// syncTiles keeps one tile per queue, in the API's order.
function syncTiles() {
  const main = document.getElementById('tiles');
  const names = new Set(queues.map((q) => q.name));
  for (const [name, tl] of tiles) {
    if (!names.has(name)) { tl.root.remove(); tiles.delete(name); csat.delete(name); }
  }
  for (const q of queues) {
    let tl = tiles.get(q.name);
    if (!tl) {
      tl = tile(q.name);
      tiles.set(q.name, tl);
      loadCSAT(q.name);
    }
    main.append(tl.root); // moves an existing tile into order
  }
  document.getElementById('empty').hidden = queues.length > 0;
}

// assess turns a queue's figures into ok, amber or red, with the reasons
// in words: the colour is never the only signal.
function assess(longest, sl, waiting, loggedIn) {
  let level = 0;
  const why = [];
  const raise = (l, text) => { level = Math.max(level, l); why.push(text); };
  if (longest > th.redWait) raise(2, t('why_wait', { n: fmt.dur(th.redWait) }));
  else if (longest > th.amberWait) raise(1, t('why_wait', { n: fmt.dur(th.amberWait) }));
  const slPct = Math.round(sl * 1000) / 10;
  if (slPct < th.redSL) raise(2, t('why_sl', { n: fmt.pct(th.redSL / 100) }));
  else if (slPct < th.amberSL) raise(1, t('why_sl', { n: fmt.pct(th.amberSL / 100) }));
  if (waiting > 0 && loggedIn === 0) raise(2, t('why_agents'));
  return { level: ['ok', 'amber', 'red'][level], why };
}

function render() {
  const since = (performance.now() - receivedAt) / 1000;
  for (const q of queues) {
    const tl = tiles.get(q.name);
    if (!tl) continue;
    const f = tl.f;
    const waiting = q.waiting || [];
    const longest = waiting.length
      ? Math.max(q.longest_wait_seconds || 0, ...waiting.map((c) => c.waited_seconds || 0)) + since
      : 0;
    // contactd may report the wait a new caller can expect; else the
    // estimate of the last caller in line is the best guess. 0 means
    // nobody serves the queue: unknown.
    let ewt = typeof q.estimated_wait_seconds === 'number' ? q.estimated_wait_seconds : null;
    if (ewt === null && waiting.length) ewt = waiting[waiting.length - 1].estimated_wait_seconds || null;
    const agents = q.agents || {};
    const loggedIn = Object.entries(agents).reduce((n, [s, c]) => (s === 'logged_out' ? n : n + c), 0);
    const ended = (q.answered || 0) + (q.abandoned || 0);
    const sl = typeof q.service_level === 'number' ? q.service_level : 1;
    const c = csat.get(q.name);

    f.waiting.textContent = fmt.num(waiting.length);
    f.longest.textContent = fmt.dur(longest);
    f.ewt.textContent = ewt === null ? '—' : fmt.dur(ewt);
    f.sl.textContent = fmt.pct(sl);
    f.abandoned.textContent = ended ? fmt.pct((q.abandoned || 0) / ended) : '—';
    f.csat.textContent = c === null || c === undefined ? '—' : fmt.pct(c);
    for (const [k, states] of CHIPS) {
      f.chips[k].textContent = fmt.num(states.reduce((n, s) => n + (agents[s] || 0), 0));
    }

    const { level, why } = assess(longest, sl, waiting.length, loggedIn);
    tl.root.className = 'tile level-' + level;
    tl.root.dataset.level = level;
    f.badge.textContent = BADGE[level] + ' ' + t('level_' + level);
    f.why.textContent = why.join(' · ');
  }
}

let live = false;

function onState(state) {
  showConn(state);
  live = state === 'live';
  if (live) {
    // Events may have been missed while the stream was down.
    load();
    for (const name of tiles.keys()) loadCSAT(name);
  }
}

document.title = t('wallboard') + ' · contactd';
translate();
document.getElementById('legend').textContent = t('legend', {
  aw: fmt.dur(th.amberWait), as: fmt.pct(th.amberSL / 100),
  rw: fmt.dur(th.redWait), rs: fmt.pct(th.redSL / 100),
});

load();
stream('/api/v1/events', {
  queue_update: apply,
  feedback: (data) => { if (data && data.queue) csatDue.add(data.queue); },
}, onState);

// Waits grow every second between events.
setInterval(render, 1000);
// While the stream is down, poll every 5 s; while it is up, refresh once
// a quiet minute in case the server dropped an event for us.
setInterval(() => {
  if (!live || performance.now() - receivedAt > 60000) load();
  for (const name of csatDue) loadCSAT(name);
  csatDue.clear();
}, 5000);
// Feedback events come per call; a slow refresh catches the rest.
setInterval(() => { for (const name of tiles.keys()) loadCSAT(name); }, 60000);
