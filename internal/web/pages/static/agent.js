// The agent desk: my state, and the screen-pop of the call offered to me.
import { api, stream, t, translate, fmt, el, params, showProblem, problemText, showConn } from './common.js';

const $ = (id) => document.getElementById(id);
// The page acts only for the agent in its address; the server checks the
// token may act for them.
const me = params.get('agent') || '';
const agentPath = '/api/v1/agents/' + encodeURIComponent(me);
const timelinePath = (customer) => '/api/v1/customers/' + encodeURIComponent(customer) + '/timeline';
const REASONS = ['lunch', 'break', 'training', 'other'];
// States in which going ready means nothing: the agent is already taking calls.
const WORKING = ['ready', 'reserved', 'ringing', 'on_call'];

let agent = null;
let pop = null; // the screen-pop shown

function showAgent(a) {
  agent = a;
  $('who').textContent = a.name && a.name !== a.id ? `${a.name} (${a.id})` : a.id;
  const st = $('state');
  st.dataset.state = a.state;
  st.textContent = t('s_' + a.state);
  $('reason').textContent = a.state === 'paused' && a.reason ? reasonLabel(a.reason) : '';
  const ready = $('ready');
  ready.textContent = t(a.state === 'logged_out' ? 'log_in' : 'go_ready');
  ready.disabled = WORKING.includes(a.state);
  ready.hidden = a.state === 'wrap_up';
  $('end-wrap').hidden = a.state !== 'wrap_up';
  $('logout').disabled = a.state === 'logged_out';
  tick();
}

const reasonLabel = (r) => (REASONS.includes(r) ? t('r_' + r) : r);

function tick() {
  const since = agent && agent.since ? Date.parse(agent.since) : NaN;
  $('since').textContent = Number.isNaN(since) ? '' : t('for_time', { d: fmt.dur((Date.now() - since) / 1000) });
}

async function loadAgent() {
  try {
    showAgent(await api(agentPath));
    showProblem('');
  } catch (e) {
    showProblem(problemText(e));
  }
}

async function setState(state, reason = '') {
  // Buttons stay off while the request runs, so a double click sends once.
  const buttons = [...document.querySelectorAll('.actions button')];
  buttons.forEach((b) => { b.disabled = true; });
  $('state-msg').textContent = '';
  try {
    agent = await api(agentPath + '/state', { method: 'PUT', body: { state, reason } });
  } catch (e) {
    $('state-msg').textContent = t('state_failed', { err: e.message });
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    if (agent) showAgent(agent);
  }
}

function eventItem(e) {
  const channel = e.channel && e.channel !== 'voice' && e.channel !== e.kind ? ' · ' + e.channel : '';
  const kind = (e.kind || '').replaceAll('_', ' ') + channel;
  return el('li', { class: 'ev kind-' + (e.kind || ''), dataset: { id: String(e.id ?? '') } },
    el('time', { datetime: e.at || '', text: e.at ? fmt.date(new Date(e.at)) : '' }),
    el('span', { class: 'kind', text: kind }),
    el('span', { class: 'summary', text: e.summary || '' }),
    e.agent ? el('span', { class: 'by', text: e.agent }) : null);
}

function fillEvents(list, events) {
  list.replaceChildren(...(events.length ? events.map(eventItem) : [el('li', { class: 'none', text: t('none') })]));
}

function prependEvent(list, e) {
  list.querySelector('.none')?.remove();
  list.prepend(eventItem(e));
}

function showPop(d) {
  pop = d;
  const s = d.summary || {};
  $('idle').hidden = true;
  $('pop').hidden = false;
  $('pop-caller').textContent = d.caller || '—';
  $('pop-queue').textContent = d.queue || '—';
  $('pop-customer').textContent = d.customer || '—';
  $('pop-contacts').textContent = fmt.num(s.contacts || 0);
  $('pop-last').textContent = s.last_contact ? fmt.date(new Date(s.last_contact)) : t('none');
  $('pop-score').textContent = typeof s.last_score === 'number' ? fmt.num(s.last_score) : '—';
  fillEvents($('pop-notes'), s.open_notes || []);
  // The summary's recent contacts show at once; the full timeline follows.
  fillEvents($('pop-timeline'), s.recent || []);
  $('note-msg').textContent = '';
  $('note-form').hidden = !d.customer;
  document.title = `☎ ${d.caller || d.customer || ''} · ${t('desk')}`;
  if (d.customer) loadTimeline(d.customer);
}

async function loadTimeline(customer) {
  const list = $('pop-timeline');
  list.setAttribute('aria-busy', 'true');
  try {
    const body = await api(timelinePath(customer) + '?limit=20');
    if (pop && pop.customer === customer) fillEvents(list, (body && body.events) || []);
  } catch (e) {
    list.prepend(el('li', { class: 'error', text: problemText(e) }));
  } finally {
    list.removeAttribute('aria-busy');
  }
}

async function saveNote(ev) {
  ev.preventDefault();
  const text = $('note').value.trim();
  if (!text || !pop || !pop.customer) return;
  const save = $('note-save');
  save.disabled = true;
  try {
    const added = await api(timelinePath(pop.customer), {
      method: 'POST',
      body: { kind: 'note', agent: me, summary: text, data: { status: 'open', call_id: pop.call_id || '' } },
    });
    $('note').value = '';
    prependEvent($('pop-notes'), added);
    prependEvent($('pop-timeline'), added);
    $('note-msg').textContent = t('note_added');
  } catch (e) {
    $('note-msg').textContent = t('note_failed', { err: e.message });
  } finally {
    save.disabled = false;
  }
}

translate();
$('contacts-label').textContent = t('contacts_30d', { d: fmt.num(30) });
document.title = t('desk') + ' · contactd';

$('ready').addEventListener('click', () => setState('ready'));
$('end-wrap').addEventListener('click', () => setState('ready'));
$('logout').addEventListener('click', () => setState('logged_out'));
$('pause-reason').addEventListener('change', () => {
  $('pause-other').hidden = $('pause-reason').value !== 'other';
});
$('pause').addEventListener('click', () => {
  let reason = $('pause-reason').value;
  if (reason === 'other') reason = $('pause-other').value.trim() || 'other';
  setState('paused', reason);
});
$('note-form').addEventListener('submit', saveNote);
$('pop-close').addEventListener('click', () => {
  pop = null;
  $('pop').hidden = true;
  $('idle').hidden = false;
  document.title = t('desk') + ' · contactd';
});

if (!me) {
  showProblem(t('no_agent'));
  document.querySelectorAll('.actions button').forEach((b) => { b.disabled = true; });
} else {
  $('who').textContent = me;
  let live = false;
  loadAgent();
  stream('/api/v1/events?agent=' + encodeURIComponent(me), {
    // The stream is narrowed to this agent, but events for everyone
    // still come: only pops and updates naming me count.
    screen_pop: (d, ev) => { if (d && (ev.agent || d.agent) === me) showPop(d); },
    agent_update: (d) => { if (d && d.id === me) showAgent(d); },
  }, (state) => {
    showConn(state);
    live = state === 'live';
    if (live) loadAgent();
  });
  setInterval(tick, 1000);
  // Without the stream, state changes made elsewhere (the queue putting
  // me in wrap-up) would go unseen: poll slowly until it is back.
  setInterval(() => { if (!live) loadAgent(); }, 10000);
}
