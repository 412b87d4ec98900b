// The client widget: one conversation over /ws/client, its id and token kept in localStorage so
// a reload (or a reconnect) comes back to it (PROTOCOL 3.3).
import { t, el, time, randomId, errorText, translatePage, Socket } from './common.js';

translatePage();
const params = new URLSearchParams(location.search);
const channel = params.get('channel') || 'web';
const KEY = `frontline.widget.${channel}`;
const $ = (id) => document.getElementById(id);
const log = $('log');
const shown = new Map(); // seq -> element
let chat = null;
let stored = load();
let failedWithStored = 0;
let typingTimer = null;
let loadingOlder = false;
/** Page size of the history: a full page means there may be more before it. */
const PAGE = 50;
let lastTyping = 0;

function load() {
  try { return JSON.parse(localStorage.getItem(KEY)) || {}; } catch { return {}; }
}

function url() {
  const q = new URLSearchParams({ channel });
  if (stored.client_id) q.set('client_id', stored.client_id);
  if (stored.token) q.set('token', stored.token);
  if (params.get('name')) q.set('name', params.get('name'));
  q.set('page_url', document.referrer || location.href);
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/client?${q}`;
}

function showError(text) {
  $('error').textContent = text;
  $('error').hidden = !text;
}

function addMessage(m, scroll = true) {
  if (m.private) return;
  if (shown.has(m.seq)) return;
  const mine = m.author?.kind === 'client';
  const who = mine ? t('widget.you') : m.author?.kind === 'operator' ? t('widget.operator') : t('widget.bot');
  const node = el('div', { class: `msg ${mine ? 'mine' : 'theirs'} ${m.author?.kind || ''}`, dataset: { seq: m.seq } },
    el('div', { class: 'meta' }, `${who} · ${time(m.at)}`),
    el('div', { class: 'text', text: m.text }));
  const later = [...shown.entries()].filter(([s]) => s > m.seq).sort((a, b) => a[0] - b[0])[0];
  if (later) log.insertBefore(node, later[1]); else log.append(node);
  shown.set(m.seq, node);
  if (scroll) log.scrollTop = log.scrollHeight;
}

function setQueue(position) {
  $('queue').hidden = !position;
  $('queue').textContent = position ? t('widget.queue', { position }) : '';
}

function voteRequest(frame) {
  const box = $('vote');
  box.replaceChildren(el('div', { text: t('widget.vote') }),
    el('div', { class: 'buttons' }, frame.options.map((o) => el('button', {
      type: 'button', class: `score score${o.score}`, dataset: { score: o.score },
      onclick: async () => {
        for (const b of box.querySelectorAll('button')) b.disabled = true;
        try {
          await socket.request({ type: 'vote', chat: frame.chat, score: o.score });
        } catch (e) {
          showError(errorText(e));
          for (const b of box.querySelectorAll('button')) b.disabled = false;
        }
      },
    }, o.label))));
  box.hidden = false;
}

const socket = new Socket({
  url,
  onstate(state, failures) {
    $('state').textContent = state === 'open' ? '' : t(`conn.${state}`);
    // Stored credentials that never get a welcome belong to a conversation this server does not
    // know (its data was reset): after a few tries, start a new conversation.
    if (state === 'closed' && stored.token && ++failedWithStored >= 3) {
      localStorage.removeItem(KEY);
      stored = {};
      failedWithStored = 0;
    }
  },
  onframe(frame) {
    switch (frame.type) {
      case 'welcome':
        failedWithStored = 0;
        $('older').hidden = frame.messages.length < PAGE;
        stored = { client_id: frame.client_id, token: frame.token ?? stored.token };
        localStorage.setItem(KEY, JSON.stringify(stored));
        chat = frame.chat;
        setQueue(0);
        showError('');
        for (const m of frame.messages) addMessage(m);
        break;
      case 'message':
        addMessage(frame.message);
        chat = frame.message.chat ?? chat;
        if (frame.message.author?.kind !== 'client') $('typing').hidden = true;
        break;
      case 'queue': setQueue(frame.position); break;
      case 'typing':
        $('typing').textContent = t('widget.typing');
        $('typing').hidden = false;
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => { $('typing').hidden = true; }, 4000);
        break;
      case 'vote_request': voteRequest(frame); break;
      case 'vote_thanks':
        $('vote').replaceChildren(el('div', { class: 'thanks', text: frame.text || t('widget.thanks') }));
        $('vote').hidden = false;
        break;
      case 'chat_finished': setQueue(0); break;
      case 'error': showError(errorText(frame)); break;
      default: break;
    }
  },
});

/** The messages before the earliest shown, a page at a time (scrolling up, or the button). */
async function loadOlder() {
  if (loadingOlder || $('older').hidden || !shown.size) return;
  loadingOlder = true;
  const before = log.scrollHeight - log.scrollTop;
  try {
    const ack = await socket.request({ type: 'history', before_seq: Math.min(...shown.keys()), limit: PAGE });
    for (const m of ack.messages) addMessage(m, false);
    $('older').hidden = ack.messages.length < PAGE;
    log.scrollTop = log.scrollHeight - before;
  } catch (e) {
    showError(errorText(e));
  } finally {
    loadingOlder = false;
  }
}
$('older').addEventListener('click', loadOlder);
log.addEventListener('scroll', () => { if (log.scrollTop < 20) loadOlder(); });

$('compose').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('text').value.trim();
  if (!text) return;
  const client_msg_id = randomId();
  $('send').disabled = true;
  try {
    const ack = await socket.request({ type: 'send', text, client_msg_id });
    $('text').value = '';
    chat = ack.chat;
    $('vote').hidden = true;
    showError('');
    addMessage({ seq: ack.seq, chat: ack.chat, author: { kind: 'client' }, text, at: new Date().toISOString() });
  } catch (e) {
    showError(errorText(e));
  } finally {
    $('send').disabled = false;
  }
});
$('text').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) { event.preventDefault(); $('compose').requestSubmit(); }
});
$('text').addEventListener('input', () => {
  if (Date.now() - lastTyping > 2000) { lastTyping = Date.now(); socket.send({ type: 'typing' }); }
});
