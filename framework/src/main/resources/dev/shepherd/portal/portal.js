// The self-service portal: signs a directory user in, lists their devices and the apps offered to each, installs an
// AVAILABLE app on a tap and polls its state until it settles. No framework, no build; every text goes in through
// textContent, never as HTML.

const API = '/portal/api';
const POLL_MS = 2000;
const SETTLED = new Set(['INSTALLED', 'FAILED', 'REMOVED']);
const STATE_TEXT = { PENDING: 'Waiting to install', INSTALLING: 'Installing…', INSTALLED: 'Installed', FAILED: 'Failed', REMOVED: 'Not installed' };

let csrfToken = sessionStorage.getItem('portal.csrf') || '';
/** The pending poll of each device's app list, stopped on sign-out. */
const polls = new Map();

const $ = (id) => document.getElementById(id);

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'className') node.className = value; else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

async function call(method, path, body) {
  const headers = { 'Accept': 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
  const response = await fetch(API + path, { method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.detail || data.title || ('The server answered ' + response.status));
    error.status = response.status;
    throw error;
  }
  return data;
}

function announce(text) {
  $('status').textContent = text;
}

function showSignIn(message = '') {
  polls.forEach((timer) => clearTimeout(timer));
  polls.clear();
  $('who').hidden = true;
  $('devices').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message;
  $('username').focus();
}

async function signIn(event) {
  event.preventDefault();
  const button = $('sign-in').querySelector('button');
  button.disabled = true;
  try {
    const signedIn = await call('POST', '/login', { username: $('username').value, password: $('password').value });
    csrfToken = signedIn.csrfToken;
    sessionStorage.setItem('portal.csrf', csrfToken);
    $('password').value = '';
    await showDevices(signedIn.displayName);
  } catch (error) {
    $('sign-in-error').textContent = error.message;
  } finally {
    button.disabled = false;
  }
}

async function signOut() {
  try {
    await call('POST', '/logout');
  } catch (ignored) {
    // signed out already
  }
  csrfToken = '';
  sessionStorage.removeItem('portal.csrf');
  showSignIn('You are signed out.');
}

async function showDevices(displayName) {
  $('sign-in').hidden = true;
  $('who-name').textContent = displayName;
  $('who').hidden = false;
  const section = $('devices');
  section.hidden = false;
  section.setAttribute('aria-busy', 'true');
  const devices = await call('GET', '/devices');
  section.replaceChildren();
  if (devices.length === 0) {
    section.append(element('p', {}, 'No device of yours is managed yet.'));
  }
  for (const device of devices) {
    const list = element('ul', { className: 'apps', 'aria-label': 'Apps for ' + device.name });
    section.append(element('article', { className: 'device', 'data-device': device.id },
      element('h2', {}, device.name || device.model || 'Your device'),
      element('p', { className: 'meta' }, [device.model, device.osVersion].filter(Boolean).join(' · ')),
      list));
    await showApps(device, list);
  }
  section.setAttribute('aria-busy', 'false');
}

async function showApps(device, list) {
  const apps = await call('GET', '/devices/' + encodeURIComponent(device.id) + '/apps');
  list.replaceChildren();
  if (apps.length === 0) {
    list.append(element('li', {}, 'No app is offered for this device.'));
  }
  let unsettled = false;
  for (const app of apps) {
    list.append(appRow(device, list, app));
    unsettled ||= !SETTLED.has(app.state);
  }
  clearTimeout(polls.get(device.id));
  polls.delete(device.id);
  if (unsettled) {
    polls.set(device.id, setTimeout(() => showApps(device, list).catch(pollFailed), POLL_MS));
  }
}

function appRow(device, list, app) {
  const placeholder = () => element('span', { className: 'no-icon', 'aria-hidden': 'true' });
  const icon = app.icon ? element('img', { src: app.icon, alt: '' }) : placeholder();
  // a store's icon host may be out of reach (a closed network): show the plain tile rather than a broken image
  if (app.icon) icon.addEventListener('error', () => icon.replaceWith(placeholder()));
  const details = [app.publisher, app.version ? 'Version ' + app.version : ''].filter(Boolean).join(' · ');
  const state = element('span', { className: 'state ' + app.state, 'data-state': app.state }, STATE_TEXT[app.state] || app.state);
  if (app.state === 'INSTALLED' && app.installedVersion) state.append(' ' + app.installedVersion);
  const lines = [element('div', { className: 'name' }, app.name), element('div', { className: 'detail' }, details), state];
  if (app.state === 'FAILED' && app.reason) lines.push(element('div', { className: 'detail reason' }, app.reason));
  if (app.intent === 'REQUIRED') lines.push(element('div', { className: 'detail' }, 'Installed for you by your organisation'));
  const row = element('li', { className: 'app', 'data-app': app.appId }, icon, element('div', {}, ...lines));
  if (app.intent === 'AVAILABLE') {
    const reinstall = app.state === 'INSTALLED' || app.state === 'FAILED';
    const button = element('button', { type: 'button', 'aria-label': (reinstall ? 'Reinstall ' : 'Install ') + app.name },
      reinstall ? 'Reinstall' : 'Install');
    button.disabled = !app.installable;
    button.addEventListener('click', () => install(device, list, app, button));
    row.append(button);
  } else {
    row.append(element('span'));
  }
  return row;
}

async function install(device, list, app, button) {
  button.disabled = true;
  try {
    await call('POST', '/devices/' + encodeURIComponent(device.id) + '/apps/' + encodeURIComponent(app.appId) + '/install');
    announce(app.name + ' is being installed.');
    await showApps(device, list);
  } catch (error) {
    if (error.status === 401) {
      showSignIn('Your session ended; sign in again.');
      return;
    }
    button.disabled = false;
    announce(error.message);
    list.querySelector('[data-app="' + CSS.escape(app.appId) + '"] .detail').textContent = error.message;
  }
}

function pollFailed(error) {
  if (error.status === 401) showSignIn('Your session ended; sign in again.');
}

// What a refused single sign-on's code means (the server sends codes only, so a link cannot put words here).
const REFUSALS = {
  'sso-expired': 'The sign-in took too long, or was already used. Please start again.',
  'sso-account': 'Your account cannot sign in here. Ask your IT department.',
  'sso-unavailable': 'Signing in with your organisation is not available right now. Try again later.',
};

/**
 * Takes what a single sign-on left in the address (the session's CSRF token, #sso=…, or a refusal's code,
 * #sso-error=…) and clears it from the address bar and the history.
 *
 * @returns the refusal's words, or ''
 */
function takeSingleSignOn() {
  const hash = location.hash;
  if (!hash.startsWith('#sso=') && !hash.startsWith('#sso-error=')) return '';
  history.replaceState(null, '', location.pathname);
  if (hash.startsWith('#sso-error=')) {
    return REFUSALS[hash.slice('#sso-error='.length)] ?? 'Signing in with your organisation did not succeed. Try again.';
  }
  csrfToken = hash.slice('#sso='.length);
  sessionStorage.setItem('portal.csrf', csrfToken);
  return '';
}

/** A "Sign in with …" link for each running single sign-on provider. */
async function showProviders() {
  try {
    const providers = await call('GET', '/sign-in-providers');
    if (!providers.length) return;
    const list = element('ul', { class: 'sso-providers' },
      ...providers.map((provider) => element('li', {}, element('a', { class: 'button', href: provider.url }, provider.displayName))));
    $('sign-in').append(element('p', {}, 'Or sign in with your organisation:'), list);
  } catch {
    // No buttons: the password form still works.
  }
}

async function start() {
  $('sign-in').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', signOut);
  const refusal = takeSingleSignOn();
  showProviders();
  // The CSRF token lives in this tab's sessionStorage: without it there is no session this tab can act with.
  if (!csrfToken) {
    showSignIn(refusal);
    return;
  }
  try {
    const me = await call('GET', '/me');
    await showDevices(me.displayName);
  } catch (error) {
    showSignIn(error.status === 401 ? '' : error.message);
  }
}

start();
