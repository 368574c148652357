// Rendering of one message as browse shows it: properties, headers,
// x-death (its failure history) and the body, as text or base64.

import { h, num, bytes, timeEl, badge, href, ago, valueText } from './dom.js';

const stateKinds = { ready: 'good', leased: 'info', delayed: 'warn', held: 'warn', dead: 'bad' };

export function stateBadge(state) {
  return badge(state, stateKinds[state] || '');
}

function b64(text) {
  const bin = Array.from(new TextEncoder().encode(text), b => String.fromCharCode(b)).join('');
  return btoa(bin);
}

/** payload shows the body with a toggle between text and base64 when it is text. */
export function payload(m) {
  const pre = h('pre', { class: 'payload', tabindex: '0', 'aria-label': 'Message body' });
  const isText = m.payload_encoding === 'string';
  let asB64 = !isText;
  const toggle = isText ? h('button', { type: 'button', class: 'btn btn-small' }) : null;
  const draw = () => {
    pre.textContent = asB64 && isText ? b64(m.payload) : m.payload;
    if (toggle) toggle.textContent = asB64 ? 'Show as text' : 'Show as base64';
  };
  toggle?.addEventListener('click', () => { asB64 = !asB64; draw(); });
  draw();
  return h('div', { class: 'payload-box' },
    h('div', { class: 'payload-head' },
      h('span', {}, 'Body ', h('span', { class: 'muted' }, `${bytes(m.payload_bytes)} · ${isText ? 'UTF-8 text' : 'binary, shown as base64'}`)),
      toggle),
    pre);
}

/** deathTable lists the x-death entries: where, why, how often, when. */
export function deathTable(xdeath) {
  if (!xdeath?.length) return h('p', { class: 'muted' }, 'This message has not died before.');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'deaths' },
    h('caption', { class: 'sr-only' }, 'Failure history (x-death), most recent first'),
    h('thead', {}, h('tr', {}, ['Queue', 'Reason', 'Times', 'Last', 'Exchange', 'Routing keys'].map(t => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, xdeath.map(d => h('tr', {},
      h('td', {}, d.queue), h('td', {}, badge(d.reason, 'bad')), h('td', { class: 'num' }, num(d.count)),
      h('td', {}, timeEl(d.time)), h('td', { class: 'mono' }, d.exchange === '' ? '(default)' : d.exchange),
      h('td', { class: 'mono' }, (d['routing-keys'] || []).join(', ')))))));
}

/** deathList is x-death in short: one line per queue and reason. */
export function deathList(xdeath) {
  return h('ul', { class: 'deaths-list', 'aria-label': 'Failure history (x-death), most recent first' }, xdeath.map(d => h('li', {},
    badge(d.reason, 'bad'), h('span', {}, 'in ', h('b', {}, d.queue)), h('span', {}, `×${num(d.count)}`),
    h('span', { class: 'muted' }, timeEl(d.time, ago(d.time))),
    h('span', { class: 'muted small mono' }, `via ${d.exchange === '' ? '(default)' : d.exchange} / ${(d['routing-keys'] || []).join(', ')}`))));
}

/** details is the expanded view of a message m of queue (vhost, name). */
export function details(m, vhost, name) {
  const props = Object.entries(m.properties || {}).filter(([k]) => k !== 'headers');
  const headers = Object.entries(m.properties?.headers || {}).filter(([k]) => k !== 'x-death');
  return h('div', { class: 'msg-detail' },
    m.error ? h('p', { class: 'error-inline' }, m.error) : null,
    h('div', { class: 'grid-2' },
      h('div', {},
        h('h3', {}, 'Properties'),
        h('dl', { class: 'kv' },
          h('dt', {}, 'Exchange'), h('dd', { class: 'mono' }, m.exchange === '' ? '(default)' : m.exchange),
          h('dt', {}, 'Routing key'), h('dd', { class: 'mono' }, m.routing_key),
          h('dt', {}, 'Enqueued'), h('dd', {}, timeEl(m.enqueued_at)),
          m.due_at ? [h('dt', {}, 'Due'), h('dd', {}, timeEl(m.due_at))] : null,
          m.expires_at ? [h('dt', {}, 'Expires'), h('dd', {}, timeEl(m.expires_at))] : null,
          m.group ? [h('dt', {}, 'Group'), h('dd', { class: 'mono' }, m.group)] : null,
          m.dead_reason ? [h('dt', {}, 'Dead because'), h('dd', {}, m.dead_reason)] : null,
          props.map(([k, v]) => [h('dt', {}, k), h('dd', { class: 'mono' }, valueText(v))]))),
      h('div', {},
        h('h3', {}, 'Headers'),
        headers.length === 0 ? h('p', { class: 'muted' }, 'No headers.') :
          h('dl', { class: 'kv' }, headers.map(([k, v]) => [h('dt', { class: 'mono' }, k), h('dd', { class: 'mono' }, valueText(v))])))),
    h('h3', {}, 'Failure history (x-death)'),
    deathTable(m.x_death),
    payload(m),
    h('p', { class: 'small' },
      h('a', { href: href('history', vhost, name, String(m.id)) }, 'Event history of this message →'),
      m.properties?.message_id ? [' · ', h('a', { href: href('history', vhost, m.properties.message_id) }, 'Follow it across queues →')] : null));
}

/** shortBody is the first line of a text body, for a table cell. */
export function shortBody(m) {
  if (m.error) return h('span', { class: 'error-text' }, m.error);
  if (m.payload_encoding !== 'string') return h('span', { class: 'muted' }, `${bytes(m.payload_bytes)} binary`);
  const t = m.payload.replace(/\s+/g, ' ').trim();
  return t.length > 80 ? t.slice(0, 80) + '…' : t || h('span', { class: 'muted' }, '(empty)');
}
