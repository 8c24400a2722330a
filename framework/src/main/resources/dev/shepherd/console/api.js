// The console's only way to the server: the admin REST API, with the session cookie and its CSRF token.
//
// Before sending, every request is checked against the route table the server publishes (/api/openapi.json, each
// operation's x-permission) and the signed-in admin's permissions (/api/v1/auth/me). A request the role may not
// make is refused here and never sent, so no page can make one, whatever its buttons show.

const CSRF_KEY = 'shepherd.csrf';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
// Body types any web page may send to any server; the server refuses them (cross-site forms), so files go as bytes.
const FORM_TYPES = new Set(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']);

/** An API call that failed, with a message an admin can act on. */
export class ApiError extends Error {
  constructor(status, message, details = []) {
    super(message);
    this.status = status;
    this.details = details;
  }
}

/** Plain words for a failed response: the server's own detail when it sent a problem, else the status. */
async function errorFrom(response) {
  let problem = null;
  try {
    problem = await response.json();
  } catch {
    // not a problem document: fall back to the status below
  }
  const fallback = {
    400: 'The server could not accept what was sent.',
    401: 'Your session has ended. Please sign in again.',
    403: 'Your role is not allowed to do that.',
    404: 'That no longer exists.',
    409: 'Someone else changed this at the same time. Reload and try again.',
    412: 'Someone else changed this at the same time. Reload and try again.',
    429: 'Too many attempts. Wait a few minutes and try again.',
  }[response.status] ?? `The server answered with an error (${response.status}). Try again later.`;
  const detail = problem?.detail || fallback;
  return new ApiError(response.status, detail, Array.isArray(problem?.errors) ? problem.errors : []);
}

const escape = text => text.replace(/[.*+?^$()|[\]\\]/g, '\\$&');

/**
 * A route template as the server matches it: {name} is one path segment, and a trailing /** (plugins' admin
 * endpoints, /api/v1/plugins/{pluginId}/{path}/**) matches the path itself and anything below it.
 */
function pattern(template) {
  const rest = template.endsWith('/**');
  const escaped = (rest ? template.slice(0, -3) : template).split(/\{[^}]+}/).map(escape);
  return new RegExp(`^${escaped.join('[^/]+')}${rest ? '(/.*)?' : ''}$`);
}

export class Api {
  constructor() {
    this.csrf = sessionStorage.getItem(CSRF_KEY);
    this.me = null;
    this.routes = [];
    this.onSignedOut = () => {};
  }

  /**
   * Signs in with the password. On success the admin and the route table are loaded and null is returned; when the
   * account has a second factor, no session starts yet and the answer holds the pending token for signInWithCode.
   */
  async login(username, password) {
    const response = await this.signInStep('/api/v1/auth/login', { username, password }, 'The username or password is wrong.');
    if (response.status === 202) return response.json();
    await this.started(response);
    return null;
  }

  /** The second step of a sign-in: the pending token and { code } or { recoveryCode }. */
  async signInWithCode(pendingToken, proof) {
    // A refusal's own words say why (a wrong code, or a pending sign-in that expired).
    const response = await this.signInStep('/api/v1/auth/login/second-factor', { pendingToken, ...proof }, null);
    await this.started(response);
  }

  async signInStep(path, body, wrong) {
    const response = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
    if (!response.ok) {
      throw response.status === 401 && wrong ? new ApiError(401, wrong) : await errorFrom(response);
    }
    return response;
  }

  async started(response) {
    const signedIn = await response.json();
    this.csrf = signedIn.csrfToken;
    sessionStorage.setItem(CSRF_KEY, this.csrf);
    await this.load();
  }

  /**
   * Takes what a single sign-on left in the address: the new session's CSRF token (#sso=…), or a refusal's code
   * (#sso-error=…), and clears it from the address bar and the history. The server puts the token in the fragment,
   * which browsers never send to a server nor put in a Referer.
   *
   * @returns the refusal's code, or null
   */
  takeSingleSignOn() {
    const hash = location.hash;
    if (!hash.startsWith('#sso=') && !hash.startsWith('#sso-error=')) return null;
    history.replaceState(null, '', `${location.pathname}#/`);
    if (hash.startsWith('#sso-error=')) return hash.slice('#sso-error='.length);
    this.csrf = hash.slice('#sso='.length);
    sessionStorage.setItem(CSRF_KEY, this.csrf);
    return null;
  }

  /** The "Sign in with …" buttons: the running single sign-on providers (a public route), none when it fails. */
  async signInProviders() {
    try {
      const response = await fetch('/api/v1/auth/sign-in-providers', { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
      return response.ok ? await response.json() : [];
    } catch {
      return [];
    }
  }

  /**
   * Picks up the session of this browser tab after a reload. The CSRF token is kept in sessionStorage (this tab
   * only); without it there is no session to resume, and the console shows the sign-in page without asking.
   */
  async resume() {
    if (!this.csrf) return false;
    try {
      await this.load();
      return true;
    } catch (error) {
      this.forget();
      if (error.status === 401) return false;
      throw error;
    }
  }

  async load() {
    const [me, document] = await Promise.all([
      this.raw('GET', '/api/v1/auth/me'),
      fetch('/api/openapi.json', { headers: { Accept: 'application/json' } }).then(response => response.json()),
    ]);
    this.me = me;
    this.routes = [];
    for (const [template, operations] of Object.entries(document.paths ?? {})) {
      for (const [method, operation] of Object.entries(operations)) {
        this.routes.push({
          method: method.toUpperCase(),
          template,
          pattern: pattern(template),
          permission: operation['x-permission'] ? operation['x-permission'].toUpperCase() : null,
          scope: operation['x-scope'] ?? null,
        });
      }
    }
  }

  async logout() {
    try {
      if (this.me) await this.post('/api/v1/auth/logout');
    } finally {
      this.forget();
    }
  }

  forget() {
    this.me = null;
    this.csrf = null;
    sessionStorage.removeItem(CSRF_KEY);
  }

  /** Whether the signed-in admin holds a permission, such as 'POLICY_WRITE'. */
  can(permission) {
    return Boolean(this.me?.permissions?.includes(permission));
  }

  /** Whether the signed-in admin may call this method on this path (query string excluded). */
  allows(method, path) {
    const route = this.routes.find(candidate => candidate.method === method && candidate.pattern.test(path));
    if (!route) return false;
    // An admin whose role is granted over some device groups is refused the routes that act on the whole fleet.
    if (this.me?.scope && route.scope === 'fleet_only') return false;
    return route.permission === null || this.can(route.permission);
  }

  get(path, query) {
    return this.request('GET', path, { query });
  }

  post(path, body) {
    return this.request('POST', path, { body });
  }

  put(path, body, headers) {
    return this.request('PUT', path, { body, headers });
  }

  patch(path, body, headers) {
    return this.request('PATCH', path, { body, headers });
  }

  delete(path, headers) {
    return this.request('DELETE', path, { headers });
  }

  async request(method, path, { body, query, headers } = {}) {
    if (!this.allows(method, path)) {
      const role = (this.me?.role ?? 'signed-out').toLowerCase();
      throw new ApiError(403, `Your role (${role}) is not allowed to do this, so the console did not ask the server.`);
    }
    return this.raw(method, path, { body, query, headers });
  }

  async raw(method, path, { body, query, headers = {} } = {}) {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== '') search.set(name, value);
    }
    const url = search.size ? `${path}?${search}` : path;
    // A file (a Blob) is sent as it is, with its own type (bytes when that is a form type); anything else as JSON.
    const file = body instanceof Blob;
    const sent = { Accept: 'application/json', ...headers };
    const fileType = file && body.type && !FORM_TYPES.has(body.type.split(';')[0].trim().toLowerCase()) ? body.type : 'application/octet-stream';
    if (body !== undefined) sent['Content-Type'] = file ? fileType : 'application/json';
    if (!SAFE.has(method) && this.csrf) sent['X-CSRF-Token'] = this.csrf;
    let response;
    try {
      response = await fetch(url, {
        method,
        headers: sent,
        body: body === undefined || file ? body : JSON.stringify(body),
        credentials: 'same-origin',
      });
    } catch {
      throw new ApiError(0, 'The server cannot be reached. Check the network connection and try again.');
    }
    if (response.status === 401 && this.me) {
      this.forget();
      this.onSignedOut();
    }
    if (!response.ok) throw await errorFrom(response);
    if (response.status === 204) return null;
    return response.json();
  }
}
