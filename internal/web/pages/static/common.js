// Shared by the wallboard and the agent desk: the access token, API calls,
// the live event stream, labels in the page's language, and a DOM helper.
import { messages } from './i18n.js';

export const params = new URLSearchParams(location.search);

// The token arrives once in the address (?token=) and then lives in this
// tab's sessionStorage only, so it does not linger in the address bar,
// history or bookmarks.
const TOKEN_KEY = 'contactd.token';
export const token = (() => {
  const t = params.get('token');
  if (t === null) return sessionStorage.getItem(TOKEN_KEY) || '';
  sessionStorage.setItem(TOKEN_KEY, t);
  params.delete('token');
  const rest = params.toString();
  history.replaceState(null, '', location.pathname + (rest ? '?' + rest : '') + location.hash);
  return t;
})();

export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// api calls the JSON API with the bearer token; errors carry the server's
// own message when it sent one.
export async function api(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON: use the status */ }
  if (!res.ok) throw new APIError(res.status, (data && data.error) || res.statusText || String(res.status));
  return data;
}

// stream follows the server-sent events at path. handlers maps event types
// to functions of (data, event). onState gets 'live' on every (re)connect,
// which is the moment to refetch what may have been missed, and
// 'reconnecting' while the stream is down. EventSource cannot send headers,
// so the token goes in ?access_token=.
export function stream(path, handlers, onState) {
  const url = new URL(path, location.href);
  if (token) url.searchParams.set('access_token', token);
  let retry = 0;
  const dispatch = (msg) => {
    let ev;
    try { ev = JSON.parse(msg.data); } catch { return; }
    const f = handlers[ev.type];
    if (f) f(ev.data, ev);
  };
  const connect = () => {
    const es = new EventSource(url);
    es.onopen = () => onState('live');
    es.onerror = () => {
      onState('reconnecting');
      // The browser retries by itself unless the server refused the
      // stream (an HTTP error): then it gives up, and so we retry.
      if (es.readyState === EventSource.CLOSED) {
        clearTimeout(retry);
        retry = setTimeout(connect, 5000);
      }
    };
    // contactd names its events; unnamed ones arrive as "message".
    es.onmessage = dispatch;
    for (const type of Object.keys(handlers)) es.addEventListener(type, dispatch);
  };
  connect();
}

// Language: ?lang= if we have it, else the browser's, else English.
export const lang = (() => {
  const want = [params.get('lang'), ...(navigator.languages || [navigator.language])];
  for (const l of want) {
    const base = (l || '').toLowerCase().split('-')[0];
    if (messages[base]) return base;
  }
  return 'en';
})();
const RTL = new Set(['ar', 'fa']);
document.documentElement.lang = lang;
document.documentElement.dir = RTL.has(lang) ? 'rtl' : 'ltr';

// t returns the label for key in the page's language, falling back to
// English, with {name} placeholders filled from vars.
export function t(key, vars = {}) {
  const s = messages[lang][key] ?? messages.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? vars[k] : ''));
}

// translate fills the static labels marked data-i18n in the HTML.
export function translate(root = document) {
  for (const n of root.querySelectorAll('[data-i18n]')) n.textContent = t(n.dataset.i18n);
  for (const n of root.querySelectorAll('[data-i18n-placeholder]')) n.placeholder = t(n.dataset.i18nPlaceholder);
}

// Numbers follow Intl's digits for the language (Persian digits for fa;
// for ar it depends on the browser's locale data). ?digits= picks a
// numbering system: latn (Western), arab (Arabic-Indic), arabext (Persian).
const digits = params.get('digits') || '';
const locale = /^[a-z]{3,8}$/.test(digits) ? `${lang}-u-nu-${digits}` : lang;
const intFmt = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
const twoFmt = new Intl.NumberFormat(locale, { minimumIntegerDigits: 2 });
const pctFmt = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 });
const timeFmt = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateFmt = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });

export const fmt = {
  num: (n) => intFmt.format(n),
  // pct takes a fraction (0.8 is 80 %).
  pct: (f) => pctFmt.format(f),
  // dur shows seconds as m:ss, or h:mm:ss from an hour on.
  dur: (sec) => {
    const s = Math.max(0, Math.floor(sec));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return h > 0
      ? `${intFmt.format(h)}:${twoFmt.format(m)}:${twoFmt.format(r)}`
      : `${intFmt.format(m)}:${twoFmt.format(r)}`;
  },
  time: (d) => timeFmt.format(d),
  date: (d) => dateFmt.format(d),
};

// el builds an element; strings become text nodes, never HTML, so names
// and notes from callers cannot inject markup.
export function el(tag, props = {}, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') n.className = v;
    else if (k === 'dataset') Object.assign(n.dataset, v);
    else if (k === 'text') n.textContent = v;
    else n.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) n.append(c);
  return n;
}

// showProblem shows (or with an empty text, hides) the page's alert line.
export function showProblem(text) {
  const p = document.getElementById('problem');
  p.textContent = text;
  p.hidden = !text;
}

// problemText explains an API failure to the user.
export function problemText(err) {
  if (err instanceof APIError && err.status === 401) return t('unauthorized');
  return t('load_failed', { err: err.message });
}

// showConn shows the stream's state: colour plus words, never colour alone.
export function showConn(state) {
  const c = document.getElementById('conn');
  c.className = 'conn ' + state;
  c.textContent = t(state);
}
