// Overview: message totals and rates, depths, connections and disk.

import { api } from '../api.js';
import { h, replace, num, rate, bytes, stat, empty, href, ago, timeEl } from '../dom.js';
import { LineChart, barList } from '../chart.js';

const POLL_MS = 5000;

export async function render(view, _params, page) {
  const cards = h('div', { class: 'stats', id: 'overview-stats' });
  const disk = h('div', { class: 'stats', id: 'overview-disk' });
  const rates = new LineChart({
    id: 'overview-rates', title: 'Message rates', format: rate,
    series: [{ key: 'publish', label: 'Publish' }, { key: 'deliver', label: 'Deliver' }, { key: 'ack', label: 'Ack' }],
  });
  const depth = new LineChart({
    id: 'overview-depth', title: 'Queued messages', format: num, integer: true,
    series: [{ key: 'ready', label: 'Ready' }, { key: 'unacked', label: 'Unacked' }],
  });
  page.onClose(() => { rates.destroy(); depth.destroy(); });
  const deepest = h('div', { id: 'overview-queues' });
  const conns = h('div', { id: 'overview-connections' });

  replace(view, h('section', { class: 'page' },
    h('header', { class: 'page-head' }, h('h1', {}, 'Overview'),
      h('p', { class: 'muted' }, 'The whole node at a glance; figures refresh every few seconds.')),
    cards,
    h('div', { class: 'grid-2' }, h('div', { class: 'card' }, rates.el), h('div', { class: 'card' }, depth.el)),
    h('div', { class: 'grid-2' },
      h('section', { class: 'card', 'aria-labelledby': 'deepest-h' },
        h('div', { class: 'card-head' }, h('h2', { id: 'deepest-h' }, 'Deepest queues'), h('a', { href: '#/queues' }, 'All queues →')), deepest),
      h('div', { class: 'stack' },
        h('section', { class: 'card', 'aria-labelledby': 'disk-h' }, h('div', { class: 'card-head' }, h('h2', { id: 'disk-h' }, 'Storage')), disk),
        h('section', { class: 'card', 'aria-labelledby': 'conns-h' },
          h('div', { class: 'card-head' }, h('h2', { id: 'conns-h' }, 'Connections')), conns)))));

  // Rates come from the counters' change between two polls, measured
  // here, so the chart moves at the poll's pace; the first point uses the
  // server's own rate over its last sample interval.
  let prev = null;
  page.poll('overview', POLL_MS, async () => {
    const [ov, qs] = await Promise.all([api('/api/overview', { signal: page.signal }), api('/api/queues', { signal: page.signal })]);
    const now = Date.now();
    const ms = ov.message_stats || {}, qt = ov.queue_totals || {}, ot = ov.object_totals || {};
    let r = { publish: ms.publish_details?.rate || 0, deliver: ms.deliver_get_details?.rate || 0, ack: ms.ack_details?.rate || 0 };
    if (prev && now > prev.t) {
      const dt = (now - prev.t) / 1000;
      r = { publish: Math.max(0, (ms.publish - prev.publish) / dt), deliver: Math.max(0, (ms.deliver_get - prev.deliver) / dt), ack: Math.max(0, (ms.ack - prev.ack) / dt) };
    }
    const prev0 = prev;
    prev = { t: now, publish: ms.publish || 0, deliver: ms.deliver_get || 0, ack: ms.ack || 0 };
    // Before two polls the only rate is the server's, which reads 0 until
    // its sampler has two samples: the chart waits for a measured one.
    if (prev0) rates.push(now, r);
    depth.push(now, { ready: qt.messages_ready || 0, unacked: qt.messages_unacknowledged || 0 });

    replace(cards,
      stat('Messages', num(qt.messages), { key: 'messages', sub: `${num(qt.messages_ready)} ready · ${num(qt.messages_unacknowledged)} unacked` }),
      stat('Publish', rate(r.publish), { key: 'publish', kind: 's0', sub: `${num(ms.publish)} in total` }),
      stat('Deliver', rate(r.deliver), { key: 'deliver', kind: 's1', sub: `${num(ms.deliver_get)} in total` }),
      stat('Ack', rate(r.ack), { key: 'ack', kind: 's2', sub: `${num(ms.ack)} in total` }),
      stat('Connections', num(ot.connections), { key: 'connections', sub: `${num(ot.channels)} channels · ${num(ot.consumers)} consumers` }),
      stat('Queues', num(ot.queues), { key: 'queues', sub: `${num(ot.exchanges)} exchanges` }));

    const top = [...qs].sort((a, b) => b.messages - a.messages || a.name.localeCompare(b.name)).slice(0, 8);
    replace(deepest, top.length === 0 ? empty('No queues yet', 'Declare one with any AMQP or SQS client.') :
      barList(top.map(q => ({
        label: q.name, sub: q.vhost === '/' ? '' : `(${q.vhost})`, value: q.messages, href: href('queues', q.vhost, q.name),
        data: { vhost: q.vhost, queue: q.name },
      })), num));

    const st = ov.ferry_store;
    replace(disk, st ? [
      stat('Stored', bytes(st.bytes), { key: 'store-bytes', sub: 'in the queue logs' }),
      stat('Segments', num(st.segments), { key: 'segments', sub: 'log files' }),
      stat('Disk free', bytes(st.data_dir_free_bytes), { key: 'disk-free', sub: 'where the data folder is' }),
    ] : empty('No storage figures', 'This node does not report ferry_store in /api/overview.'));
  });

  page.poll('connections', POLL_MS, async () => {
    const list = await api('/api/connections', { signal: page.signal });
    const rows = [...list].sort((a, b) => b.connected_at - a.connected_at).slice(0, 8);
    replace(conns, rows.length === 0 ? empty('No client connections', 'AMQP clients show here while they are connected.') :
      h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Client'), h('th', { scope: 'col' }, 'User'), h('th', { scope: 'col' }, 'Vhost'),
          h('th', { scope: 'col', class: 'num' }, 'Channels'), h('th', { scope: 'col' }, 'Connected'))),
        h('tbody', {}, rows.map(c => h('tr', {},
          h('td', { class: 'mono' }, `${c.peer_host}:${c.peer_port}`),
          h('td', {}, c.user), h('td', {}, c.vhost), h('td', { class: 'num' }, num(c.channels)),
          h('td', {}, timeEl(c.connected_at / 1000, ago(c.connected_at / 1000)))))))),
      list.length > rows.length ? h('p', { class: 'muted small' }, `and ${num(list.length - rows.length)} more`) : null);
  });
}
