// The admin API client: same origin, basic auth from sessionStorage,
// errors as ApiError with the server's {"error", "reason"}.

const AUTH = 'ferry.auth';
const USER = 'ferry.user';

export class ApiError extends Error {
  constructor(status, error, reason, method, path) {
    super(reason || error || `HTTP ${status}`);
    this.status = status;
    this.error = error;
    this.reason = reason;
    this.method = method;
    this.path = path;
  }

  /** describe is the line the page shows for this error. */
  describe() {
    const what = this.status ? `${this.status} ${this.error || ''}`.trim() : this.error;
    return `${this.method} ${this.path} — ${what}${this.reason && this.reason !== this.error ? ': ' + this.reason : ''}`;
  }
}

/** setCredentials keeps the basic auth header for this tab only. */
export function setCredentials(user, pass) {
  const bin = Array.from(new TextEncoder().encode(`${user}:${pass}`), b => String.fromCharCode(b)).join('');
  sessionStorage.setItem(AUTH, 'Basic ' + btoa(bin));
  sessionStorage.setItem(USER, user);
}

export function clearCredentials() {
  sessionStorage.removeItem(AUTH);
  sessionStorage.removeItem(USER);
}

export const hasCredentials = () => sessionStorage.getItem(AUTH) !== null;
export const currentUser = () => sessionStorage.getItem(USER) || '';

/** listeners of a 401: the app shows the login form. */
const unauthorized = new Set();
export const onUnauthorized = fn => unauthorized.add(fn);

/**
 * api calls the admin API and returns the decoded JSON (null for 204).
 * credentials: 'omit' keeps the browser from showing its own basic-auth
 * prompt on a 401: the page's login form handles that.
 */
export async function api(path, { method = 'GET', body, signal } = {}) {
  const headers = { Accept: 'application/json' };
  const auth = sessionStorage.getItem(AUTH);
  if (auth) headers.Authorization = auth;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method, headers, signal, credentials: 'omit', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'unreachable', `Ferry did not answer (${e.message}). Is the node running?`, method, path);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data?.error || res.statusText, data?.reason || (data ? '' : text.trim()), method, path);
    if (res.status === 401 && !path.startsWith('/api/whoami')) unauthorized.forEach(fn => fn(err));
    throw err;
  }
  return data;
}

/** q escapes one path segment: the vhost "/" becomes %2F. */
export const q = encodeURIComponent;

/** queuePath is /api/…/{vhost}/{name} for a queue. */
export const queuePath = (prefix, vhost, name) => `${prefix}/${q(vhost)}/${q(name)}`;
