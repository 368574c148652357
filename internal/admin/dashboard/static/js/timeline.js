// Message history as a timeline: what happened to one message, in
// order, across the queues it went through.

import { api, q, queuePath } from './api.js';
import { h, replace, clock, time, toDate, badge, num, href } from './dom.js';
import * as errors from './errors.js';

const events = {
  published: ['Published', 'info'],
  delivered: ['Delivered', ''],
  acked: ['Acked', 'good'],
  nacked: ['Nacked', 'warn'],
  requeued: ['Requeued', 'warn'],
  retry_scheduled: ['Retry scheduled', 'warn'],
  expired: ['Expired', 'bad'],
  dead_lettered: ['Dead-lettered', 'bad'],
  redriven: ['Redriven', 'info'],
  deleted: ['Deleted', 'bad'],
  purged: ['Purged', 'bad'],
};

function gap(ms) {
  if (ms < 1000) return `+${Math.round(ms)} ms`;
  if (ms < 60000) return `+${(ms / 1000).toFixed(1)} s`;
  if (ms < 3600000) return `+${Math.floor(ms / 60000)} min ${Math.round(ms % 60000 / 1000)} s`;
  return `+${(ms / 3600000).toFixed(1)} h`;
}

/** timeline renders a history answer {vhost, message_id, events, truncated}. */
export function timeline(hist) {
  const evs = hist.events || [];
  if (evs.length === 0) return h('p', { class: 'muted' }, 'No events recorded for this message.');
  let prev = null;
  return h('div', { class: 'timeline-wrap' },
    hist.truncated ? h('p', { class: 'note' }, 'The history is truncated: the oldest events were dropped.') : null,
    h('ol', { class: 'timeline', 'aria-label': `History of message ${hist.message_id || ''}` }, evs.map(ev => {
      const [label, kind] = events[ev.event] || [ev.event, ''];
      const at = toDate(ev.at);
      const since = prev && at ? gap(at - prev) : null;
      prev = at || prev;
      const meta = [
        ev.reason ? ['reason ', h('b', {}, ev.reason)] : null,
        ev.deliveries ? [`delivery ${num(ev.deliveries)}`] : null,
        ev.consumer ? ['consumer ', h('span', { class: 'mono' }, ev.consumer)] : null,
        ev.connection ? ['connection ', h('span', { class: 'mono' }, ev.connection)] : null,
        ev.detail ? [ev.detail] : null,
      ].filter(Boolean);
      return h('li', { class: ['tl', kind && 'tl-' + kind], dataset: { event: ev.event } },
        h('span', { class: 'tl-dot', 'aria-hidden': 'true' }),
        h('div', { class: 'tl-body' },
          h('div', { class: 'tl-head' },
            h('b', { class: 'tl-event' }, label),
            ev.queue ? h('a', { class: 'chip', href: href('queues', hist.vhost || '/', ev.queue) }, ev.queue) : null,
            ev.id ? h('span', { class: 'muted mono small' }, `#${ev.id}`) : null,
            h('span', { class: 'spacer' }),
            at ? h('time', { datetime: at.toISOString(), title: time(at) }, clock(at)) : null,
            since ? h('span', { class: 'muted small' }, since) : null),
          meta.length ? h('div', { class: 'tl-meta' }, meta.map((m, i) => [i ? h('span', { class: 'sep', 'aria-hidden': 'true' }, ' · ') : null, m])) : null));
    })));
}

/** historyURL is the endpoint of a message's history: by public message id, or by queue and engine id. */
export function historyURL({ vhost, messageID, queue, id }) {
  if (messageID !== undefined) return `/api/ferry/history/${q(vhost)}/${q(messageID)}`;
  return `${queuePath('/api/ferry/queues', vhost, queue)}/messages/${q(String(id))}/history`;
}

/** loadTimeline fetches a history into el, explaining a 404. */
export async function loadTimeline(el, ref, signal) {
  replace(el, h('p', { class: 'muted' }, 'Loading history…'));
  try {
    const hist = await api(historyURL(ref), { signal });
    replace(el, timeline(hist));
    return hist;
  } catch (e) {
    if (e.status === 404) {
      replace(el, h('div', { class: 'note' },
        h('p', {}, 'No history is recorded for this message', e.reason ? ` (${e.reason})` : '', '.'),
        h('p', { class: 'muted small' }, 'Ferry records history for queues declared with the argument ',
          h('code', {}, 'x-history: true'), ' or matched by a policy with ', h('code', {}, 'history: true'), '.')));
    } else {
      replace(el, errors.inline(e));
    }
    return null;
  }
}
