// The message browser: a queue's messages in id order, whatever their
// state, read without taking them (GET /api/ferry/queues/…/messages).

import { api, queuePath } from '../api.js';
import { h, replace, num, empty, href, timeEl, ago, badge, crumbs, vhostNote } from '../dom.js';
import { stateBadge, details, shortBody } from '../message.js';
import * as errors from '../errors.js';

const PAGE = 50;

export async function render(view, { vhost, name }, page, query) {
  const after = Number(query.get('after') || 0);
  const back = (query.get('back') || '').split(',').filter(Boolean);
  const body = h('div', { id: 'messages' }, h('p', { class: 'muted' }, 'Loading…'));
  const pager = h('div', { class: 'pager' });
  const summary = h('span', { class: 'muted' });
  const base = href('queues', vhost, name, 'messages');

  replace(view, h('section', { class: 'page' },
    crumbs(['Queues', '#/queues'], [name, href('queues', vhost, name)], ['Messages']),
    h('header', { class: 'page-head' }, h('h1', {}, 'Messages in ', name), vhostNote(vhost), summary,
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: () => load() }, 'Refresh'))),
    h('p', { class: 'muted' }, 'Browsing reads messages without taking them: consumers are not affected.'),
    h('div', { class: 'card' }, body, pager)));

  const load = async () => {
    let res;
    try {
      res = await api(`${queuePath('/api/ferry/queues', vhost, name)}/messages?limit=${PAGE}${after ? '&after=' + after : ''}`, { signal: page.signal });
      errors.clear('browse');
    } catch (e) {
      errors.show('browse', e);
      replace(body, errors.inline(e));
      return;
    }
    const msgs = res.messages || [];
    summary.textContent = msgs.length ? `ids ${msgs[0].id}–${msgs[msgs.length - 1].id}` : '';
    if (msgs.length === 0) {
      replace(body, empty(after ? 'No more messages' : 'This queue is empty', after ? '' : 'Messages show here as soon as they are published.'));
    } else {
      replace(body, h('div', { class: 'table-wrap' }, h('table', { class: 'messages' },
        h('thead', {}, h('tr', {}, [['Id'], ['State'], ['Deliveries', 'num wide'], ['Message id'], ['Routing key', 'wide'], ['Body', 'wide'], ['Enqueued', 'wide'], ['']]
          .map(([t, c]) => h('th', { scope: 'col', class: c }, t)))),
        msgs.map(m => row(m, vhost, name)))));
    }
    const prevAfter = back.length ? back[back.length - 1] : null;
    replace(pager,
      after ? h('a', { class: 'btn', href: `${base}?after=${prevAfter || 0}&back=${back.slice(0, -1).join(',')}` }, '← Previous') : null,
      after ? h('a', { class: 'btn btn-ghost', href: base }, 'First page') : null,
      res.next ? h('a', { class: 'btn', href: `${base}?after=${res.next}&back=${[...back, after].join(',')}` }, 'Next →') : null);
  };
  await load();
}

/** row is a message's table row with its details in a second row below. */
function row(m, vhost, name) {
  const detail = h('tr', { class: 'detail-row', hidden: true }, h('td', { colspan: 8 }));
  const btn = h('button', { type: 'button', class: 'btn btn-small', 'aria-expanded': 'false', 'aria-label': `Details of message ${m.id}` }, 'Details');
  btn.addEventListener('click', () => {
    const open = detail.hidden;
    detail.hidden = !open;
    btn.setAttribute('aria-expanded', String(open));
    if (open && !detail.firstChild.firstChild) detail.firstChild.append(details(m, vhost, name));
  });
  return h('tbody', { dataset: { id: String(m.id) } },
    h('tr', {},
      h('td', { class: 'num mono' }, String(m.id)),
      h('td', {}, stateBadge(m.state), m.x_death?.length ? [' ', m.x_death[0].queue === name ? badge('redriven', 'info') : badge('dead letter', 'bad')] : null),
      h('td', { class: 'num wide' }, num(m.deliveries)),
      h('td', { class: 'mono' }, m.properties?.message_id || h('span', { class: 'muted' }, '–')),
      h('td', { class: 'mono wide' }, m.routing_key),
      h('td', { class: 'body-cell wide' }, shortBody(m)),
      h('td', { class: 'wide' }, timeEl(m.enqueued_at, ago(m.enqueued_at))),
      h('td', {}, btn)),
    detail);
}
