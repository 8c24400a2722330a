import { h, replace, field, message, empty, table, when, words, heading, confirmAction, announce, problemMessage, showProblems, markInvalid, badge } from '../dom.js';
import { schemaForm, FormError } from '../schema-form.js';

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
  return badge('app', state);
}

function appLink(id, name) {
  return h('a', { href: `#/apps/${encodeURIComponent(id)}` }, name);
}

/** A link to a device, by the name it goes by when the server sent one. */
function deviceLink(id, name) {
  return h('a', { href: `#/devices/${encodeURIComponent(id)}` }, name || id);
}

/** The app's published managed-configuration schema, or null when it has none or it is not JSON. */
function configurationSchema(app) {
  if (!app.configurationSchema) return null;
  try {
    const schema = JSON.parse(app.configurationSchema);
    return schema && typeof schema === 'object' ? schema : null;
  } catch {
    return null;
  }
}

/** A configuration in a few words for the assignments table; secrets are never sent back, so never shown. */
function configurationSummary(configuration) {
  const names = Object.keys(configuration ?? {});
  if (names.length === 0) return '—';
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
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
    let current = apps;
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
      stores.length && api.allows('GET', '/api/v1/app-stores/x/search') && api.allows('POST', '/api/v1/apps') ? storeSearch() : null,
      catalog);
    drawCatalog(apps);

    // Apps a store does not list by itself (a free public app, say) are found by searching the store and added.
    function storeSearch() {
      const store = h('select', { name: 'search-store' }, stores.map(candidate => h('option', { value: candidate.id }, candidate.id)));
      const query = h('input', { name: 'search-query', type: 'search', required: true, maxlength: 200, autocomplete: 'off' });
      const results = h('div', { class: 'search-results' });
      const form = h('form', { class: 'card', role: 'search', 'aria-label': 'Search a store' },
        h('div', { class: 'grid' }, field('Store', store), field('Search for', query, 'A name, or the store’s id of the app.')),
        h('button', { type: 'submit', class: 'secondary' }, 'Search'));
      form.addEventListener('submit', async event => {
        event.preventDefault();
        if (query.value.trim() === '') {
          replace(results, message('error', 'Type what to search for.'));
          query.focus();
          return;
        }
        const storeId = store.value;
        replace(results, h('p', { class: 'loading' }, `Searching ${storeId}…`));
        try {
          const found = await api.get(`/api/v1/app-stores/${encodeURIComponent(storeId)}/search`, { q: query.value.trim(), limit: 25 });
          if (stale()) return;
          replace(results, found.length
            ? table(`${found.length} app${found.length === 1 ? '' : 's'} found in ${storeId}`, ['Name', 'Publisher', 'Identifier', 'Version', 'Add'],
              found.map(result => [result.name, result.publisher || '—', result.identifier, result.version ?? '—', addButton(result)]))
            : empty(`${storeId} has no app matching “${query.value.trim()}”.`));
        } catch (error) {
          replace(results, problemMessage(error));
        }
      });
      return h('section', { 'aria-labelledby': 'search-title' }, h('h2', { id: 'search-title' }, 'Add an app from a store'),
        h('p', { class: 'hint' }, 'A store’s sync brings in the apps the organisation holds there; others (a free public app, say) are added here.'),
        form, results);
    }

    function addButton(result) {
      const known = current.find(app => app.storeId === result.storeId && app.storeAppId === result.storeAppId);
      if (known) return appLink(known.id, 'In the catalog');
      return h('button', {
        type: 'button', class: 'link', 'aria-label': `Add ${result.name}`,
        onclick: async event => {
          const button = event.currentTarget;
          button.disabled = true;
          try {
            const added = await api.post('/api/v1/apps', { storeId: result.storeId, storeAppId: result.storeAppId });
            drawCatalog(await api.get('/api/v1/apps', { limit: 500 }));
            button.replaceWith(appLink(added.id, 'In the catalog'));
            replace(feedback, message('info', `Added ${added.name} to the catalog.`));
            announce(`Added ${added.name} to the catalog.`);
          } catch (error) {
            button.disabled = false;
            replace(feedback, problemMessage(error));
          }
        },
      }, 'Add');
    }

    function drawCatalog(list) {
      current = list;
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
          ? table('The groups the app is assigned to', ['Group', 'Intent', 'Licences', 'Configuration', 'Assigned by', 'Changed', canAssign ? 'Unassign' : null].filter(Boolean),
            list.map(assignment => [groupName(assignment.groupId), words(assignment.intent), assignment.licenceSource === 'USER' ? 'Per user' : 'Per device',
              configurationSummary(assignment.configuration),
              assignment.createdBy, when(assignment.updatedAt), canAssign ? unassignButton(assignment) : null].filter(cell => cell !== null)))
          : empty('The app is not assigned to any group.', canAssign ? 'Assign it below.' : 'An operator can assign it to a group.'),
        canAssign && groups.length ? assignForm(list) : null);
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

    // Choosing a group already assigned shows its intent and configuration, so the form edits that assignment.
    function assignForm(list) {
      const schema = configurationSchema(app);
      const group = h('select', { name: 'assign-group' }, groups.map(candidate => h('option', { value: candidate.id }, candidate.name)));
      const intent = h('select', { name: 'assign-intent' }, INTENTS.map(([value, label]) => h('option', { value }, label)));
      const licenceSource = h('select', { name: 'assign-licence-source' }, LICENCE_SOURCES.map(([value, label]) => h('option', { value }, label)));
      const configuration = h('div', { class: 'configuration' });
      const formFeedback = h('div', { class: 'feedback' });
      let editor = null;
      const existing = () => list.find(assignment => assignment.groupId === group.value);
      const drawConfiguration = () => {
        editor = null;
        if (!schema) {
          replace(configuration, h('p', { class: 'hint' }, 'The app’s store publishes no managed configuration for it.'));
        } else if (intent.value === 'UNINSTALL') {
          replace(configuration, h('p', { class: 'hint' }, 'An uninstall takes no managed configuration.'));
        } else {
          const saved = existing()?.configuration;
          editor = schemaForm(schema, 'Managed configuration', saved && Object.keys(saved).length ? saved : undefined);
          replace(configuration, h('fieldset', { class: 'managed-configuration' }, h('legend', {}, 'Managed configuration'),
            h('p', { class: 'hint' }, schema.description || 'The settings the app reads on the devices, as its store describes them. '
              + 'Saved secrets are not shown: leave one empty to keep it.'), editor.element));
        }
      };
      group.addEventListener('change', () => {
        if (existing()) {
          intent.value = existing().intent;
          licenceSource.value = existing().licenceSource ?? 'DEVICE';
        }
        drawConfiguration();
      });
      intent.addEventListener('change', drawConfiguration);
      if (existing()) {
        intent.value = existing().intent;
        licenceSource.value = existing().licenceSource ?? 'DEVICE';
      }
      drawConfiguration();
      const form = h('form', { class: 'card', novalidate: true },
        h('div', { class: 'grid' }, field('Group', group), field('Intent', intent, 'An existing assignment to the group is changed.'),
          field('Licences', licenceSource, 'Per user needs a store that offers it, and devices with a user.')),
        configuration, formFeedback,
        h('button', { type: 'submit', class: 'primary' }, 'Assign'));
      form.addEventListener('submit', async event => {
        event.preventDefault();
        const body = { intent: intent.value };
        if (editor) {
          try {
            const value = editor.read();
            // an empty form sends nothing, unless it edits a saved configuration (whose secrets an empty field keeps)
            if (Object.keys(value).length || Object.keys(existing()?.configuration ?? {}).length) body.configuration = value;
          } catch (error) {
            if (!(error instanceof FormError)) throw error;
            markInvalid(error.control, error.message, formFeedback);
            return;
          }
        }
        try {
          await api.put(`${base}/assignments/${encodeURIComponent(group.value)}`, { ...body, licenceSource: licenceSource.value });
          await refresh(`Assigned to ${groupName(group.value)} as ${words(intent.value).toLowerCase()}.`);
        } catch (error) {
          showProblems(form, error, { feedback: formFeedback, place: editor?.place });
        }
      });
      return form;
    }

    function drawDevices(list) {
      replace(devices, h('h2', { id: 'devices-title' }, 'Devices'),
        h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: () => refresh('Device states refreshed.') }, 'Refresh')),
        list.length
          ? table('Desired versus actual on each device the app is assigned to', ['Device', 'Wanted', 'State', 'Installed version', 'Reason', 'Updated'],
            list.map(state => [deviceLink(state.deviceId, state.deviceName), words(state.intent), appState(state.state), state.installedVersion ?? '—',
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
