// The agent console: the operator protocol of /ws/agent (PROTOCOL 3.2) in a page. Tabs My and
// New, offers with a countdown, the chat pane (history back through the chain, send, notes,
// typing both ways), set status, finish, presence; reconnects with back-off and takes the
// welcome as the whole truth again.
import { t, word, el, time, randomId, errorText, translatePage, token, tokenSubject, Socket } from './common.js';
import { signIn } from './signin.js';

translatePage();
const $ = (id) => document.getElementById(id);
const state = {
  me: null,
  my: new Map(),
  fresh: new Map(), // the New tab
  newTotal: 0,
  offers: new Map(), // chat id -> { chat, until }
  tab: 'my',
  open: null, // the chat id in the pane
  history: new Map(), // chat id -> { messages: Map(seq -> message), before: seq|null, more: bool, prev: id|null }
  drafts: new Map(), // chat id -> the reply being written (kept when the pane is drawn again)
};
let socket = null;
let everWelcomed = false;
let lastTyping = 0;

/** Shows a notice (an error in plain words, or `info`: a vote, a chat leaving) for 15 s; the latest 3 stay. */
function showError(text, kind = 'error') {
  const box = $('error');
  const line = el('div', { class: `notice ${kind}`, text });
  box.append(line);
  while (box.childElementCount > 3) box.firstElementChild.remove();
  box.hidden = false;
  setTimeout(() => { line.remove(); box.hidden = box.childElementCount === 0; }, 15000);
}

async function act(frame) {
  try {
    return await socket.request(frame);
  } catch (e) {
    showError(errorText(e));
    throw e;
  }
}

function clientName(chat) {
  return chat.client?.name || chat.client?.id || chat.conversation;
}

function statusLine(chat) {
  return `${word('status', chat.status)} · ${word('detailed', chat.detailed_status)}`;
}

// ---- the list ----
function renderTabs() {
  $('tab-my').textContent = t('agent.my', { n: state.my.size });
  $('tab-new').textContent = t('agent.new', { n: Math.max(state.newTotal, state.fresh.size) });
  $('tab-my').classList.toggle('active', state.tab === 'my');
  $('tab-new').classList.toggle('active', state.tab === 'new');
  const chats = [...(state.tab === 'my' ? state.my : state.fresh).values()];
  $('list').replaceChildren(...chats.map((chat) => el('li', {
    class: `chat ${state.open === chat.id ? 'open' : ''}`, dataset: { chat: chat.id },
    onclick: () => openChat(chat.id),
  }, el('div', { class: 'name' }, `#${chat.id} ${clientName(chat)}`),
  el('div', { class: 'meta', text: `${chat.line} · ${statusLine(chat)}` }))));
  if (!chats.length) $('list').append(el('li', { class: 'empty', text: t('agent.none') }));
}

function renderOffers() {
  const now = Date.now();
  $('offers').replaceChildren(...[...state.offers.values()].map(({ chat, until }) => el('div', {
    class: 'offer', dataset: { chat: chat.id },
  }, el('div', { class: 'name' }, t('agent.offer', { id: chat.id, name: clientName(chat) })),
  el('div', { class: 'countdown', text: t('agent.expires', { s: Math.max(0, Math.ceil((until - now) / 1000)) }) }),
  el('button', { type: 'button', class: 'accept', onclick: () => answerOffer(chat.id, 'accept') }, t('agent.accept')),
  el('button', { type: 'button', class: 'decline', onclick: () => answerOffer(chat.id, 'decline') }, t('agent.decline')))));
}
setInterval(() => {
  const now = Date.now();
  for (const [id, offer] of state.offers) if (offer.until < now - 2000) state.offers.delete(id);
  if (state.offers.size || $('offers').childElementCount) renderOffers();
}, 1000);

async function answerOffer(id, answer) {
  try {
    await act({ type: answer, chat: id });
  } finally {
    state.offers.delete(id);
    renderOffers();
  }
  if (answer === 'accept') { state.tab = 'my'; openChat(id); }
}

let audio = null;

// Two short tones: an offer is ringing. Browsers allow sound only after the page had a user
// gesture (sign-in is one); before that, it stays silent.
function ring() {
  try {
    audio ??= new AudioContext();
    const now = audio.currentTime;
    for (const [at, freq] of [[0, 880], [0.18, 1175]]) {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + at);
      gain.gain.exponentialRampToValueAtTime(0.2, now + at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + at + 0.15);
      tone.connect(gain).connect(audio.destination);
      tone.start(now + at);
      tone.stop(now + at + 0.16);
    }
    state.rings = (state.rings || 0) + 1;
    document.body.dataset.rings = String(state.rings);
  } catch { /* sound is optional */ }
}

function notifyOffer(chat) {
  ring();
  try {
    if ('Notification' in window && Notification.permission === 'granted' && document.hidden) {
      new Notification(t('agent.offer', { id: chat.id, name: clientName(chat) }));
    }
  } catch { /* notifications are optional */ }
}

// ---- the pane ----
function chatOf(id) {
  return state.my.get(id) || state.fresh.get(id) || state.offers.get(id)?.chat || null;
}

function historyOf(id) {
  if (!state.history.has(id)) state.history.set(id, { messages: new Map(), before: null, more: true, prev: null, loading: false });
  return state.history.get(id);
}

async function loadOlder(id) {
  const h = historyOf(id);
  if (h.loading || (!h.more && !h.prev)) return;
  h.loading = true;
  try {
    const frame = h.more
      ? { type: 'history', chat: h.chainAt ?? id, limit: 50, ...(h.before !== null ? { before_seq: h.before } : {}) }
      : { type: 'history', chat: h.prev, limit: 50 };
    if (!h.more) { h.chainAt = h.prev; h.before = null; }
    const ack = await act(frame);
    for (const m of ack.messages) h.messages.set(m.seq, m);
    if (ack.messages.length) h.before = ack.messages[0].seq;
    h.more = ack.messages.length >= 50;
    h.prev = ack.prev_chat ?? null;
  } catch { /* shown */ } finally {
    h.loading = false;
  }
  if (state.open === id) renderMessages(true);
}

function renderPane() {
  const id = state.open;
  const chat = id === null ? null : chatOf(id);
  if (!chat) {
    $('pane').replaceChildren(el('p', { class: 'empty', text: t('agent.pick') }));
    return;
  }
  const mine = state.my.has(id);
  const statusSelect = el('select', { id: 'set-status', 'aria-label': t('agent.set_status') },
    ['open', 'pending', 'on_hold'].map((s) => el('option', { value: s, selected: chat.status === s }, word('status', s))));
  const finishSelect = el('select', { id: 'finish-status', 'aria-label': t('agent.finish') },
    ['closed', 'pending', 'open'].map((s) => el('option', { value: s }, word('status', s))));
  const vote = el('input', { type: 'checkbox', id: 'finish-vote', checked: true });
  const rating = el('select', { id: 'operator-rating' }, el('option', { value: '' }, '—'),
    [1, 2, 3].map((n) => el('option', { value: n }, n)));
  const forwardKind = el('select', { id: 'forward-kind' },
    el('option', { value: 'to_line' }, t('agent.to_line')), el('option', { value: 'to_operator' }, t('agent.to_operator')));
  const forwardTo = el('input', { id: 'forward-to', size: 8 });
  const invitee = el('input', { id: 'invite', size: 8, placeholder: t('agent.operator_id') });
  const subject = el('input', { id: 'subject', size: 30, value: chat.subject ?? '' });
  const pinned = el('input', { type: 'checkbox', id: 'pinned', checked: chat.pinned });
  const note = el('input', { type: 'checkbox', id: 'as-note' });
  const text = el('textarea', { id: 'reply', rows: 3, placeholder: t('agent.reply') });
  text.value = state.drafts.get(id) ?? '';
  const send = async (event) => {
    event.preventDefault();
    const body = text.value.trim();
    if (!body) return;
    const frame = note.checked
      ? { type: 'note', chat: id, text: body }
      : { type: 'send', chat: id, text: body, client_msg_id: randomId() };
    const ack = await act(frame).catch(() => null);
    if (!ack) return;
    text.value = '';
    state.drafts.delete(id);
    historyOf(id).messages.set(ack.seq, {
      seq: ack.seq, chat: ack.chat ?? id, text: body, at: new Date().toISOString(), private: note.checked || undefined,
      author: { kind: 'operator', id: state.me.id },
    });
    renderMessages();
  };
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) { event.preventDefault(); send(event); }
  });
  text.addEventListener('input', () => {
    state.drafts.set(id, text.value);
    if (!note.checked && Date.now() - lastTyping > 2000) { lastTyping = Date.now(); socket.send({ type: 'typing', chat: id }); }
  });
  const log = el('div', { id: 'messages', class: 'log' });
  log.addEventListener('scroll', () => { if (log.scrollTop < 40) loadOlder(id); });
  $('pane').replaceChildren(
    el('header', { class: 'chat-head' },
      el('div', { class: 'name' }, `#${chat.id} ${clientName(chat)}`),
      el('div', { class: 'meta', id: 'chat-status', text: `${chat.line} · ${statusLine(chat)}${chat.responsible ? ` · ${chat.responsible}` : ''}` })),
    el('div', { class: 'actions' },
      mine ? null : el('button', { type: 'button', id: 'take', onclick: async () => { await act({ type: 'take', chat: id }).catch(() => null); } }, t('agent.take')),
      el('label', {}, t('agent.set_status'), ' ', statusSelect),
      el('button', { type: 'button', id: 'set-status-go', onclick: () => act({ type: 'set_status', chat: id, status: statusSelect.value }).catch(() => null) }, t('agent.apply')),
      el('span', { class: 'sep' }),
      el('label', {}, t('agent.finish'), ' ', finishSelect),
      el('label', {}, vote, ' ', t('agent.request_vote')),
      el('label', {}, t('agent.operator_rating'), ' ', rating),
      el('button', {
        type: 'button', id: 'finish',
        onclick: () => {
          const frame = { type: 'finish', chat: id, status: finishSelect.value, request_vote: finishSelect.value === 'closed' && vote.checked };
          if (rating.value) frame.operator_rating = Number(rating.value);
          act(frame).catch(() => null);
        },
      }, t('agent.finish_go'))),
    el('div', { class: 'actions' },
      el('label', {}, t('agent.forward'), ' ', forwardKind, ' ', forwardTo),
      el('button', {
        type: 'button', id: 'forward-go',
        onclick: () => {
          const to = forwardTo.value.trim();
          if (to) act({ type: 'forward', chat: id, [forwardKind.value]: to }).then(() => { forwardTo.value = ''; }, () => null);
        },
      }, t('agent.forward_go')),
      el('span', { class: 'sep' }),
      chat.splittable ? el('button', {
        type: 'button', id: 'split',
        onclick: () => act({ type: 'split', chat: id }).then((ack) => { state.history.delete(ack.new_chat); openChat(ack.new_chat); }, () => null),
      }, t('agent.split')) : null,
      chat.prev_chat ? el('button', {
        type: 'button', id: 'merge',
        onclick: () => act({ type: 'merge_previous', chat: id }).then((ack) => { state.history.delete(ack.into); openChat(ack.into); }, () => null),
      }, t('agent.merge')) : null,
      el('span', { class: 'sep' }),
      el('label', {}, t('agent.invite'), ' ', invitee),
      el('button', {
        type: 'button', id: 'invite-go',
        onclick: () => {
          const who = invitee.value.trim();
          if (who) act({ type: 'invite', chat: id, operator: who }).then(() => { invitee.value = ''; }, () => null);
        },
      }, t('agent.invite_go'))),
    el('div', { class: 'actions' },
      el('label', {}, t('agent.subject'), ' ', subject),
      el('label', {}, pinned, ' ', t('agent.pinned')),
      el('button', {
        type: 'button', id: 'update-go',
        onclick: () => {
          const frame = { type: 'update_chat', chat: id, pinned: pinned.checked };
          if (subject.value.trim()) frame.subject = subject.value.trim();
          act(frame).catch(() => null);
        },
      }, t('agent.save'))),
    el('button', { type: 'button', id: 'older', class: 'link', onclick: () => loadOlder(id) }, t('agent.older')),
    log,
    el('div', { id: 'client-typing', class: 'typing', hidden: true, text: t('agent.client_typing') }),
    el('form', { class: 'compose', onsubmit: send }, text,
      el('div', { class: 'compose-side' },
        el('label', {}, note, ' ', t('agent.note')),
        el('button', { type: 'submit', id: 'send' }, t('send')))));
  $('pane').dataset.splittable = String(chat.splittable);
  $('pane').dataset.prev = String(chat.prev_chat);
  renderMessages(true);
}

function renderMessages(keepPosition = false) {
  const log = $('messages');
  if (!log || state.open === null) return;
  const h = historyOf(state.open);
  const before = log.scrollHeight - log.scrollTop;
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  const messages = [...h.messages.values()].sort((a, b) => a.seq - b.seq);
  let lastChat = null;
  const nodes = [];
  for (const m of messages) {
    if (lastChat !== null && m.chat !== lastChat) nodes.push(el('div', { class: 'chain', text: t('agent.earlier_chat', { id: lastChat }) }));
    lastChat = m.chat;
    const kind = m.private ? 'note' : m.author?.kind || 'system';
    const who = m.author?.kind === 'client' ? t('agent.client') : m.author?.id || word('author', m.author?.kind);
    nodes.push(el('div', { class: `msg ${kind} ${m.author?.kind === 'operator' ? 'mine' : 'theirs'}`, dataset: { seq: m.seq } },
      el('div', { class: 'meta' }, `${m.private ? `${t('agent.note_label')} · ` : ''}${who} · ${time(m.at)}`),
      el('div', { class: 'text', text: m.text })));
  }
  log.replaceChildren(...nodes);
  $('older').hidden = !(h.more || h.prev);
  if (keepPosition && !atBottom && messages.length) log.scrollTop = log.scrollHeight - before;
  else log.scrollTop = log.scrollHeight;
}

function openChat(id) {
  state.open = id;
  renderTabs();
  renderPane();
  const h = historyOf(id);
  if (!h.messages.size) loadOlder(id);
}

function refreshOpen(id) {
  if (state.open !== id) return;
  const chat = chatOf(id);
  const shown = $('pane').dataset;
  if (chat && (String(chat.splittable) !== shown.splittable || String(chat.prev_chat) !== shown.prev)) {
    renderPane();
    return;
  }
  const status = $('chat-status');
  if (chat && status) status.textContent = `${chat.line} · ${statusLine(chat)}${chat.responsible ? ` · ${chat.responsible}` : ''}`;
  if (!chat) renderPane();
}

// ---- the socket ----
function onframe(frame) {
  switch (frame.type) {
    case 'welcome': {
      everWelcomed = true;
      state.me = frame.operator;
      state.my = new Map(frame.my.map((c) => [c.id, c]));
      state.fresh = new Map(frame.new.map((c) => [c.id, c]));
      state.newTotal = frame.new_total ?? frame.new.length;
      state.offers.clear();
      $('me').textContent = `${frame.operator.name} (${frame.operator.id})`;
      $('to-supervisor').hidden = frame.operator.role === 'operator';
      $('presence').value = frame.operator.presence === 'away' ? 'away' : 'online';
      // Messages may have been missed while away: read the open chat again.
      state.history.clear();
      renderTabs();
      renderOffers();
      if (state.open !== null) openChat(state.open);
      break;
    }
    case 'chat_new':
      state.fresh.set(frame.chat.id, frame.chat);
      state.newTotal = Math.max(state.newTotal + 1, state.fresh.size);
      renderTabs();
      break;
    case 'offer':
      state.offers.set(frame.chat.id, { chat: frame.chat, until: Date.now() + frame.expires_in_ms });
      renderOffers();
      notifyOffer(frame.chat);
      break;
    case 'offer_withdrawn':
      state.offers.delete(frame.chat);
      renderOffers();
      break;
    case 'chat_assigned': {
      const wasMine = state.my.has(frame.chat.id);
      state.my.set(frame.chat.id, frame.chat);
      if (state.fresh.delete(frame.chat.id)) state.newTotal = Math.max(0, state.newTotal - 1);
      state.offers.delete(frame.chat.id);
      renderTabs();
      renderOffers();
      if (wasMine) {
        refreshOpen(frame.chat.id);
      } else {
        // Messages written while it was not mine may not have reached this socket: read again.
        state.history.delete(frame.chat.id);
        if (state.open === frame.chat.id) openChat(frame.chat.id);
      }
      break;
    }
    case 'chat_updated':
      if (state.my.has(frame.chat.id)) state.my.set(frame.chat.id, frame.chat);
      if (state.fresh.has(frame.chat.id)) state.fresh.set(frame.chat.id, frame.chat);
      renderTabs();
      refreshOpen(frame.chat.id);
      break;
    case 'chat_removed': {
      state.my.delete(frame.chat);
      if (state.fresh.delete(frame.chat)) state.newTotal = Math.max(0, state.newTotal - 1);
      renderTabs();
      if (state.open === frame.chat) {
        showError(t('agent.removed', { id: frame.chat, reason: word('removed', frame.reason) }), 'info');
      }
      break;
    }
    case 'message': {
      const m = frame.message;
      if (state.history.has(m.chat)) historyOf(m.chat).messages.set(m.seq, m);
      if (state.open === m.chat) { renderMessages(); $('client-typing').hidden = true; }
      break;
    }
    case 'typing':
      if (state.open === frame.chat && $('client-typing')) {
        $('client-typing').hidden = false;
        clearTimeout(onframe.typing);
        onframe.typing = setTimeout(() => { if ($('client-typing')) $('client-typing').hidden = true; }, 4000);
      }
      break;
    case 'client_voted':
      showError(t('agent.voted', { id: frame.chat, label: frame.label ?? frame.score }), 'info');
      break;
    case 'error':
      showError(errorText(frame));
      break;
    default:
      break;
  }
}

async function start(problem = '') {
  $('app').hidden = true;
  if (!token.get()) await signIn($('signin-root'), problem);
  $('app').hidden = false;
  everWelcomed = false;
  const jwt = token.get();
  socket = new Socket({
    url: () => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/agent?token=${encodeURIComponent(jwt)}`,
    onframe,
    onstate(conn, failures) {
      $('state').textContent = conn === 'open' ? t('conn.open') : t(`conn.${conn}`);
      $('state').className = `state ${conn}`;
      // A token that never got a welcome is refused (bad, expired, or another server's).
      if (conn === 'closed' && !everWelcomed && failures >= 1) {
        socket.drop(true);
        token.clear();
        start(t('signin.refused'));
      }
    },
  });
}

$('tab-my').addEventListener('click', () => { state.tab = 'my'; renderTabs(); });
$('tab-new').addEventListener('click', () => { state.tab = 'new'; renderTabs(); });
$('presence').addEventListener('change', () => act({ type: 'presence', status: $('presence').value }).catch(() => null));
$('signout').addEventListener('click', () => { socket?.drop(true); token.clear(); location.reload(); });
if ('Notification' in window && Notification.permission === 'default') {
  document.addEventListener('click', () => Notification.requestPermission().catch(() => null), { once: true });
}
if (token.get() && !tokenSubject(token.get())) token.clear();
start();
