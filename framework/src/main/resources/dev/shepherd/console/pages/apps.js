import { h, replace, field, message, empty, table, when, words, heading, confirmAction, announce } from '../dom.js';

const INTENTS = [
  ['REQUIRED', 'Required: installed and kept up to date'],
  ['AVAILABLE', 'Available: offered in self-service'],
  ['UNINSTALL', 'Uninstall: removed from the devices'],
];

const LICENCE_SOURCES = [
  ['DEVICE', 'Device: one licence per device'],
  ['USER', 'User: one licence per person, for all their devices'],
];

/** An app's licence use in words, as its store last reported it. */
export function licenceUse(app) {
  if (!app.licensed) return 'No licence needed';
  const pool = app.licences;
  if (!pool) return 'Not reported by the store yet';
  return `${pool.assigned} of ${pool.total} in use, ${pool.available} available`;
}

/** A per-device app state, coloured by the console's state classes. */
export function appState(state) {
  return h('span', { class: `state ${state.toLowerCase()}` }, words(state));
}

function appLink(id, name) {
  return h('a', { href: `#/apps/${encodeURIComponent(id)}` }, name);
}

function deviceLink(id) {
  return h('a', { href: `#/devices/${encodeURIComponent(id)}` }, id);
}

/** The catalog: every app with its store, version and licence use, and the stores with a way to sync each now. */
export const appsPage = {
  path: '/apps',
  nav: 'Apps',
  title: 'Apps',
  needs: 'APP_READ',
  async render({ api, main, stale }) {
    const [apps, stores] = await Promise.all([api.get('/api/v1/apps', { limit: 500 }), api.get('/api/v1/app-stores')]);
    if (stale()) return;
    const feedback = h('div', { class: 'feedback' });
    const catalog = h('section', { 'aria-labelledby': 'catalog-title' });
    const sync = store => api.allows('POST', `/api/v1/app-stores/${encodeURIComponent(store.id)}/sync`) ? h('button', {
      type: 'button', class: 'secondary', 'aria-label': `Sync ${store.id} now`,
      onclick: async event => {
        const button = event.currentTarget;
        button.disabled = true;
        replace(feedback, message('info', `Reading the catalog of ${store.id}…`));
        try {
          const done = await api.post(`/api/v1/app-stores/${encodeURIComponent(store.id)}/sync`);
          replace(feedback, message('info', `Synced ${store.id}: ${done.listed} app${done.listed === 1 ? '' : 's'} listed, ${done.added} added, `
            + `${done.newVersions} new version${done.newVersions === 1 ? '' : 's'}, ${done.unlisted} no longer listed.`));
          drawCatalog(await api.get('/api/v1/apps', { limit: 500 }));
        } catch (error) {
          replace(feedback, message('error', error.message));
        } finally {
          button.disabled = false;
        }
      },
    }, 'Sync now') : '—';

    replace(main, heading('Apps'),
      h('p', { class: 'lead' }, 'The apps the organisation holds in its app stores. Assign an app to a group to install it on the group’s devices; each store is read every 15 minutes.'),
      feedback,
      h('section', { 'aria-labelledby': 'stores-title' }, h('h2', { id: 'stores-title' }, 'App stores'), stores.length
        ? table('The stores whose plugins are running', ['Store', 'Sync'], stores.map(store => [store.id, sync(store)]))
        : empty('No app-store plugin is running.', 'Add one on the plugins page, such as appstore-apple.')),
      catalog);
    drawCatalog(apps);

    function drawCatalog(list) {
      replace(catalog, h('h2', { id: 'catalog-title' }, 'Catalog'), list.length
        ? table(`${list.length} app${list.length === 1 ? '' : 's'}`, ['Name', 'Platform', 'Store', 'Identifier', 'Version', 'Licences'],
          list.map(app => [appLink(app.id, app.name), app.platform, app.storeId, app.identifier,
            `${app.version ?? '—'}${app.removedFromStore ? ' (no longer in the store)' : ''}`, licenceUse(app)]))
        : empty('The catalog is empty.', stores.length ? 'Sync a store to read the apps it holds.' : 'Apps appear here once an app-store plugin runs.'));
    }
  },
};

/** One app: its facts, the groups it is assigned to with their intent, its licences, and where every device stands. */
export const appPage = {
  path: '/apps/:id',
  section: 'Apps',
  title: 'App',
  needs: 'APP_READ',
  async render({ api, main, params, stale }) {
    const base = `/api/v1/apps/${encodeURIComponent(params.id)}`;
    const [app, assignments, licences, states, groups] = await Promise.all([api.get(base), api.get(`${base}/assignments`),
      api.get(`${base}/licences`), api.get(`${base}/devices`, { limit: 500 }),
      api.can('GROUP_READ') ? api.get('/api/v1/groups') : Promise.resolve([])]);
    if (stale()) return;
    document.title = `${app.name} · Shepherd`;
    const groupName = id => groups.find(group => group.id === id)?.name ?? id;
    const feedback = h('div', { class: 'feedback' });
    const assigned = h('section', { 'aria-labelledby': 'assignments-title' });
    const licenced = h('section', { 'aria-labelledby': 'licences-title' });
    const devices = h('section', { 'aria-labelledby': 'devices-title' });

    replace(main, heading(app.name, h('a', { href: '#/apps', class: 'back' }, 'All apps')), feedback,
      h('dl', { class: 'facts' }, [
        ['Platform', app.platform], ['Store', app.storeId], ['Store’s id', app.storeAppId], ['Identifier', app.identifier],
        ['Publisher', app.publisher || '—'], ['Version', app.version ?? '—'], ['Licences', licenceUse(app)],
        ['In the store', app.removedFromStore ? 'No longer listed' : 'Listed'], ['Added', when(app.createdAt)],
      ].map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)])),
      assigned, licenced, devices);
    drawAssignments(assignments);
    drawLicences(licences);
    drawDevices(states);

    function drawLicences(current) {
      replace(licenced, h('h2', { id: 'licences-title' }, 'Licences'),
        h('p', {}, current.pool ? `At its last sync the store reported ${current.pool.total} licences: ${current.pool.assigned} in use, `
          + `${current.pool.available} available (${when(current.pool.reportedAt)}).` : licenceUse(app)),
        current.licences.length
          ? table('Licences the server assigned, per device or user', ['Held by', 'Device', 'Store’s reference', 'Assigned'],
            current.licences.map(licence => [licence.kind === 'USER' ? `User ${licence.userId}` : 'Device',
              licence.kind === 'USER' ? h('span', {}, 'first: ', deviceLink(licence.deviceId)) : deviceLink(licence.deviceId),
              licence.reference ?? '—', when(licence.assignedAt)]))
          : empty('No device holds a licence of this app.'));
    }

    function drawAssignments(list) {
      const canAssign = api.allows('PUT', `${base}/assignments/x`);
      replace(assigned, h('h2', { id: 'assignments-title' }, 'Assignments'),
        h('p', { class: 'hint' }, 'Where a device is in several groups, Uninstall wins over Required, and Required over Available.'),
        list.length
          ? table('The groups the app is assigned to', canAssign ? ['Group', 'Intent', 'Licences', 'Assigned by', 'Changed', 'Unassign'] : ['Group', 'Intent', 'Licences', 'Assigned by', 'Changed'],
            list.map(assignment => [groupName(assignment.groupId), words(assignment.intent), assignment.licenceSource === 'USER' ? 'Per user' : 'Per device',
              assignment.createdBy, when(assignment.updatedAt),
              canAssign ? unassignButton(assignment) : null].filter(cell => cell !== null)))
          : empty('The app is not assigned to any group.', canAssign ? 'Assign it below.' : 'An operator can assign it to a group.'),
        canAssign && groups.length ? assignForm() : null);
    }

    function unassignButton(assignment) {
      return h('button', {
        type: 'button', class: 'link', 'aria-label': `Unassign from ${groupName(assignment.groupId)}`,
        onclick: async () => {
          if (!(await confirmAction({ title: `Unassign ${app.name} from ${groupName(assignment.groupId)}?`,
            text: 'The app and its licences stay on the group’s devices; the server stops managing it there.', confirm: 'Unassign' }))) return;
          try {
            await api.delete(`${base}/assignments/${encodeURIComponent(assignment.groupId)}`);
            await refresh(`Unassigned from ${groupName(assignment.groupId)}.`);
          } catch (error) {
            replace(feedback, message('error', error.message));
          }
        },
      }, 'Unassign');
    }

    function assignForm() {
      const group = h('select', { name: 'assign-group' }, groups.map(candidate => h('option', { value: candidate.id }, candidate.name)));
      const intent = h('select', { name: 'assign-intent' }, INTENTS.map(([value, label]) => h('option', { value }, label)));
      const licenceSource = h('select', { name: 'assign-licence-source' }, LICENCE_SOURCES.map(([value, label]) => h('option', { value }, label)));
      const form = h('form', { class: 'card' },
        h('div', { class: 'grid' }, field('Group', group), field('Intent', intent, 'An existing assignment to the group is changed.'),
          field('Licences', licenceSource, 'Per user needs a store that offers it, and devices with a user.')),
        h('button', { type: 'submit', class: 'primary' }, 'Assign'));
      form.addEventListener('submit', async event => {
        event.preventDefault();
        try {
          await api.put(`${base}/assignments/${encodeURIComponent(group.value)}`, { intent: intent.value, licenceSource: licenceSource.value });
          await refresh(`Assigned to ${groupName(group.value)} as ${words(intent.value).toLowerCase()}.`);
        } catch (error) {
          replace(feedback, message('error', error.message));
        }
      });
      return form;
    }

    function drawDevices(list) {
      replace(devices, h('h2', { id: 'devices-title' }, 'Devices'),
        h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: () => refresh('Device states refreshed.') }, 'Refresh')),
        list.length
          ? table('Desired versus actual on each device the app is assigned to', ['Device', 'Wanted', 'State', 'Installed version', 'Reason', 'Updated'],
            list.map(state => [deviceLink(state.deviceId), words(state.intent), appState(state.state), state.installedVersion ?? '—',
              state.reason ?? '—', when(state.updatedAt)]))
          : empty('No device has this app assigned yet.'));
    }

    async function refresh(done) {
      const [nextAssignments, nextLicences, nextStates] = await Promise.all([api.get(`${base}/assignments`), api.get(`${base}/licences`),
        api.get(`${base}/devices`, { limit: 500 })]);
      if (stale()) return;
      drawAssignments(nextAssignments);
      drawLicences(nextLicences);
      drawDevices(nextStates);
      replace(feedback, message('info', done));
      announce(done);
    }
  },
};
