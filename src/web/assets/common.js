// Shared by every page: the language, building elements, the operator token, the HTTP API and a
// WebSocket that reconnects with back-off. No framework: plain modules, text set with
// textContent only (nothing from the wire is ever parsed as HTML).
import en from './i18n/en.js';
import uk from './i18n/uk.js';
import ru from './i18n/ru.js';

const LANGUAGES = { en, uk, ru };

/** The language of this browser among en, uk, ru (English otherwise). */
export const lang = (() => {
  for (const tag of navigator.languages || [navigator.language || 'en']) {
    const code = String(tag).toLowerCase().split('-')[0];
    if (LANGUAGES[code]) return code;
  }
  return 'en';
})();
document.documentElement.lang = lang;

/** The string `key` in this language, `{name}` replaced from `vars`; English, then the key, when missing. */
export function t(key, vars = {}) {
  const text = LANGUAGES[lang][key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** A word for a wire code (`status.open`), or the code itself when there is none. */
export function word(group, code) {
  const key = `${group}.${code}`;
  const text = LANGUAGES[lang][key] ?? en[key];
  return text ?? String(code);
}

/** An element: `el('button', {class: 'x', onclick: f}, 'text', child)`. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Fills every `[data-t]` element of the page with its string. */
export function translatePage() {
  for (const node of document.querySelectorAll('[data-t]')) node.textContent = t(node.dataset.t);
  for (const node of document.querySelectorAll('[data-t-placeholder]')) node.placeholder = t(node.dataset.tPlaceholder);
  document.title = t(document.body.dataset.title || 'app.title');
}

/** An error frame or HTTP error as plain words: the code's words, then the server's message. */
export function errorText(error) {
  if (!error) return t('error.unknown');
  const words = word('error', error.code || 'unknown');
  return error.message ? `${words}: ${error.message}` : words;
}

/** `12:04` (today) or a short date and time, in this language. */
export function time(at) {
  if (!at) return '';
  const d = new Date(at);
  const today = new Date().toDateString() === d.toDateString();
  return today
    ? d.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleString(lang, { dateStyle: 'short', timeStyle: 'short' });
}

/** `42 s`, `1 min 12 s`, `2 h 5 min`. */
export function span(secs) {
  if (secs === null || secs === undefined) return '';
  const s = Math.max(0, Math.round(secs));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  if (h) return t('span.hm', { h, m });
  if (m) return t('span.ms', { m, s: r });
  return t('span.s', { s: r });
}

export function randomId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const TOKEN_KEY = 'frontline.token';
export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** The operator id (`sub`) of a JWT, or null when it is not one. */
export function tokenSubject(jwt) {
  try {
    const payload = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload)).sub ?? null;
  } catch {
    return null;
  }
}

export class ApiError extends Error {
  constructor(status, error) {
    super(errorText(error));
    this.status = status;
    this.error = error;
  }
}

/** A request to the HTTP API with the operator's token; the JSON answer, or an ApiError. */
export async function api(path, { method = 'GET', body, raw = false } = {}) {
  const headers = { Authorization: `Bearer ${token.get() || ''}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { code: 'network', message: '' });
  }
  if (!res.ok) {
    let error = { code: 'unknown', message: `HTTP ${res.status}` };
    try { error = (await res.json()).error || error; } catch { /* not JSON */ }
    throw new ApiError(res.status, error);
  }
  return raw ? res : res.json();
}

/** The demo's operators and their tokens, or [] when this server is not the local demo. */
export async function demoOperators() {
  try {
    const res = await fetch('/api/v1/demo/operators');
    return res.ok ? (await res.json()).items : [];
  } catch {
    return [];
  }
}

/**
 * A WebSocket that reconnects with back-off (0.5 s doubling to 15 s) and answers requests:
 * `request(frame)` resolves with the `ack` or rejects with the `error` frame of its `ref`.
 * `url()` is asked at every connect; `onframe` gets every other frame; `onstate` gets
 * `connecting`, `open` or `closed` (with the number of failed attempts so far).
 */
export class Socket {
  constructor({ url, onframe, onstate }) {
    Object.assign(this, { url, onframe, onstate });
    this.pending = new Map();
    this.nextRef = 1;
    this.failures = 0;
    this.stopped = false;
    this.connect();
  }

  connect() {
    if (this.stopped) return;
    this.onstate?.('connecting', this.failures);
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.onmessage = (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      if (frame.type === 'welcome') { this.failures = 0; this.onstate?.('open', 0); }
      const waiter = frame.ref !== undefined && this.pending.get(frame.ref);
      if (waiter && (frame.type === 'ack' || frame.type === 'error' || frame.type === 'pong')) {
        this.pending.delete(frame.ref);
        if (frame.type === 'error') waiter.reject(frame); else waiter.resolve(frame);
        return;
      }
      this.onframe(frame);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      for (const waiter of this.pending.values()) waiter.reject({ code: 'disconnected', message: '' });
      this.pending.clear();
      this.failures += 1;
      this.onstate?.('closed', this.failures);
      if (this.stopped) return;
      const delay = Math.min(15000, 500 * 2 ** Math.min(this.failures - 1, 5));
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  /** Sends `frame` with a fresh `ref`; the ack (or a rejection with the error frame). */
  request(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      return Promise.reject({ code: 'disconnected', message: '' });
    }
    const ref = this.nextRef++;
    return new Promise((resolve, reject) => {
      this.pending.set(ref, { resolve, reject });
      this.ws.send(JSON.stringify({ ...frame, ref }));
    });
  }

  /** Sends `frame` without waiting for an answer (typing). */
  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  /** Closes the socket now; it reconnects unless `stop` is true. */
  drop(stop = false) {
    this.stopped = stop;
    clearTimeout(this.timer);
    this.ws?.close();
  }
}
