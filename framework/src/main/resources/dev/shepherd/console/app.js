// The console's shell: sign-in, the sidebar (navigation by role, plugin pages), the header, and a hash router
// (#/devices/…) so every page has a link and the server serves one page only.

import { Api } from './api.js';
import { h, replace, message, icon, showInvalidFieldsAtTheirField } from './dom.js';
import { loginPage } from './pages/login.js';
import { dashboardPage } from './pages/dashboard.js';
import { devicesPage } from './pages/devices.js';
import { devicePage, deviceTabPage } from './pages/device.js';
import { enrollmentPage } from './pages/enrollment.js';
import { groupsPage, groupPage } from './pages/groups.js';
import { policiesPage, newPolicyPage, editPolicyPage, policyPage, policyVersionPage, policyDiffPage } from './pages/policies.js';
import { webhooksPage, webhookPage } from './pages/webhooks.js';
import { reportsPage } from './pages/reports.js';
import { auditPage } from './pages/audit.js';
import { commandsPage, commandBatchPage } from './pages/commands.js';
import { compliancePage } from './pages/compliance.js';
import { threatsPage } from './pages/threats.js';
import { appsPage, appPage } from './pages/apps.js';
import { pluginsPage } from './pages/plugins.js';
import { adminsPage, tokensPage } from './pages/admins.js';
import { usersPage, userPage, directoryGroupsPage, directoryGroupPage } from './pages/users.js';
import { pluginPage, pluginPages } from './pages/plugin-page.js';
import { mountGlobalSearch } from './global-search.js';

// Every page the router knows. A page is opened only when the admin's role holds the permission its first request needs.
const pages = [
  dashboardPage, devicesPage, devicePage, deviceTabPage, commandsPage, commandBatchPage, enrollmentPage, groupsPage, groupPage, usersPage, userPage,
  directoryGroupsPage, directoryGroupPage, policiesPage, newPolicyPage, editPolicyPage, policyPage, policyVersionPage, policyDiffPage, appsPage, appPage,
  compliancePage, threatsPage, reportsPage, webhooksPage, webhookPage, pluginsPage, pluginPage, adminsPage, tokensPage, auditPage,
];

// The sidebar, in order: sections of [page, icon] (icon: a symbol of icons.svg). A page is listed only when the admin's
// role holds what it needs. To add a page to the sidebar: give it `nav` (its entry's words), add it to `pages` above
// and here to its section. Pages of running plugins are listed after these, under "Plugin pages".
const sections = [
  { label: null, entries: [[dashboardPage, 'dashboard']] },
  { label: 'Fleet', entries: [[devicesPage, 'devices'], [commandsPage, 'commands'], [enrollmentPage, 'enrollment'], [groupsPage, 'groups'], [usersPage, 'users'],
    [reportsPage, 'reports']] },
  { label: 'Configuration', entries: [[policiesPage, 'policies'], [appsPage, 'apps'], [compliancePage, 'compliance']] },
  { label: 'Security', entries: [[threatsPage, 'threats']] },
  { label: 'Administration', entries: [[pluginsPage, 'plugins'], [webhooksPage, 'webhooks'], [adminsPage, 'admins'], [tokensPage, 'tokens'], [auditPage, 'audit']] },
];
// How long the sidebar's list of plugin pages is reused before it is asked for again (plugins come and go).
const PLUGIN_PAGES_TTL_MS = 60_000;

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

function navLink(href, text, symbol, active) {
  return h('li', {}, h('a', { href, 'aria-current': active ? 'page' : null }, icon(symbol), h('span', {}, text)));
}

function renderNav(current, address) {
  const listed = sections.map(section => ({ ...section, entries: section.entries.filter(([page]) => page.nav && api.can(page.needs)) }))
    .filter(section => section.entries.length);
  replace(document.getElementById('nav'), listed.map((section, index) => {
    const id = `nav-section-${index}`;
    return h('div', { class: 'nav-section' },
      section.label ? h('p', { class: 'nav-heading', id }, section.label) : null,
      h('ul', { 'aria-labelledby': section.label ? id : null }, section.entries.map(([page, symbol]) =>
        navLink(`#${page.path}`, page.nav, symbol, current && (current === page || (current.section === page.nav && current !== pluginPage))))));
  }));
  document.getElementById('who').textContent = `${api.me.username} (${api.me.roleName.toLowerCase()})`;
  document.getElementById('top').hidden = false;
  mountGlobalSearch(api, document.getElementById('header-search'));
  document.getElementById('sidebar').hidden = false;
  renderPluginNav(address, current === pluginPage || current === pluginsPage);
}

let pluginNav = { at: 0, pages: [] };

/** The pages of running plugins the admin may open, in the sidebar; asked for again on the plugin pages and after a while. */
async function renderPluginNav(address, fresh) {
  const list = document.getElementById('nav-plugins');
  if (!api.allows('GET', '/api/v1/console/pages')) {
    replace(list);
    return;
  }
  const draw = () => replace(list, pluginNav.pages.length ? h('div', { class: 'nav-section' },
    h('p', { class: 'nav-heading', id: 'nav-plugins-heading' }, 'Plugin pages'),
    h('ul', { 'aria-labelledby': 'nav-plugins-heading' }, pluginNav.pages.map(page => {
      const href = `#/plugins/${encodeURIComponent(page.plugin)}/${encodeURIComponent(page.id)}`;
      return navLink(href, page.title, 'page', address === href);
    }))) : null);
  draw();
  if (!fresh && Date.now() - pluginNav.at < PLUGIN_PAGES_TTL_MS) return;
  try {
    pluginNav = { at: Date.now(), pages: await pluginPages(api) };
    if (api.me) draw();
  } catch {
    // The sidebar keeps the list it had; the plugins page says what is wrong with plugins.
  }
}

/** The sidebar on narrow screens: a button opens it over the page (focus to its first entry); Escape or a choice closes it. */
function setUpSidebarToggle() {
  const toggle = document.getElementById('nav-toggle');
  const sidebar = document.getElementById('sidebar');
  const setOpen = open => {
    toggle.setAttribute('aria-expanded', String(open));
    sidebar.classList.toggle('open', open);
  };
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    setOpen(open);
    if (open) sidebar.querySelector('a')?.focus();
  });
  sidebar.addEventListener('keydown', event => {
    if (event.key === 'Escape' && toggle.getAttribute('aria-expanded') === 'true') {
      setOpen(false);
      toggle.focus();
    }
  });
  sidebar.addEventListener('click', event => {
    if (event.target.closest('a')) setOpen(false);
  });
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
    document.getElementById('sidebar').hidden = true;
    pluginNav = { at: 0, pages: [] };
    document.title = 'Sign in · Shepherd';
    loginPage({ api, main, refusal: signInRefusal, done: () => navigate(location.hash.replace(/^#/, '') || '/') });
    signInRefusal = null;
    return;
  }
  const found = match(location.hash);
  renderNav(found?.page, location.hash || '#/');
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
  setUpSidebarToggle();
  showInvalidFieldsAtTheirField();
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
