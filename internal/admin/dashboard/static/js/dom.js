// Small DOM and formatting helpers. Every value from the API goes into
// the page as text (textContent, attributes), never as markup, so a
// message payload or a queue name can never inject HTML or script.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** h('a', {href, class}, ...children) builds an HTML element. */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** s('path', {d}) builds an SVG element. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** clear empties el and appends children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const intFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const rateFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1, minimumFractionDigits: 1 });

/** num formats a count with digit grouping. */
export function num(n) {
  return n === undefined || n === null || Number.isNaN(n) ? '–' : intFmt.format(n);
}

/** rate formats messages per second. */
export function rate(r) {
  if (r === undefined || r === null || Number.isNaN(r)) return '–';
  if (Math.abs(r) >= 1000) return intFmt.format(r) + '/s';
  return rateFmt.format(r) + '/s';
}

/** bytes formats a size in bytes with binary units. */
export function bytes(n) {
  if (n === undefined || n === null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? intFmt.format(n) : n.toFixed(n < 10 ? 2 : 1)) + ' ' + units[i];
}

/** duration formats seconds as "3h 12m", "45s", "0.4s". */
export function duration(sec) {
  if (sec === undefined || sec === null || Number.isNaN(sec)) return '–';
  if (sec < 1) return sec === 0 ? '0s' : sec.toFixed(1) + 's';
  const d = Math.floor(sec / 86400), hh = Math.floor(sec % 86400 / 3600), m = Math.floor(sec % 3600 / 60), ss = Math.floor(sec % 60);
  if (d) return `${d}d ${hh}h`;
  if (hh) return `${hh}h ${m}m`;
  if (m) return `${m}m ${ss}s`;
  return `${ss}s`;
}

/** time formats a Date, RFC 3339 text or Unix seconds as local date and time. */
export function time(t) {
  const d = toDate(t);
  if (!d) return '–';
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** clock formats a time of day with milliseconds, for timelines. */
export function clock(t) {
  const d = toDate(t);
  if (!d) return '–';
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3 });
}

/** ago formats how long before now t was. */
export function ago(t) {
  const d = toDate(t);
  if (!d) return '';
  return duration(Math.max(0, (Date.now() - d.getTime()) / 1000)) + ' ago';
}

export function toDate(t) {
  if (t === undefined || t === null || t === '') return null;
  if (t instanceof Date) return t;
  if (typeof t === 'number') return new Date(t * 1000);
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** timeEl is a <time> element showing t, with the exact instant as its title. */
export function timeEl(t, text) {
  const d = toDate(t);
  if (!d) return h('span', { class: 'muted' }, '–');
  return h('time', { datetime: d.toISOString(), title: d.toISOString() }, text ?? time(d));
}

/** qkey identifies a queue across vhosts. */
export const qkey = (vhost, name) => vhost + '\u0000' + name;

/** href builds a hash route from raw segments, escaping each (the vhost "/" is %2F). */
export function href(...segs) {
  return '#/' + segs.map(encodeURIComponent).join('/');
}

/** badge is a small coloured label; kind picks the colour. */
export function badge(text, kind = '') {
  return h('span', { class: ['badge', kind && 'badge-' + kind] }, text);
}

/** stat is a labelled figure card. */
export function stat(label, value, opts = {}) {
  return h('div', { class: ['stat', opts.kind && 'stat-' + opts.kind], dataset: opts.key ? { stat: opts.key } : undefined },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-value' }, value),
    opts.sub ? h('div', { class: 'stat-sub' }, opts.sub) : null);
}

/** empty is the placeholder of a section with nothing to show. */
export function empty(title, text) {
  return h('div', { class: 'empty' }, h('p', { class: 'empty-title' }, title), text ? h('p', {}, text) : null);
}

/** crumbs is a breadcrumb trail of [text, href] pairs (the last one is the page). */
export function crumbs(...items) {
  return h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, items.map(([text, link], i) => [
    i ? h('span', { class: 'sep', 'aria-hidden': 'true' }, '›') : null,
    link ? h('a', { href: link }, text) : h('span', { 'aria-current': 'page' }, text)]));
}

/** vhostNote names the vhost beside a page title. */
export function vhostNote(v) {
  return h('span', { class: 'vhost muted' }, v === '/' ? 'vhost / (default)' : `vhost ${v}`);
}

/** valueText shows a header or argument value: objects as JSON, "" visibly. */
export function valueText(v) {
  if (v === '') return '""';
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}
