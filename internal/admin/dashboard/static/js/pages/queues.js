// Queues: every queue with its depths, consumers and rates; filter and sort.

import { api } from '../api.js';
import { h, replace, num, rate, duration, empty, href, badge } from '../dom.js';

const POLL_MS = 5000;

const columns = [
  { key: 'name', label: 'Queue', get: q => q.name, cell: q => h('td', {}, h('a', { href: href('queues', q.vhost, q.name) }, q.name), flags(q)) },
  { key: 'vhost', label: 'Vhost', get: q => q.vhost, cell: q => h('td', {}, q.vhost) },
  { key: 'ready', label: 'Ready', num: true, get: q => q.messages_ready },
  { key: 'unacked', label: 'Unacked', num: true, get: q => q.messages_unacknowledged },
  { key: 'delayed', label: 'Delayed', num: true, get: q => q.ferry?.messages_delayed || 0 },
  { key: 'depth', label: 'Total', num: true, get: q => q.messages },
  { key: 'consumers', label: 'Consumers', num: true, get: q => q.consumers },
  { key: 'in', label: 'In', num: true, get: q => q.message_stats?.publish_details?.rate || 0, fmt: rate },
  { key: 'out', label: 'Out', num: true, get: q => q.message_stats?.deliver_get_details?.rate || 0, fmt: rate },
  { key: 'age', label: 'Oldest', num: true, get: q => q.ferry?.oldest_message_age_seconds || 0, fmt: duration },
];

function flags(q) {
  const out = [];
  if (q.state !== 'running') out.push(badge(q.state, 'bad'));
  if (!q.durable) out.push(badge('transient'));
  if (q.arguments?.['x-fifo']) out.push(badge('fifo'));
  if (q.arguments?.['x-dead-letter-exchange'] !== undefined) out.push(badge('DLX', 'info'));
  return out.length ? [' ', ...out] : null;
}

export async function render(view, _params, page, query) {
  let sortKey = query.get('sort') || 'name', desc = query.get('desc') === '1';
  let list = [];
  const filter = h('input', { type: 'search', id: 'queue-filter', placeholder: 'Filter by name or vhost', 'aria-label': 'Filter queues', value: query.get('q') || '' });
  const body = h('div', { id: 'queues-table' });
  const count = h('span', { class: 'muted' });

  const draw = () => {
    const f = filter.value.trim().toLowerCase();
    const col = columns.find(c => c.key === sortKey) || columns[0];
    const rows = list.filter(q => !f || q.name.toLowerCase().includes(f) || q.vhost.toLowerCase().includes(f))
      .sort((a, b) => {
        const x = col.get(a), y = col.get(b);
        const c = typeof x === 'string' ? x.localeCompare(y) : x - y;
        return (desc ? -c : c) || a.name.localeCompare(b.name);
      });
    count.textContent = rows.length === list.length ? `${num(list.length)} queues` : `${num(rows.length)} of ${num(list.length)} queues`;
    if (list.length === 0) { replace(body, empty('No queues yet', 'Queues appear here as clients declare them.')); return; }
    replace(body, h('div', { class: 'table-wrap' }, h('table', { class: 'queues' },
      h('thead', {}, h('tr', {}, columns.map(c => h('th', {
        scope: 'col', class: c.num ? 'num' : '',
        'aria-sort': c.key === sortKey ? (desc ? 'descending' : 'ascending') : 'none',
      }, h('button', {
        type: 'button', class: 'sort', onclick: () => {
          if (sortKey === c.key) desc = !desc; else { sortKey = c.key; desc = !!c.num; }
          draw();
        },
      }, c.label, c.key === sortKey ? (desc ? ' ↓' : ' ↑') : ''))))),
      h('tbody', {}, rows.map(q => h('tr', { dataset: { vhost: q.vhost, queue: q.name } },
        columns.map(c => c.cell ? c.cell(q) : h('td', { class: ['num', c.key] }, (c.fmt || num)(c.get(q))))))))));
  };
  filter.addEventListener('input', draw);

  replace(view, h('section', { class: 'page' },
    h('header', { class: 'page-head' }, h('h1', {}, 'Queues'), count),
    h('div', { class: 'toolbar' }, filter),
    h('div', { class: 'card' }, body)));

  page.poll('queues', POLL_MS, async () => {
    list = await api('/api/queues', { signal: page.signal });
    draw();
  });
}
