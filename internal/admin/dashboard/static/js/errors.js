// The error banner at the top of the page. Each source of errors (a
// poller, a button) has a key, so a poll that keeps failing shows one
// line, and the line goes when the same source succeeds again.

import { h } from './dom.js';

let box;
const shown = new Map();

export function init(el) { box = el; }

function text(err) {
  return typeof err?.describe === 'function' ? err.describe() : String(err?.message || err);
}

/** show puts err on the page under key (replacing that key's last error). */
export function show(key, err) {
  if (err?.name === 'AbortError') return;
  const line = h('div', { class: 'error-line', role: 'alert' },
    h('span', { class: 'error-icon', 'aria-hidden': 'true' }, '!'),
    h('span', { class: 'error-text' }, text(err)),
    h('button', { type: 'button', class: 'btn-icon', 'aria-label': 'Dismiss this error', onclick: () => clear(key) }, '×'));
  shown.get(key)?.remove();
  shown.set(key, line);
  box.append(line);
}

/** clear removes key's error, if shown. */
export function clear(key) {
  shown.get(key)?.remove();
  shown.delete(key);
}

/** clearAll empties the banner (on a new page). */
export function clearAll() {
  shown.forEach(l => l.remove());
  shown.clear();
}

/** inline is an error shown inside a section rather than in the banner. */
export function inline(err) {
  return h('div', { class: 'error-inline', role: 'alert' }, text(err));
}
