// Dead letters: the queues holding messages that died elsewhere (they
// carry x-death), each message's failure history, and redrive: moving
// them back where they died, with the task's progress.

import { api, queuePath } from '../api.js';
import { h, replace, num, empty, href, timeEl, ago, badge } from '../dom.js';
import { shortBody, deathList, payload } from '../message.js';
import { loadTimeline } from '../timeline.js';
import { taskRow, redrivePanel } from '../redrive.js';
import * as errors from '../errors.js';

const SCAN = 100; // messages read per queue when looking for dead letters
const ROWS = 10; // rows shown per queue before "Show more"

export async function render(view, _params, page) {
  const tasksEl = h('div', { id: 'redrives', 'aria-live': 'polite' });
  const list = h('div', { id: 'dead-letter-queues' }, h('p', { class: 'muted' }, 'Looking for dead letters…'));
  const rescan = h('button', { type: 'button', class: 'btn', onclick: () => scan() }, 'Rescan');
  let queues = [];
  let tasks = [];
  const watched = new Set(); // ids of tasks started here, rescanned for when they end

  replace(view, h('section', { class: 'page' },
    h('header', { class: 'page-head' }, h('h1', {}, 'Dead letters'), h('div', { class: 'actions' }, rescan)),
    h('p', { class: 'muted' }, 'Messages that were rejected, expired, went over a length limit or past their delivery limit, parked in dead-letter queues with the reason. Fix the cause, then redrive them back.'),
    h('section', { class: 'card', 'aria-labelledby': 'redrives-h' }, h('div', { class: 'card-head' }, h('h2', { id: 'redrives-h' }, 'Redrives')), tasksEl),
    list));

  // scan reads the first messages of every non-empty queue and keeps the
  // queues that hold dead letters.
  const scan = async () => {
    rescan.disabled = true;
    try {
      queues = await api('/api/queues', { signal: page.signal });
      const candidates = queues.filter(q => q.messages > 0).sort((a, b) => a.vhost.localeCompare(b.vhost) || a.name.localeCompare(b.name));
      const found = [];
      await Promise.all(candidates.map(async qi => {
        const res = await api(`${queuePath('/api/ferry/queues', qi.vhost, qi.name)}/messages?limit=${SCAN}`, { signal: page.signal });
        const dead = (res.messages || []).filter(m => isDeadLetter(m, qi.name));
        if (dead.length) found.push({ qi, dead, more: !!res.next });
      }));
      found.sort((a, b) => a.qi.vhost.localeCompare(b.qi.vhost) || a.qi.name.localeCompare(b.qi.name));
      errors.clear('scan');
      replace(list, found.length === 0 ?
        h('div', { class: 'card' }, empty('No dead letters', 'No queue holds messages that died elsewhere. Queues with x-dead-letter-exchange send their failures to one.')) :
        found.map(f => dlqCard(f, queues, page, startTask)));
    } catch (e) {
      errors.show('scan', e);
    } finally {
      rescan.disabled = false;
    }
  };

  const drawTasks = () => {
    const shown = [...tasks].reverse().slice(0, 5);
    replace(tasksEl, shown.length === 0 ? h('p', { class: 'muted' }, 'No redrive has run since the node started.') :
      h('ul', { class: 'tasks' }, shown.map(taskRow)));
  };

  const startTask = t => {
    watched.add(t.id);
    tasks = [...tasks.filter(x => x.id !== t.id), t];
    drawTasks();
  };

  // Tasks are polled fast while one runs; when one started here ends,
  // the queues are scanned again so the counts are the new ones.
  page.poll('redrives', () => tasks.some(t => t.state === 'running') ? 500 : 5000, async () => {
    tasks = await api('/api/ferry/redrives', { signal: page.signal });
    drawTasks();
    let ended = false;
    for (const t of tasks) {
      if (watched.has(t.id) && t.state !== 'running') { watched.delete(t.id); ended = true; }
    }
    if (ended) await scan();
  });
  await scan();
}

/**
 * isDeadLetter tells a dead letter from a message that died and was
 * redriven: both carry x-death, but a dead letter's latest death was in
 * another queue than the one holding it now.
 */
function isDeadLetter(m, queue) {
  return m.x_death?.length > 0 && m.x_death[0].queue !== queue;
}

/** origins sums x-death's latest entry per message: died in which queue, why. */
function origins(dead) {
  const m = new Map();
  for (const msg of dead) {
    const d = msg.x_death[0];
    const k = `${d.queue}\u0000${d.reason}`;
    m.set(k, { queue: d.queue, reason: d.reason, n: (m.get(k)?.n || 0) + 1 });
  }
  return [...m.values()].sort((a, b) => b.n - a.n);
}

function dlqCard({ qi, dead, more }, queues, page, startTask) {
  const panel = h('div', { class: 'redrive-panel', hidden: true });
  const open = h('button', { type: 'button', class: 'btn btn-primary', 'aria-expanded': 'false', dataset: { action: 'redrive' } }, 'Redrive…');
  open.addEventListener('click', () => {
    const show = panel.hidden;
    panel.hidden = !show;
    open.setAttribute('aria-expanded', String(show));
    if (show) replace(panel, redrivePanel(qi, queues, page, t => {
      panel.hidden = true;
      open.setAttribute('aria-expanded', 'false');
      startTask(t);
    }, () => { panel.hidden = true; open.setAttribute('aria-expanded', 'false'); open.focus(); }));
  });
  const id = `dlq-${qi.vhost}-${qi.name}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const table = h('table', { class: 'dead' },
    h('thead', {}, h('tr', {}, [['Id'], ['Message id'], ['Body', 'wide'], ['Died in', 'wide'], ['Reason'], ['Times', 'num'], ['Last died', 'wide'], ['']]
      .map(([t, c]) => h('th', { scope: 'col', class: c }, t)))),
    dead.slice(0, ROWS).map(m => deadRow(m, qi, page)));
  const showMore = h('button', { type: 'button', class: 'btn btn-small more' }, `Show ${num(dead.length - ROWS)} more`);
  showMore.addEventListener('click', () => {
    table.append(...dead.slice(ROWS).map(m => deadRow(m, qi, page)));
    showMore.remove();
  });
  return h('section', { class: 'card dlq', 'aria-labelledby': id, dataset: { vhost: qi.vhost, queue: qi.name } },
    h('div', { class: 'card-head' },
      h('div', {},
        h('h2', { id }, h('a', { href: href('queues', qi.vhost, qi.name) }, qi.name), qi.vhost !== '/' ? h('span', { class: 'muted' }, ` (${qi.vhost})`) : null),
        h('p', { class: 'dlq-summary' },
          h('b', { class: 'dlq-count' }, num(qi.messages_ready)), ' ready',
          qi.messages_unacknowledged ? `, ${num(qi.messages_unacknowledged)} being handled` : '',
          ' · died in ', origins(dead).map((o, i) => [i ? ', ' : '', h('b', {}, o.queue), ' ', badge(o.reason, 'bad'), ` ×${o.n}`]),
          more ? h('span', { class: 'small' }, ` (of the first ${SCAN})`) : null)),
      h('div', { class: 'actions' },
        h('a', { class: 'btn', href: href('queues', qi.vhost, qi.name, 'messages') }, 'Browse'), open)),
    panel,
    h('div', { class: 'table-wrap' }, table),
    dead.length > ROWS ? showMore : null,
    more ? h('p', { class: 'muted small' }, `Only the first ${SCAN} messages are listed here. `, h('a', { href: href('queues', qi.vhost, qi.name, 'messages') }, 'Browse them all →')) : null);
}

function deadRow(m, qi, page) {
  const d = m.x_death[0];
  const detail = h('tr', { class: 'detail-row', hidden: true }, h('td', { colspan: 8 }));
  const btn = h('button', { type: 'button', class: 'btn btn-small', 'aria-expanded': 'false', 'aria-label': `Failure history of message ${m.id}` }, 'History');
  btn.addEventListener('click', () => {
    const show = detail.hidden;
    detail.hidden = !show;
    btn.setAttribute('aria-expanded', String(show));
    if (show && !detail.firstChild.firstChild) {
      const tl = h('div', { class: 'history' });
      detail.firstChild.append(h('div', { class: 'msg-detail' },
        h('div', { class: 'grid-2' },
          h('div', {}, h('h3', {}, 'Failure history (x-death)'), deathList(m.x_death), payload(m)),
          h('div', {}, h('h3', {}, 'Event history'), tl))));
      const mid = m.properties?.message_id;
      loadTimeline(tl, mid ? { vhost: qi.vhost, messageID: mid } : { vhost: qi.vhost, queue: qi.name, id: m.id }, page.signal);
    }
  });
  return h('tbody', { dataset: { id: String(m.id) } },
    h('tr', {},
      h('td', { class: 'num mono' }, String(m.id)),
      h('td', { class: 'mono' }, m.properties?.message_id || h('span', { class: 'muted' }, '–')),
      h('td', { class: 'body-cell wide' }, shortBody(m)),
      h('td', { class: 'wide' }, d.queue),
      h('td', {}, badge(d.reason, 'bad')),
      h('td', { class: 'num' }, num(m.x_death.reduce((a, x) => a + (x.count || 0), 0))),
      h('td', { class: 'wide' }, timeEl(d.time, ago(d.time))),
      h('td', {}, btn)),
    detail);
}
