// The dashboard's shell: login, navigation and a hash router. Each page
// module exports render(view, params, page) and uses page.poll for live
// data; the router stops a page's pollers when another page opens.

import { api, setCredentials, clearCredentials, hasCredentials, currentUser, onUnauthorized } from './api.js';
import { h, replace } from './dom.js';
import * as errors from './errors.js';
import * as overview from './pages/overview.js';
import * as queues from './pages/queues.js';
import * as queue from './pages/queue.js';
import * as messages from './pages/messages.js';
import * as deadLetters from './pages/deadletters.js';
import * as history from './pages/history.js';

const $ = id => document.getElementById(id);

// routes: a pattern of segments ("{x}" takes one) → page, nav entry.
const routes = [
  { path: [], page: overview, nav: 'overview', title: 'Overview' },
  { path: ['queues'], page: queues, nav: 'queues', title: 'Queues' },
  { path: ['queues', '{vhost}', '{name}'], page: queue, nav: 'queues', title: 'Queue' },
  { path: ['queues', '{vhost}', '{name}', 'messages'], page: messages, nav: 'queues', title: 'Messages' },
  { path: ['dead-letters'], page: deadLetters, nav: 'dead-letters', title: 'Dead letters' },
  { path: ['history'], page: history, nav: 'history', title: 'Message history' },
  { path: ['history', '{vhost}', '{message_id}'], page: history, nav: 'history', title: 'Message history' },
  { path: ['history', '{vhost}', '{queue}', '{id}'], page: history, nav: 'history', title: 'Message history' },
];

function parse(hash) {
  const [p, qs] = hash.replace(/^#\/?/, '').split('?');
  let segs;
  try {
    segs = p === '' ? [] : p.split('/').map(decodeURIComponent);
  } catch {
    return null; // a malformed escape: no such page
  }
  const query = new URLSearchParams(qs || '');
  for (const r of routes) {
    if (r.path.length !== segs.length) continue;
    const params = {};
    if (r.path.every((x, i) => x.startsWith('{') ? (params[x.slice(1, -1)] = segs[i], true) : x === segs[i])) {
      return { route: r, params, query };
    }
  }
  return null;
}

/** Page is one rendering of a route: its pollers stop when it closes. */
class Page {
  constructor() {
    this.timers = new Set();
    this.cleanups = [];
    this.closed = false;
    this.ctrl = new AbortController();
  }

  get signal() { return this.ctrl.signal; }

  /**
   * poll runs fn now and then every ms (a number, or a function asked
   * each time) after each run ends, showing its errors in the banner
   * under key and clearing them when it succeeds.
   */
  poll(key, ms, fn) {
    const run = async () => {
      if (this.closed) return;
      try {
        await fn();
        errors.clear(key);
      } catch (e) {
        if (!this.closed) errors.show(key, e);
      }
      if (!this.closed) {
        const t = setTimeout(() => { this.timers.delete(t); run(); }, typeof ms === 'function' ? ms() : ms);
        this.timers.add(t);
      }
    };
    run();
  }

  onClose(fn) { this.cleanups.push(fn); }

  close() {
    this.closed = true;
    this.ctrl.abort();
    this.timers.forEach(clearTimeout);
    this.cleanups.forEach(fn => fn());
  }
}

let current = null;

async function route() {
  if (!location.hash.startsWith('#/') && location.hash !== '') return; // in-page anchors
  const moved = current !== null;
  current?.close();
  errors.clearAll();
  const view = $('view');
  const m = parse(location.hash);
  document.querySelectorAll('#nav a').forEach(a => {
    if (m && a.dataset.nav === m.route.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  if (!m) {
    document.title = 'Not found · Ferry';
    replace(view, h('section', { class: 'page' }, h('h1', {}, 'Page not found'),
      h('p', {}, 'The dashboard has no page at ', h('code', {}, location.hash), '. ', h('a', { href: '#/' }, 'Back to the overview'), '.')));
    return;
  }
  document.title = `${m.route.title} · Ferry`;
  const page = new Page();
  current = page;
  view.replaceChildren();
  try {
    await m.route.page.render(view, m.params, page, m.query);
  } catch (e) {
    if (!page.closed) errors.show('render', e);
  }
  // After a move between pages, keyboard and screen-reader users land on
  // the new page's title rather than on the link they left.
  if (moved && !page.closed) {
    const h1 = view.querySelector('h1');
    if (h1 && !view.contains(document.activeElement)) {
      h1.tabIndex = -1;
      h1.focus({ preventScroll: true });
    }
  }
}

function showLogin(message) {
  current?.close();
  current = null;
  $('shell').hidden = true;
  $('login').hidden = false;
  const msg = $('login-error');
  msg.textContent = message || '';
  msg.hidden = !message;
  $('login-user').focus();
}

async function showShell() {
  $('login').hidden = true;
  $('shell').hidden = false;
  $('whoami').textContent = currentUser();
  try {
    await api('/api/whoami');
  } catch (e) {
    if (e.status === 401) {
      clearCredentials();
      showLogin('Your login is no longer accepted; log in again.');
      return;
    }
    errors.show('node', e);
  }
  try {
    const ov = await api('/api/overview');
    const name = ov.product_name || 'Ferry', v = ov.product_version || '';
    $('node').textContent = `${v.toLowerCase().startsWith(name.toLowerCase()) ? v : `${name} ${v}`} · ${ov.node || ''}`;
  } catch (e) {
    errors.show('node', e);
  }
  await route();
}

async function login(ev) {
  ev.preventDefault();
  const user = $('login-user').value.trim(), pass = $('login-pass').value;
  if (!user) { showLogin('Enter a user name.'); return; }
  const btn = $('login-submit');
  btn.disabled = true;
  setCredentials(user, pass);
  try {
    await api('/api/whoami');
    $('login-pass').value = '';
  } catch (e) {
    clearCredentials();
    showLogin(e.status === 401 ? 'The user name or password was refused (as over AMQP, guest may log in only from this machine).' : e.describe());
    return;
  } finally {
    btn.disabled = false;
  }
  await showShell();
}

function start() {
  errors.init($('errors'));
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', () => { clearCredentials(); showLogin('You are logged out.'); });
  $('skip').addEventListener('click', e => { e.preventDefault(); $('main').focus(); });
  window.addEventListener('hashchange', () => { if (hasCredentials()) route(); });
  onUnauthorized(() => { clearCredentials(); showLogin('Your login is no longer accepted; log in again.'); });
  if (hasCredentials()) showShell();
  else showLogin();
}

start();
