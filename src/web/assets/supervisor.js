// The supervisor's dialog list (GET /api/v1/chats): chosen columns (kept in localStorage), sort
// by a header, filters and word search, cursor paging, CSV of the chosen columns, bulk actions,
// a chat's detail with its messages and the supervisor's rating; the board of lines and
// operators; the reports as a table with a bar per row.
import { t, word, el, time, span, errorText, translatePage, token, api, ApiError } from './common.js';
import { signIn } from './signin.js';

translatePage();
const $ = (id) => document.getElementById(id);
const COLUMNS_KEY = 'frontline.supervisor.columns';
const DURATIONS = new Set(['wait_first_response', 'time_to_take', 'time_to_operator_close', 'duration',
  'first_message_response', 'bot_time', 'total_response', 'avg_response', 'max_response']);
const TIMES = new Set(['created_at', 'updated_at', 'queued_at', 'taken_at', 'first_response_at', 'last_message_at',
  'operator_closed_at', 'finished_at']);
// Every column of the CSV export; `sort` is its name for `sort=` (null: not sortable).
const ALL = ['id', 'conversation', 'channel', 'line', 'direction', 'client_id', 'client_name', 'responsible',
  'participants', 'subject', 'request_type', 'reasons', 'components', 'page_url', 'phase', 'status',
  'detailed_status', 'general_status', 'spam', 'pinned', 'prev_chat', 'next_chat', 'client_rating',
  'operator_rating', 'supervisor_rating', 'supervisor_comment', ...TIMES, ...DURATIONS];
const SORTABLE = new Set(['id', 'created_at', 'updated_at', 'status', 'detailed_status', 'general_status', 'phase',
  'responsible', 'line', 'channel', 'direction', 'subject', 'request_type', 'client_rating', 'operator_rating',
  'supervisor_rating', ...TIMES, ...DURATIONS]);
const DEFAULT_COLUMNS = ['id', 'client_name', 'line', 'responsible', 'status', 'detailed_status', 'client_rating',
  'supervisor_rating', 'created_at', 'wait_first_response', 'duration'];

const view = {
  columns: loadColumns(),
  sort: '-created_at',
  filters: {},
  items: [],
  cursor: null,
  selected: new Set(),
};

function loadColumns() {
  try {
    const saved = JSON.parse(localStorage.getItem(COLUMNS_KEY));
    if (Array.isArray(saved) && saved.length && saved.every((c) => ALL.includes(c))) return saved;
  } catch { /* none saved */ }
  return DEFAULT_COLUMNS;
}

function showError(text) {
  $('error').textContent = text;
  $('error').hidden = !text;
}

function value(chat, column) {
  switch (column) {
    case 'client_id': return chat.client?.id;
    case 'client_name': return chat.client?.name;
    case 'spam': return chat.status === 'spam';
    default: return column in chat ? chat[column] : chat.metrics?.[column];
  }
}

function cell(chat, column) {
  const v = value(chat, column);
  if (v === null || v === undefined) return '';
  if (TIMES.has(column)) return time(v);
  if (DURATIONS.has(column)) return span(v);
  if (column === 'status') return word('status', v);
  if (column === 'detailed_status') return word('detailed', v);
  if (Array.isArray(v)) return v.join(', ');
  return String(v);
}

function query(extra = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(view.filters)) if (v) q.set(k, v);
  q.set('sort', view.sort);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q;
}

async function loadChats(more = false) {
  try {
    const q = query({ limit: 50, ...(more && view.cursor ? { cursor: view.cursor } : {}) });
    const page = await api(`/api/v1/chats?${q}`);
    view.items = more ? view.items.concat(page.items) : page.items;
    view.cursor = page.next_cursor ?? null;
    if (!more) view.selected.clear();
    showError('');
  } catch (e) {
    showError(e instanceof ApiError ? e.message : errorText(e));
  }
  renderChats();
}

function renderColumns() {
  $('columns').replaceChildren(...ALL.map((c) => el('label', {},
    el('input', {
      type: 'checkbox', checked: view.columns.includes(c), dataset: { column: c },
      onchange: (event) => {
        const on = event.target.checked;
        view.columns = on ? ALL.filter((x) => x === c || view.columns.includes(x)) : view.columns.filter((x) => x !== c);
        if (!view.columns.length) view.columns = ['id'];
        localStorage.setItem(COLUMNS_KEY, JSON.stringify(view.columns));
        renderChats();
      },
    }), ' ', c)));
}

function renderChats() {
  const sortColumn = view.sort.replace(/^-/, '');
  const all = el('input', {
    type: 'checkbox', 'aria-label': 'all', checked: view.items.length > 0 && view.selected.size === view.items.length,
    onchange: (event) => {
      view.selected = new Set(event.target.checked ? view.items.map((c) => c.id) : []);
      renderChats();
    },
  });
  $('chats').tHead.replaceChildren(el('tr', {}, el('th', {}, all), view.columns.map((c) => {
    const sortName = c === 'client_name' ? 'client' : c;
    const sortable = SORTABLE.has(c) || c === 'client_name';
    const cls = ['sortable', sortName === sortColumn ? (view.sort.startsWith('-') ? 'sorted-desc' : 'sorted-asc') : ''];
    return el('th', {
      class: sortable ? cls.join(' ') : '', dataset: { column: c },
      onclick: sortable ? () => {
        view.sort = view.sort === `-${sortName}` ? sortName : `-${sortName}`;
        loadChats();
      } : null,
    }, c);
  })));
  $('chats').tBodies[0].replaceChildren(...view.items.map((chat) => el('tr', { dataset: { chat: chat.id }, onclick: () => openDetail(chat.id) },
    el('td', { onclick: (event) => event.stopPropagation() }, el('input', {
      type: 'checkbox', checked: view.selected.has(chat.id), 'aria-label': `#${chat.id}`,
      onchange: (event) => {
        if (event.target.checked) view.selected.add(chat.id); else view.selected.delete(chat.id);
        renderBulk();
      },
    })),
    view.columns.map((c) => el('td', { dataset: { column: c }, text: cell(chat, c) })))));
  if (!view.items.length) {
    $('chats').tBodies[0].append(el('tr', {}, el('td', { colspan: view.columns.length + 1, class: 'empty', text: t('sup.empty') })));
  }
  $('more').hidden = !view.cursor;
  renderBulk();
}

// Every filter of the dialog list besides those in the first row, as typed (comma = any of);
// the server checks them and a bad value is shown in plain words.
const MORE_FILTERS = ['detailed_status', 'general_status', 'phase', 'direction', 'channel', 'participant', 'client_id',
  'spam', 'pinned', 'request_type', 'reasons', 'components', 'client_rating', 'supervisor_rating'];
const TIME_FILTERS = ['created', 'queued', 'taken', 'first_response', 'last_message', 'operator_closed', 'finished', 'updated'];

function renderFilters() {
  const select = (name, options) => el('select', { name },
    el('option', { value: '' }, t('sup.any')), options.map((o) => el('option', { value: o }, word('status', o))));
  $('filters').replaceChildren(
    el('label', {}, t('sup.search'), el('input', { name: 'q', type: 'search' })),
    el('label', {}, t('sup.status'), select('status', ['new', 'open', 'pending', 'on_hold', 'closed', 'spam'])),
    el('label', {}, t('sup.line'), el('input', { name: 'line', size: 8 })),
    el('label', {}, t('sup.responsible'), el('input', { name: 'responsible', size: 8 })),
    el('label', {}, t('sup.client'), el('input', { name: 'client', size: 10 })),
    el('button', { type: 'submit', id: 'apply' }, t('sup.apply')),
    el('button', { type: 'button', id: 'csv', onclick: exportCsv }, t('sup.csv')),
    el('details', { class: 'more-filters' }, el('summary', { id: 'more-filters', text: t('sup.more_filters') }),
      el('div', { class: 'filters' },
        MORE_FILTERS.map((name) => el('label', {}, name, el('input', { name, size: 10 }))),
        TIME_FILTERS.flatMap((name) => [
          el('label', {}, `${name}_from`, el('input', { name: `${name}_from`, type: 'date', dataset: { edge: 'from' } })),
          el('label', {}, `${name}_to`, el('input', { name: `${name}_to`, type: 'date', dataset: { edge: 'to' } })),
        ]))));
}

$('filters').addEventListener('submit', (event) => {
  event.preventDefault();
  const filters = {};
  for (const input of $('filters').querySelectorAll('[name]')) {
    let value = String(input.value).trim();
    if (!value) continue;
    if (input.dataset.edge === 'from') value = `${value}T00:00:00Z`;
    if (input.dataset.edge === 'to') value = `${value}T23:59:59.999Z`;
    filters[input.name] = value;
  }
  view.filters = filters;
  loadChats();
});

async function exportCsv() {
  try {
    const res = await api(`/api/v1/chats.csv?${query({ columns: view.columns.join(',') })}`, { raw: true });
    const blob = await res.blob();
    const link = el('a', { href: URL.createObjectURL(blob), download: 'chats.csv' });
    document.body.append(link);
    link.click();
    setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  } catch (e) {
    showError(e instanceof ApiError ? e.message : errorText(e));
  }
}

function renderBulk() {
  const n = view.selected.size;
  const line = el('input', { id: 'bulk-line', size: 8, placeholder: 'line2' });
  const kind = el('select', { id: 'bulk-kind' },
    el('option', { value: 'to_line' }, t('agent.to_line')), el('option', { value: 'to_operator' }, t('agent.to_operator')));
  $('bulk').replaceChildren(el('span', { id: 'selected', text: t('sup.selected', { n }) }),
    el('button', { type: 'button', id: 'bulk-finish', disabled: !n, onclick: () => bulk({ action: 'finish', status: 'closed' }) }, t('sup.bulk_finish')),
    el('button', { type: 'button', id: 'bulk-spam', disabled: !n, onclick: () => bulk({ action: 'force_finish' }) }, t('sup.bulk_spam')),
    kind,
    line,
    el('button', { type: 'button', id: 'bulk-forward', disabled: !n, onclick: () => line.value.trim() && bulk({ action: 'forward', [kind.value]: line.value.trim() }) }, t('sup.bulk_forward')),
    el('span', { id: 'bulk-result' }));
}

async function bulk(action) {
  try {
    const answer = await api('/api/v1/chats/actions', { method: 'POST', body: { ids: [...view.selected], ...action } });
    const failed = answer.results.filter((r) => !r.ok);
    await loadChats();
    $('bulk-result').textContent = t('sup.bulk_done', { ok: answer.results.length - failed.length, failed: failed.length });
    if (failed.length) showError(failed.map((r) => `#${r.id}: ${errorText(r.error)}`).join('; '));
  } catch (e) {
    showError(e instanceof ApiError ? e.message : errorText(e));
  }
}

async function openDetail(id) {
  const box = $('detail');
  try {
    const [chat, messages] = await Promise.all([api(`/api/v1/chats/${id}`), api(`/api/v1/chats/${id}/messages?limit=200`)]);
    const rating = el('select', { id: 'sup-rating' }, el('option', { value: '' }, '—'),
      [1, 2, 3, 4, 5].map((n) => el('option', { value: n, selected: chat.supervisor_rating === n }, n)));
    const comment = el('textarea', { id: 'sup-comment', rows: 2 });
    comment.value = chat.supervisor_comment ?? '';
    const saved = el('span', { id: 'sup-saved' });
    const metrics = Object.entries(chat.metrics || {}).filter(([, v]) => v !== null)
      .map(([k, v]) => `${k}: ${typeof v === 'number' ? span(v) : time(v)}`).join(' · ');
    box.replaceChildren(
      el('header', { class: 'bar' }, el('strong', { text: t('sup.detail', { id }) }),
        el('span', { text: `${chat.client?.name || chat.client?.id} · ${word('status', chat.status)} · ${chat.responsible || ''}` }),
        el('button', { type: 'button', id: 'detail-close', onclick: () => { box.hidden = true; } }, t('sup.close'))),
      el('div', { class: 'body' },
        el('div', { class: 'meta', text: `${t('sup.metrics')}: ${metrics}` }),
        el('label', {}, t('sup.rating'), ' ', rating),
        el('label', {}, t('sup.comment'), comment),
        el('div', {}, el('button', {
          type: 'button', id: 'sup-save',
          onclick: async () => {
            const body = { supervisor_comment: comment.value };
            if (rating.value) body.supervisor_rating = Number(rating.value);
            try {
              await api(`/api/v1/chats/${id}`, { method: 'PATCH', body });
              saved.textContent = t('sup.saved');
              loadChats();
            } catch (e) {
              saved.textContent = e.message;
            }
          },
        }, t('sup.save')), ' ', saved)),
      el('div', { class: 'log' }, messages.items.map((m) => el('div', {
        class: `msg ${m.private ? 'note' : m.author?.kind} ${m.author?.kind === 'client' ? 'theirs' : 'mine'}`,
      }, el('div', { class: 'meta', text: `${m.author?.id || m.author?.kind} · ${time(m.at)}` }), el('div', { class: 'text', text: m.text })))));
    box.hidden = false;
  } catch (e) {
    showError(e instanceof ApiError ? e.message : errorText(e));
  }
}

function table(node, headers, rows) {
  node.tHead.replaceChildren(el('tr', {}, headers.map((h) => el('th', { text: h }))));
  node.tBodies[0].replaceChildren(...rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, c)))));
}

async function loadBoard() {
  try {
    const [lines, operators] = await Promise.all([api('/api/v1/lines'), api('/api/v1/operators')]);
    table($('lines'), [t('sup.line'), t('sup.waiting'), t('sup.oldest'), t('sup.online')],
      lines.items.map((l) => [l.id, l.waiting, span(l.oldest_wait_s), l.online]));
    table($('operators'), [t('sup.responsible'), t('sup.status'), t('sup.load'), t('sup.line')],
      operators.items.map((o) => [`${o.name} (${o.id})`, word('presence', o.presence), `${o.active_chats} / ${o.capacity}`, o.lines.join(', ')]));
  } catch (e) {
    showError(e instanceof ApiError ? e.message : errorText(e));
  }
}

function renderReportForm() {
  const day = 24 * 3600 * 1000;
  const iso = (d) => new Date(d).toISOString().slice(0, 10);
  $('report-form').replaceChildren(
    el('label', {}, t('sup.group'), el('select', { name: 'group' }, el('option', { value: 'operator' }, 'operator'), el('option', { value: 'line' }, 'line'))),
    el('label', {}, t('sup.from'), el('input', { type: 'date', name: 'from', value: iso(Date.now() - 7 * day) })),
    el('label', {}, t('sup.to'), el('input', { type: 'date', name: 'to', value: iso(Date.now()) })),
    el('button', { type: 'submit', id: 'report-go' }, t('sup.run')));
}

$('report-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData($('report-form'));
  const q = new URLSearchParams({
    group: form.get('group'),
    from: `${form.get('from')}T00:00:00Z`,
    to: `${form.get('to')}T23:59:59.999Z`,
  });
  try {
    const report = await api(`/api/v1/reports?${q}`);
    const most = Math.max(1, ...report.items.map((r) => r.chats));
    table($('report'), ['key', 'chats', '', 'finished', 'avg_wait_first_response', 'avg_first_message_response', 'avg_duration', 'avg_client_rating', 'votes', 'within_sla'],
      report.items.map((r) => [r.key, r.chats, el('span', { class: 'bar-chart', style: null, dataset: { width: r.chats } }, ''),
        r.finished, span(r.avg_wait_first_response), span(r.avg_first_message_response), span(r.avg_duration),
        r.avg_client_rating ?? '', r.votes, r.within_sla === null || r.within_sla === undefined ? '' : `${Math.round(r.within_sla * 100)}%`]));
    // Bars sized from script (no inline style attributes under the CSP).
    for (const bar of $('report').querySelectorAll('.bar-chart')) bar.style.width = `${(Number(bar.dataset.width) / most) * 120}px`;
  } catch (e) {
    showError(e instanceof ApiError ? e.message : errorText(e));
  }
});

async function start(problem = '') {
  if (!token.get()) await signIn($('signin-root'), problem);
  try {
    await api('/api/v1/operators');
  } catch (e) {
    token.clear();
    return start(e.status === 401 ? t('signin.refused') : e.message);
  }
  $('app').hidden = false;
  renderColumns();
  renderFilters();
  renderReportForm();
  loadChats();
  loadBoard();
  setInterval(loadBoard, 5000);
}

$('more').addEventListener('click', () => loadChats(true));
$('signout').addEventListener('click', () => { token.clear(); location.reload(); });
start();
