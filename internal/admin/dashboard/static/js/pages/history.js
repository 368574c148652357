// Message history: look a message up by its public id (AMQP message_id,
// SQS MessageId) across queues, or by its id in one queue.

import { h, replace, href } from '../dom.js';
import { loadTimeline } from '../timeline.js';

export async function render(view, params, page) {
  const vhostIn = h('input', { id: 'history-vhost', name: 'vhost', value: params.vhost || '/', required: true, autocomplete: 'off' });
  const idIn = h('input', { id: 'history-id', name: 'message_id', value: params.message_id || '', placeholder: 'e.g. 4f2c…', required: true, autocomplete: 'off' });
  const out = h('div', { id: 'history-result' });
  const form = h('form', { class: 'inline-form', 'aria-label': 'Find a message' },
    h('div', { class: 'field' }, h('label', { for: 'history-vhost' }, 'Vhost'), vhostIn),
    h('div', { class: 'field grow' }, h('label', { for: 'history-id' }, 'Message id'), idIn),
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Show history'));
  form.addEventListener('submit', e => {
    e.preventDefault();
    location.hash = href('history', vhostIn.value, idIn.value.trim());
  });

  let title = 'Message history', sub = 'Every step of a message, across the queues it passed through: published, delivered, retried, dead-lettered, redriven.';
  if (params.queue) {
    title = `Message #${params.id} in ${params.queue}`;
    sub = 'Its events in this queue and the queues it went on to.';
  } else if (params.message_id) {
    title = `Message ${params.message_id}`;
  }
  replace(view, h('section', { class: 'page' },
    h('header', { class: 'page-head' }, h('h1', {}, title)),
    h('p', { class: 'muted' }, sub),
    h('div', { class: 'card' }, form),
    params.message_id || params.queue ? h('div', { class: 'card' }, out) : null));

  if (params.queue) await loadTimeline(out, { vhost: params.vhost, queue: params.queue, id: params.id }, page.signal);
  else if (params.message_id) await loadTimeline(out, { vhost: params.vhost, messageID: params.message_id }, page.signal);
  else idIn.focus();
}
