// The console's shell: sign-in, navigation by role, and a hash router (#/devices/…) so every page has a link
// and the server serves one page only.

import { Api } from './api.js';
import { h, replace, message } from './dom.js';
import { loginPage } from './pages/login.js';
import { dashboardPage } from './pages/dashboard.js';
import { devicesPage } from './pages/devices.js';
import { devicePage, deviceTabPage } from './pages/device.js';
import { enrollmentPage } from './pages/enrollment.js';
import { groupsPage, groupPage } from './pages/groups.js';
import { policiesPage, newPolicyPage, editPolicyPage, policyPage } from './pages/policies.js';
import { auditPage } from './pages/audit.js';
import { commandsPage, commandBatchPage } from './pages/commands.js';
import { compliancePage } from './pages/compliance.js';
import { threatsPage } from './pages/threats.js';
import { appsPage, appPage } from './pages/apps.js';
import { pluginsPage } from './pages/plugins.js';
import { adminsPage, tokensPage } from './pages/admins.js';
import { usersPage, userPage, directoryGroupsPage, directoryGroupPage } from './pages/users.js';
import { pluginPage } from './pages/plugin-page.js';

// In navigation order; `nav` names the pages that have a menu entry. A page is listed, and opened, only when the
// admin's role holds the permission its first request needs.
const pages = [
  dashboardPage, devicesPage, devicePage, deviceTabPage, commandsPage, commandBatchPage, enrollmentPage, groupsPage, groupPage, usersPage, userPage,
  directoryGroupsPage, directoryGroupPage, policiesPage, newPolicyPage, editPolicyPage, policyPage, appsPage, appPage, compliancePage, threatsPage,
  pluginsPage, pluginPage, adminsPage, tokensPage, auditPage,
];

const api = new Api();
const main = document.getElementById('main');

function match(hash) {
  const [path, search] = (hash.replace(/^#/, '') || '/').split('?');
  const query = new URLSearchParams(search ?? '');
  for (const page of pages) {
    const names = [];
    const regex = new RegExp(`^${page.path.replace(/:([a-zA-Z]+)/g, (_, name) => {
      names.push(name);
      return '([^/]+)';
    })}$`);
    const found = regex.exec(path);
    if (found) {
      const params = Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(found[index + 1])]));
      return { page, params: { ...params, query } };
    }
  }
  return null;
}

function navigate(path) {
  if (location.hash === `#${path}`) route();
  else location.hash = path;
}

function renderNav(current) {
  const items = pages.filter(page => page.nav && api.can(page.needs)).map(page => {
    const active = current && (current === page || current.section === page.nav);
    return h('li', {}, h('a', { href: `#${page.path}`, 'aria-current': active ? 'page' : null }, page.nav));
  });
  replace(document.getElementById('nav'), items);
  document.getElementById('who').textContent = `${api.me.username} (${api.me.roleName.toLowerCase()})`;
  document.getElementById('top').hidden = false;
}

let generation = 0;
// Why a single sign-on was refused, shown once on the sign-in page.
let signInRefusal = null;

/**
 * Draws the page for the current address. While it loads, the content area is aria-busy; once drawn, its
 * data-route names the address it shows (for assistive technology and for tests, which wait for both).
 */
async function route() {
  generation += 1;
  const mine = generation;
  const address = location.hash || '#/';
  main.setAttribute('aria-busy', 'true');
  try {
    await draw(mine);
  } finally {
    if (mine === generation) {
      main.dataset.route = address;
      main.removeAttribute('aria-busy');
    }
  }
}

async function draw(mine) {
  if (!api.me) {
    document.getElementById('top').hidden = true;
    document.title = 'Sign in · Shepherd';
    loginPage({ api, main, refusal: signInRefusal, done: () => navigate(location.hash.replace(/^#/, '') || '/') });
    signInRefusal = null;
    return;
  }
  const found = match(location.hash);
  renderNav(found?.page);
  if (!found) {
    document.title = 'Not found · Shepherd';
    replace(main, h('h1', {}, 'Page not found'), message('error', 'There is no console page at this address.'),
      h('p', {}, h('a', { href: '#/' }, 'Go to the dashboard')));
    return;
  }
  const { page, params } = found;
  document.title = `${page.title} · Shepherd`;
  if (!api.can(page.needs)) {
    replace(main, h('h1', {}, page.title),
      message('error', `Your role (${api.me.roleName.toLowerCase()}) cannot open this page. Ask an administrator if you need it.`));
    return;
  }
  replace(main, h('p', { class: 'loading' }, 'Loading…'));
  try {
    // A page started for an earlier address must not draw over the current one: `stale` tells it to stop.
    await page.render({ api, main, params, navigate, stale: () => mine !== generation });
  } catch (error) {
    if (mine !== generation || !api.me) return;
    replace(main, h('h1', {}, page.title), message('error', error.message));
  }
  if (mine === generation) main.querySelector('h1')?.focus?.();
}

async function start() {
  api.onSignedOut = () => route();
  // The skip link's #main would be taken for a console address by the router: it only moves the focus.
  document.querySelector('.skip-link').addEventListener('click', event => {
    event.preventDefault();
    main.focus();
  });
  document.getElementById('sign-out').addEventListener('click', async () => {
    await api.logout().catch(() => {});
    location.hash = '/';
    route();
  });
  window.addEventListener('hashchange', route);
  signInRefusal = api.takeSingleSignOn();
  try {
    await api.resume();
  } catch (error) {
    replace(main, h('h1', {}, 'Shepherd'), message('error', error.message));
    return;
  }
  route();
}

start();
