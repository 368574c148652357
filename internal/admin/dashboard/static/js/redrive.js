// Redrive: the form that starts one (with a dry run's count first) and
// the row that shows a task's progress.

import { api, queuePath } from './api.js';
import { h, replace, num, timeEl, ago, badge, time } from './dom.js';
import * as errors from './errors.js';

/** taskRow shows a redrive task: state, progress, when. */
export function taskRow(t) {
  const pct = t.total > 0 ? Math.min(100, 100 * t.moved / t.total) : (t.state === 'running' ? 0 : 100);
  const fill = h('span', { class: 'bar-fill' });
  fill.style.width = pct.toFixed(0) + '%';
  const kinds = { running: 'info', done: 'good', failed: 'bad', canceled: 'warn' };
  const stateText = { running: 'Running', done: 'Done', failed: 'Failed', canceled: 'Canceled' }[t.state] || t.state;
  return h('li', { class: 'task', dataset: { task: t.id, state: t.state } },
    h('div', { class: 'task-head' },
      badge(stateText, kinds[t.state]),
      h('b', {}, t.queue), h('span', { class: 'muted' }, ' → ', t.to || 'where each message died'),
      h('span', { class: 'spacer' }),
      h('span', { class: 'task-count' }, `${num(t.moved)} of ${num(t.total)} moved`)),
    h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': t.total, 'aria-valuenow': t.moved, 'aria-label': `Redrive of ${t.queue}` }, fill),
    h('div', { class: 'muted small' }, `${t.id} · started `, timeEl(t.started_at, time(t.started_at)),
      t.finished_at ? [' · ended ', timeEl(t.finished_at, ago(t.finished_at))] : null,
      t.rate ? ` · at most ${num(t.rate)}/s` : null),
    t.error ? h('p', { class: 'error-inline' }, t.error) : null);
}

/** parseMatch reads "key=value" lines into {headers}; it throws on a bad line. */
function parseMatch(text) {
  const headers = {};
  text.split('\n').map(l => l.trim()).filter(Boolean).forEach((l, i) => {
    const eq = l.indexOf('=');
    if (eq <= 0) throw new Error(`Header filter line ${i + 1} ("${l}") is not key=value.`);
    headers[l.slice(0, eq).trim()] = l.slice(eq + 1).trim();
  });
  return Object.keys(headers).length ? { headers } : null;
}

/** redrivePanel is the form that starts a redrive of queue qi; started gets the task. */
export function redrivePanel(qi, queues, page, started, cancel) {
  const uid = Math.random().toString(36).slice(2, 8);
  const to = h('select', { id: `to-${uid}` },
    h('option', { value: '' }, 'Back to the queue each message died in'),
    queues.filter(x => x.vhost === qi.vhost && x.name !== qi.name).map(x => h('option', { value: x.name }, x.name)));
  const limit = h('input', { id: `limit-${uid}`, type: 'number', min: '1', step: '1', placeholder: 'all', inputmode: 'numeric' });
  const match = h('textarea', { id: `match-${uid}`, rows: '2', placeholder: 'tenant=acme', spellcheck: 'false' });
  const preview = h('p', { class: 'preview', 'aria-live': 'polite' }, 'Counting…');
  const msg = h('div');
  const go = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'start-redrive' } }, 'Start redrive');

  const body = () => {
    const b = {};
    if (to.value) b.to = to.value;
    if (limit.value) {
      const n = Number(limit.value);
      if (!Number.isInteger(n) || n < 1) throw new Error('The limit must be a whole number of messages, 1 or more (or empty for all).');
      b.limit = n;
    }
    const m = parseMatch(match.value);
    if (m) b.match = m;
    return b;
  };
  const path = queuePath('/api/ferry/queues', qi.vhost, qi.name) + '/redrive';

  const dry = async () => {
    try {
      const r = await api(path, { method: 'POST', body: { ...body(), dry_run: true }, signal: page.signal });
      const targets = Object.entries(r.targets || {});
      replace(preview, `${num(r.total)} message${r.total === 1 ? '' : 's'} would move`,
        targets.length ? [': ', targets.map(([k, n], i) => [i ? ', ' : '', h('b', {}, k), ` (${num(n)})`])] : '',
        r.no_target ? h('span', { class: 'warn-text' }, `. ${num(r.no_target)} have no queue to go back to: the redrive stops at the first of them.`) : '.');
      replace(msg);
    } catch (e) {
      replace(preview);
      replace(msg, errors.inline(e));
    }
  };
  to.addEventListener('change', dry);
  limit.addEventListener('change', dry);
  match.addEventListener('change', dry);

  const form = h('form', { class: 'redrive-form', 'aria-label': `Redrive ${qi.name}` },
    h('div', { class: 'field' }, h('label', { for: to.id }, 'Move to'), to),
    h('div', { class: 'field' }, h('label', { for: limit.id }, 'At most'), limit),
    h('div', { class: 'field grow' }, h('label', { for: match.id }, 'Only messages with headers (key=value, one a line)'), match),
    preview, msg,
    h('div', { class: 'actions' }, go, h('button', { type: 'button', class: 'btn btn-ghost', onclick: cancel }, 'Cancel')));
  form.addEventListener('submit', async e => {
    e.preventDefault();
    go.disabled = true;
    try {
      const t = await api(path, { method: 'POST', body: body(), signal: page.signal });
      started(t);
    } catch (err) {
      replace(msg, errors.inline(err));
    } finally {
      go.disabled = false;
    }
  });
  dry();
  return form;
}
