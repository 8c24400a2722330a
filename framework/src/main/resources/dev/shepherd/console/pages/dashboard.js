import { h, replace, empty, table, when, words, heading, message, badge, field, problemMessage, announce } from '../dom.js';

// What the dashboard calls recent events: changes an admin acts on, not the steady traffic of check-ins, inventory
// and command states (those are on each device's page).
const RECENT_EVENT_TYPES = ['device.enrolled', 'device.status_changed', 'compliance.changed', 'compliance.notify', 'plugin.',
  'command.batch_queued', 'command.expired'].join(',');
const RECENT_EVENTS = 10;

/** The starting page: what needs attention now, limited to what the admin's role may see. */
export const dashboardPage = {
  path: '/',
  nav: 'Dashboard',
  title: 'Dashboard',
  needs: 'DEVICE_READ',
  async render({ api, main, stale }) {
    const [summary, nonCompliant, recent, plugins, events, setup] = await Promise.all([
      api.get('/api/v1/devices/summary'),
      api.get('/api/v1/devices', { compliance: 'NON_COMPLIANT', limit: 10 }),
      api.get('/api/v1/devices', { limit: 1 }),
      api.can('PLUGIN_READ') ? api.get('/api/v1/plugins') : Promise.resolve(null),
      api.get('/api/v1/events', { order: 'newest', limit: RECENT_EVENTS, type: RECENT_EVENT_TYPES }),
      api.can('PLUGIN_READ') ? api.get('/api/v1/setup') : Promise.resolve(null),
    ]);
    const names = await deviceNames(api, events.items);
    if (stale()) return;
    const link = device => h('a', { href: `#/devices/${encodeURIComponent(device.id)}` }, device.name || device.serialNumber || device.id);
    replace(main, heading('Dashboard'));
    // Shown until every step is done and an admin dismissed it; it comes back if a step reopens.
    if (setup && !(setup.complete && setup.dismissed)) {
      const checklist = h('section', { 'aria-labelledby': 'setup-title', class: 'card setup', id: 'setup' });
      drawChecklist(api, checklist, setup);
      main.append(checklist);
    }
    if (recent.items.length === 0) {
      main.append(empty('No device is enrolled yet.', api.can('ENROLLMENT_WRITE')
        ? h('a', { href: '#/enrollment' }, 'Create an enrollment link to enroll the first one.') : 'Devices appear here once they enroll.'));
    }
    const counts = (caption, label, byKey, filter, show = words) => table(caption, [label, 'Devices'],
      Object.entries(byKey).map(([key, count]) => [h('a', { href: `#/devices?${filter}=${encodeURIComponent(key)}` }, show(key)), String(count)]));
    if (recent.items.length > 0) {
      main.append(h('section', { 'aria-labelledby': 'fleet-title', class: 'fleet' }, h('h2', { id: 'fleet-title' }, 'Fleet'),
        h('p', {}, `${summary.pendingCommands} command${summary.pendingCommands === 1 ? '' : 's'} waiting for their device.`),
        counts('Devices by platform', 'Platform', summary.devicesByPlatform, 'platform', platform => platform),
        counts('Devices by compliance', 'Compliance', summary.devicesByCompliance, 'compliance'),
        counts('Devices by status', 'Status', summary.devicesByStatus, 'status')));
    }
    main.append(h('section', { 'aria-labelledby': 'attention-title' }, h('h2', { id: 'attention-title' }, 'Devices out of compliance'),
      nonCompliant.items.length
        ? [table('Non-compliant devices', ['Device', 'Platform', 'Status', 'Last check-in'],
          nonCompliant.items.map(({ device }) => [link(device), device.platform, badge('device', device.status), when(device.lastCheckIn)])),
        nonCompliant.nextCursor ? h('p', {}, h('a', { href: '#/devices?compliance=NON_COMPLIANT' }, 'See all non-compliant devices')) : null]
        : h('p', {}, 'Every device that has been evaluated complies.')));
    main.append(h('section', { 'aria-labelledby': 'events-title' }, h('h2', { id: 'events-title' }, 'Recent events'),
      events.items.length
        ? table('Enrollments, status and compliance changes, fan-outs and plugin events, newest first',
          ['When', 'What'], events.items.map(({ event }) => [when(event.occurredAt), describe(event, names)]))
        : h('p', {}, 'Nothing has happened yet: enrollments, compliance changes and plugin events will show here.')));
    if (plugins) {
      // A superseded file is an older copy beside the running one: worth seeing in the list, not an alarm.
      const failed = plugins.items.filter(plugin => plugin.failureReason && plugin.state !== 'SUPERSEDED');
      main.append(h('section', { 'aria-labelledby': 'plugins-title' }, h('h2', { id: 'plugins-title' }, 'Plugins'),
        failed.length ? failed.map(plugin => message('error', `${plugin.id} ${plugin.version}: ${plugin.failureReason}`)) : null,
        plugins.items.length
          ? table('Installed plugins', ['Plugin', 'Version', 'State', 'Since'],
            plugins.items.map(plugin => [plugin.id, plugin.version, badge('plugin', plugin.state), when(plugin.since)]))
          : empty('No plugin is installed.', 'Copy a plugin file into the server’s plugins/ folder; it loads within seconds.')));
    }
  },
};

const STATE_WORDS = { DONE: 'Done', TODO: 'To do', ATTENTION: 'Needs attention', NOT_USED: 'Not used here' };
const STATE_TONES = { DONE: 'ok', TODO: 'warn', ATTENTION: 'danger', NOT_USED: 'neutral' };

/**
 * The setup checklist (GET /api/v1/setup): each step with what the server found, what to do and a link to the page
 * that does it; checked again on request (the DNS lookup is made anew), dismissed once complete.
 */
function drawChecklist(api, section, setup) {
  const done = setup.steps.filter(step => step.state === 'DONE').length;
  const unused = setup.steps.filter(step => step.state === 'NOT_USED').length;
  const feedback = h('div', { class: 'feedback', 'aria-live': 'polite' });
  const refresh = async (action, announcement) => {
    try {
      const next = await action();
      drawChecklist(api, section, next);
      if (next.complete && next.dismissed) section.remove();
      announce(announcement);
    } catch (error) {
      replace(feedback, problemMessage(error));
    }
  };
  replace(section,
    h('h2', { id: 'setup-title' }, 'Set up Shepherd'),
    h('p', { id: 'setup-progress' }, setup.complete
      ? 'Every step is done.'
      : `${done} of ${setup.steps.length - unused} steps done${unused ? ` (${unused} not used here: no plugin for them runs)` : ''}.`),
    h('ol', { class: 'steps setup-steps' }, setup.steps.map(step => h('li', { id: `setup-${step.id}`, 'data-state': step.state },
      h('strong', {}, step.title), ' ',
      badge(STATE_TONES[step.state], step.state, STATE_WORDS[step.state]),
      h('p', { class: 'hint' }, step.detail),
      step.action && step.state !== 'DONE' ? h('p', {}, step.action) : null,
      step.id === 'windows-dns' && step.state !== 'NOT_USED' && api.can('PLUGIN_MANAGE') ? windowsDomainForm(api, refresh) : null,
      step.link && step.state !== 'DONE' ? h('p', {}, h('a', { href: step.link }, linkWords(step))) : null))),
    feedback,
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', onclick: () => refresh(() => api.get('/api/v1/setup'), 'Setup checked again.') },
        'Check again'),
      setup.complete && api.can('PLUGIN_MANAGE')
        ? h('button', { type: 'button', onclick: () => refresh(() => api.post('/api/v1/setup/dismiss'), 'Setup checklist dismissed.') },
          'Dismiss the checklist')
        : null));
}

/** The words of a step's link: what the page it opens lets the admin do. */
function linkWords(step) {
  if (step.link === '#/plugins') return step.state === 'NOT_USED' ? 'See the plugins' : 'Open the plugins page';
  if (step.link === '#/enrollment') return 'Create an enrollment link';
  if (step.link === '#/policies') return 'Create a policy';
  if (step.link === '#/users') return 'See the users';
  return `Open the ${step.title} page`;
}

/** The domain whose enterpriseenrollment.<domain> name Windows looks up; saved, then looked up at once. */
function windowsDomainForm(api, refresh) {
  const domain = h('input', { name: 'windows-domain', placeholder: 'example.com', autocomplete: 'off', required: true, maxlength: 253 });
  const form = h('form', { class: 'inline' },
    field('E-mail domain of your users', domain, 'Windows looks up enterpriseenrollment.<domain> to find this server.'),
    h('button', { type: 'submit' }, 'Check this domain'));
  form.addEventListener('submit', event => {
    event.preventDefault();
    refresh(() => api.put('/api/v1/setup/windows-domain', { domain: domain.value }), 'Windows discovery name checked.');
  });
  return form;
}

/** The names of the devices the events are about (a device that is gone keeps its id). */
async function deviceNames(api, events) {
  const ids = [...new Set(events.map(({ event }) => event.data?.deviceId).filter(Boolean))];
  const found = await Promise.all(ids.map(id => api.get(`/api/v1/devices/${encodeURIComponent(id)}`).catch(() => null)));
  return new Map(ids.map((id, index) => [id, found[index]?.device]));
}

/** One event in words, with links to what it is about. */
function describe(event, names) {
  const data = event.data ?? {};
  const device = () => {
    const known = names.get(data.deviceId);
    return h('a', { href: `#/devices/${encodeURIComponent(data.deviceId)}` }, known ? known.name || known.serialNumber || data.deviceId : data.deviceId);
  };
  switch (event.type) {
    case 'device.enrolled':
      return h('span', {}, device(), ` ${data.reEnrolled ? 'enrolled again' : 'enrolled'} (${data.platform}, ${words(data.method).toLowerCase()})`);
    case 'device.status_changed':
      return h('span', {}, device(), ` went from ${words(data.from).toLowerCase()} to ${words(data.to).toLowerCase()}${data.reason ? `: ${data.reason}` : ''}`);
    case 'compliance.changed':
      return h('span', {}, device(), ` became ${words(data.compliance).toLowerCase()}`);
    case 'compliance.notify':
      return h('span', {}, device(), ` fails the compliance rule “${data.rule}”`);
    case 'plugin.started':
      return `Plugin ${data.pluginId} ${data.version} started`;
    case 'plugin.stopped':
      return `Plugin ${data.pluginId} ${data.version} stopped`;
    case 'plugin.failed':
      return h('span', { class: 'state failed' }, `Plugin ${data.pluginId} failed: ${data.reason}`);
    case 'command.batch_queued':
      return h('span', {}, h('a', { href: `#/commands/${encodeURIComponent(data.batchId)}` }, words(data.type)),
        ` sent to ${data.devices} device${data.devices === 1 ? '' : 's'}`);
    case 'command.expired':
      return `${data.count} command${data.count === 1 ? '' : 's'} expired before their device took them`;
    default:
      return words(event.type.replace('.', '_'));
  }
}
