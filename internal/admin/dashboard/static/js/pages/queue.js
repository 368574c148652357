// One queue: live rate and depth charts, its figures and arguments.

import { api, queuePath } from '../api.js';
import { h, replace, num, rate, bytes, duration, stat, href, badge, crumbs, vhostNote, valueText } from '../dom.js';
import { LineChart } from '../chart.js';

const POLL_MS = 2000;

const reasons = { rejected: 'Rejected', expired: 'Expired', maxlen: 'Over max length', delivery_limit: 'Delivery limit' };

export async function render(view, { vhost, name }, page) {
  const rates = new LineChart({
    id: 'queue-rates', title: 'Message rates', format: rate,
    series: [{ key: 'publish', label: 'Publish' }, { key: 'deliver', label: 'Deliver' }, { key: 'ack', label: 'Ack' }, { key: 'redeliver', label: 'Redeliver' }],
  });
  const depth = new LineChart({
    id: 'queue-depth', title: 'Depth', format: num, integer: true,
    series: [{ key: 'ready', label: 'Ready' }, { key: 'unacked', label: 'Unacked' }, { key: 'delayed', label: 'Delayed' }],
  });
  page.onClose(() => { rates.destroy(); depth.destroy(); });
  const badges = h('span', { class: 'badges' });
  const cards = h('div', { class: 'stats', id: 'queue-stats' });
  const dead = h('div', { id: 'queue-dead' });
  const args = h('div', { id: 'queue-args' });

  replace(view, h('section', { class: 'page' },
    crumbs(['Queues', '#/queues'], [name]),
    h('header', { class: 'page-head' },
      h('h1', {}, name, ' ', badges), vhostNote(vhost),
      h('div', { class: 'actions' },
        h('a', { class: 'btn', href: href('queues', vhost, name, 'messages') }, 'Browse messages'))),
    cards,
    h('div', { class: 'grid-2' }, h('div', { class: 'card' }, rates.el), h('div', { class: 'card' }, depth.el)),
    h('div', { class: 'grid-2' },
      h('section', { class: 'card', 'aria-labelledby': 'dead-h' }, h('div', { class: 'card-head' }, h('h2', { id: 'dead-h' }, 'Dead-lettered from here')), dead),
      h('section', { class: 'card', 'aria-labelledby': 'args-h' }, h('div', { class: 'card-head' }, h('h2', { id: 'args-h' }, 'Arguments')), args))));

  let prev = null;
  page.poll('queue', POLL_MS, async () => {
    const qi = await api(queuePath('/api/queues', vhost, name), { signal: page.signal });
    const now = Date.now(), ms = qi.message_stats || {}, f = qi.ferry || {};
    let r = {
      publish: ms.publish_details?.rate || 0, deliver: ms.deliver_get_details?.rate || 0,
      ack: ms.ack_details?.rate || 0, redeliver: ms.redeliver_details?.rate || 0,
    };
    if (prev && now > prev.t) {
      const dt = (now - prev.t) / 1000, d = k => Math.max(0, ((ms[k] || 0) - prev[k]) / dt);
      r = { publish: d('publish'), deliver: d('deliver_get'), ack: d('ack'), redeliver: d('redeliver') };
    }
    const measured = prev !== null;
    prev = { t: now, publish: ms.publish || 0, deliver_get: ms.deliver_get || 0, ack: ms.ack || 0, redeliver: ms.redeliver || 0 };
    if (measured) rates.push(now, r); // the first rate is the server's, 0 until its sampler has two samples
    depth.push(now, { ready: qi.messages_ready, unacked: qi.messages_unacknowledged, delayed: f.messages_delayed || 0 });

    replace(badges,
      qi.state === 'running' ? badge('running', 'good') : badge(qi.state, 'bad'),
      qi.durable ? badge('durable') : badge('transient'),
      qi.exclusive ? badge('exclusive') : null, qi.auto_delete ? badge('auto-delete') : null);
    if (f.error) replace(dead, h('p', { class: 'error-inline' }, f.error));

    replace(cards,
      stat('Ready', num(qi.messages_ready), { key: 'ready', sub: bytes(qi.message_bytes_ready) }),
      stat('Unacked', num(qi.messages_unacknowledged), { key: 'unacked', sub: bytes(qi.message_bytes_unacknowledged) }),
      stat('Delayed', num(f.messages_delayed), { key: 'delayed', sub: 'waiting for a retry or x-delay' }),
      stat('Consumers', num(qi.consumers), { key: 'consumers', sub: `${num(ms.publish)} published · ${num(ms.ack)} acked` }),
      stat('Oldest ready', duration(f.oldest_message_age_seconds), { key: 'oldest', sub: 'age of the next message out' }),
      stat('Dead-lettered', num(Object.values(f.dead_lettered || {}).reduce((a, b) => a + b, 0)), { key: 'dead-lettered', sub: 'since the node started' }));

    if (!f.error) {
      const dl = f.dead_lettered || {};
      const total = Object.values(dl).reduce((a, b) => a + b, 0);
      const target = qi.arguments?.['x-dead-letter-routing-key'] ?? (qi.arguments?.['x-dead-letter-exchange'] !== undefined ? `exchange '${qi.arguments['x-dead-letter-exchange']}'` : null);
      replace(dead,
        h('dl', { class: 'kv' }, Object.entries(reasons).map(([k, label]) => [h('dt', {}, label), h('dd', { class: 'num' }, num(dl[k] || 0))]),
          h('dt', {}, 'Rejected / requeued'), h('dd', { class: 'num' }, `${num(f.rejected)} / ${num(f.requeued)}`),
          h('dt', {}, 'Expired'), h('dd', { class: 'num' }, num(f.expired)),
          h('dt', {}, 'Deduplicated'), h('dd', { class: 'num' }, num(f.deduplicated))),
        h('p', { class: 'muted small' }, total === 0 ? 'Nothing has died in this queue.' :
          target ? ['Dead letters go to ', h('b', {}, target), '. ', h('a', { href: '#/dead-letters' }, 'See dead letters →')] :
            'This queue has no dead-letter target: its dead messages are dropped.'));
    }

    const entries = Object.entries(qi.arguments || {}).sort(([a], [b]) => a.localeCompare(b));
    replace(args, entries.length === 0 ? h('p', { class: 'muted' }, 'No arguments: the defaults apply.') :
      h('dl', { class: 'kv' }, entries.map(([k, v]) => [h('dt', { class: 'mono' }, k), h('dd', { class: 'mono' }, valueText(v))])));
  });
}
