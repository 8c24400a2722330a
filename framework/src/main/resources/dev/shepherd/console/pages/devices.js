import { h, replace, field, message, empty, when, words, heading, announce, confirmAction, confirmTyped, badge, tableWrap, blank, markInvalid, showProblems } from '../dom.js';

// Platforms Shepherd's bundled plugins manage; those of other running plugins are added from GET /api/v1/platforms.
const PLATFORM_NAMES = { ios: 'iOS and iPadOS', macos: 'macOS', android: 'Android', windows: 'Windows', chromeos: 'ChromeOS' };
const STATUSES = ['PENDING', 'ENROLLED', 'QUARANTINED', 'RETIRED', 'WIPED'];
const COMPLIANCE = ['COMPLIANT', 'NON_COMPLIANT', 'IN_GRACE_PERIOD', 'UNKNOWN'];
const OWNERSHIP = ['CORPORATE', 'PERSONAL'];
// The list's address carries these (each a filter of GET /api/v1/devices); links from other pages set some of them.
const FILTER_KEYS = ['q', 'platform', 'status', 'ownership', 'compliance', 'group', 'tag', 'osAtLeast', 'osBelow', 'name', 'serial', 'user', 'model'];

const deviceName = device => device.name || device.serialNumber || device.id;

// The columns an admin may show (GET/PUT /api/v1/device-views/columns remembers the choice); `sort` is the server's
// sort key for the sortable ones.
const COLUMNS = {
  name: { label: 'Name', sort: 'name', cell: device => h('a', { href: `#/devices/${encodeURIComponent(device.id)}` }, deviceName(device)) },
  platform: { label: 'Platform', sort: 'platform', cell: device => PLATFORM_NAMES[device.platform] ?? device.platform },
  model: { label: 'Model', sort: 'model', cell: device => device.model || '—' },
  osVersion: { label: 'OS', sort: 'os_version', cell: device => device.osVersion || '—' },
  serialNumber: { label: 'Serial', sort: 'serial', cell: device => device.serialNumber || '—' },
  user: { label: 'User', cell: device => device.userId ? h('a', { href: `#/users/${encodeURIComponent(device.userId)}` }, 'Assigned user') : '—' },
  status: { label: 'Status', sort: 'status', cell: device => badge('device', device.status) },
  compliance: { label: 'Compliance', sort: 'compliance', cell: device => badge('compliance', device.compliance) },
  ownership: { label: 'Ownership', cell: device => words(device.ownership) },
  tags: { label: 'Tags', cell: device => (device.tags ?? []).join(', ') || '—' },
  lastCheckIn: { label: 'Last check-in', cell: device => when(device.lastCheckIn) },
};

// Commands the bulk bar offers; `erases` ones need device_wipe and, for more than one device, the typed count.
const BULK_COMMANDS = [
  { type: 'LOCK', label: 'Lock' },
  { type: 'RESTART', label: 'Restart' },
  { type: 'REFRESH_INVENTORY', label: 'Refresh inventory' },
  { type: 'WIPE', label: 'Erase', erases: true },
];

function select(name, label, values, chosen, show = words) {
  return h('select', { name, 'aria-label': label },
    h('option', { value: '' }, `Any ${label.toLowerCase()}`),
    values.map(value => h('option', { value, selected: value === chosen }, show(value))));
}

const plural = (count, word) => `${count} ${word}${count === 1 ? '' : 's'}`;

/**
 * The device list: substring search and combined filters, server-side sorting a keyset page at a time, the total,
 * chosen columns, saved views, export of the view and bulk actions on the selected rows.
 */
export const devicesPage = {
  path: '/devices',
  nav: 'Devices',
  title: 'Devices',
  needs: 'DEVICE_READ',
  async render({ api, main, params, navigate, stale }) {
    const query = params.query;
    const [running, groups, views, chosenColumns] = await Promise.all([
      api.get('/api/v1/platforms'),
      api.can('GROUP_READ') ? api.get('/api/v1/groups') : Promise.resolve([]),
      api.get('/api/v1/device-views'),
      api.get('/api/v1/device-views/columns'),
    ]);
    if (stale()) return;
    let columns = chosenColumns.columns.filter(key => COLUMNS[key]);
    let sort = query.get('sort') ?? 'name';

    const text = h('input', { type: 'search', name: 'q', value: query.get('q') ?? '', autocomplete: 'off', maxlength: 100 });
    const platforms = [...new Set([...Object.keys(PLATFORM_NAMES), ...running.map(candidate => candidate.id)])];
    const platform = select('platform', 'Platform', platforms, query.get('platform'), id => PLATFORM_NAMES[id] ?? id);
    const status = select('status', 'Status', STATUSES, query.get('status'));
    const ownership = select('ownership', 'Ownership', OWNERSHIP, query.get('ownership'));
    const compliance = select('compliance', 'Compliance', COMPLIANCE, query.get('compliance'));
    const group = h('select', { name: 'group', 'aria-label': 'Group' }, h('option', { value: '' }, 'Any group'),
      groups.map(candidate => h('option', { value: candidate.id, selected: candidate.id === query.get('group') }, candidate.name)));
    const tag = h('input', { name: 'tag', value: query.get('tag') ?? '', autocomplete: 'off', maxlength: 100 });
    const osAtLeast = h('input', { name: 'osAtLeast', value: query.get('osAtLeast') ?? '', autocomplete: 'off', maxlength: 40, placeholder: 'e.g. 17.4' });
    // Filters other pages link with and the form has no control for (name prefix, exact serial, user id, model).
    const carried = Object.fromEntries(['name', 'serial', 'user', 'model', 'osBelow'].filter(key => query.get(key)).map(key => [key, query.get(key)]));

    const count = h('p', { class: 'count', 'aria-live': 'polite' });
    const results = h('div', { class: 'results', 'aria-live': 'polite' });
    const feedback = h('div', { class: 'feedback' });
    const bulkBar = h('section', { class: 'bulk-bar card', 'aria-labelledby': 'bulk-title', hidden: true });
    const exports = h('p', { class: 'exports' });
    const chooser = columnChooser();
    const viewTools = savedViews();

    const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Device filters' },
      h('div', { class: 'search-row' }, field('Search name, serial, user or model', text)),
      platform, status, ownership, compliance, groups.length ? group : null,
      field('Tag', tag), field('OS at least', osAtLeast),
      h('button', { type: 'submit', class: 'primary' }, 'Search'));
    replace(main, heading('Devices'), form,
      Object.keys(carried).length ? h('p', { class: 'hint' }, 'Also filtered by ',
        Object.entries(carried).map(([key, value]) => `${key} “${value}”`).join(', '), '. ', h('a', { href: '#/devices' }, 'Show all devices')) : null,
      h('div', { class: 'list-tools' }, viewTools, chooser, exports),
      count, feedback, bulkBar, results);

    let cursor = null;
    let rows = [];
    let latest = 0;
    const selected = new Set();

    const filters = () => {
      const chosen = { ...carried, q: text.value.trim(), platform: platform.value, status: status.value, ownership: ownership.value,
        compliance: compliance.value, group: group.value || (groups.length ? '' : query.get('group') ?? ''), tag: tag.value.trim(),
        osAtLeast: osAtLeast.value.trim() };
      return Object.fromEntries(Object.entries(chosen).filter(([, value]) => value));
    };
    // The view as the list's address shows it: the filters and the sort, the query a saved view keeps.
    const viewQuery = () => new URLSearchParams({ ...filters(), sort }).toString();

    const load = async more => {
      latest += 1;
      const mine = latest;
      const chosen = filters();
      history.replaceState(null, '', `#/devices?${viewQuery()}`);
      drawExports(chosen);
      try {
        const [page, total] = await Promise.all([
          api.get('/api/v1/devices', { ...chosen, sort, limit: 50, cursor: more ? cursor : null }),
          more ? Promise.resolve(null) : api.get('/api/v1/devices/count', chosen),
        ]);
        if (mine !== latest || stale()) return;
        if (!more) {
          selected.clear();
          replace(count, `${plural(total.total, 'device')} match${total.total === 1 ? 'es' : ''}.`);
        }
        rows = more ? rows.concat(page.items) : page.items;
        cursor = page.nextCursor ?? null;
        draw(Object.keys(chosen).length > 0);
      } catch (error) {
        if (mine === latest && !stale()) replace(results, message('error', error.message));
      }
    };

    const draw = filtered => {
      drawBulkBar();
      if (rows.length === 0) {
        replace(results, filtered
          ? empty('No device matches these filters.', 'Clear the search or choose “Any” in the filters.')
          : empty('No devices yet.', api.can('ENROLLMENT_WRITE')
            ? h('a', { href: '#/enrollment' }, 'Create an enrollment link') : 'Devices appear here once they enroll.',
          api.can('ENROLLMENT_WRITE') ? ' and open it on a device to enroll it.' : ''));
        announce('No devices found');
        return;
      }
      const all = h('input', { type: 'checkbox', 'aria-label': 'Select every device shown',
        checked: rows.every(({ device }) => selected.has(device.id)) });
      all.addEventListener('change', () => {
        rows.forEach(({ device }) => (all.checked ? selected.add(device.id) : selected.delete(device.id)));
        draw(filtered);
      });
      const headers = [h('th', { scope: 'col' }, all), ...columns.map(key => sortableHeader(key))];
      const body = rows.map(({ device }) => {
        const box = h('input', { type: 'checkbox', 'aria-label': `Select ${deviceName(device)}`, checked: selected.has(device.id) });
        box.addEventListener('change', () => {
          if (box.checked) selected.add(device.id);
          else selected.delete(device.id);
          all.checked = rows.every(({ device: shown }) => selected.has(shown.id));
          drawBulkBar();
        });
        return h('tr', {}, h('td', {}, box), columns.map(key => h('td', {}, COLUMNS[key].cell(device))));
      });
      replace(results,
        tableWrap(h('table', { class: 'device-list' },
          h('caption', {}, `${plural(rows.length, 'device')}${cursor ? ' shown, more available' : ''}`),
          h('thead', {}, h('tr', {}, headers)), h('tbody', {}, body))),
        cursor ? h('button', { type: 'button', class: 'secondary', onclick: () => load(true) }, 'Show more devices') : null);
      announce(`${plural(rows.length, 'device')} shown`);
    };

    // A sortable column's header is a button; aria-sort says the current order to assistive technology.
    const sortableHeader = key => {
      const column = COLUMNS[key];
      if (!column.sort) return h('th', { scope: 'col' }, column.label);
      const ascending = sort === column.sort;
      const descending = sort === `${column.sort}_desc`;
      return h('th', { scope: 'col', 'aria-sort': ascending ? 'ascending' : descending ? 'descending' : 'none' },
        h('button', {
          type: 'button', class: 'sort',
          onclick: () => {
            sort = ascending ? `${column.sort}_desc` : column.sort;
            load(false);
          },
        }, column.label, ascending ? ' ▲' : descending ? ' ▼' : ''));
    };

    // Links to the export of exactly this view (GET /api/v1/devices/export), which the browser downloads itself.
    function drawExports(chosen) {
      if (!api.allows('GET', '/api/v1/devices/export')) return;
      const link = format => `/api/v1/devices/export?${new URLSearchParams({ ...chosen, sort, format, columns: columns.join(',') })}`;
      replace(exports, 'Export this view: ',
        h('a', { href: link('csv'), download: 'shepherd-devices.csv', class: 'export-csv' }, 'CSV'), ' · ',
        h('a', { href: link('json'), download: 'shepherd-devices.json', class: 'export-json' }, 'JSON'));
    }

    function columnChooser() {
      const boxes = Object.entries(COLUMNS).map(([key, column]) => {
        const box = h('input', { type: 'checkbox', name: 'column', value: key, checked: columns.includes(key) });
        return h('label', { class: 'check' }, box, ` ${column.label}`);
      });
      const status = h('p', { class: 'hint', role: 'status' });
      const form = h('form', { class: 'column-chooser' }, h('fieldset', {}, h('legend', {}, 'Columns shown'), boxes), status,
        h('button', { type: 'submit', class: 'secondary' }, 'Show these columns'));
      form.addEventListener('submit', async event => {
        event.preventDefault();
        // Kept in the list's order, so columns do not jump about as they are ticked.
        const ticked = [...form.querySelectorAll('input[name=column]:checked')].map(box => box.value);
        if (ticked.length === 0) {
          markInvalid(form.querySelector('input[name=column]'), 'Choose at least one column.', status);
          return;
        }
        try {
          columns = (await api.put('/api/v1/device-views/columns', { columns: ticked })).columns;
          replace(status, 'Columns saved for you.');
          load(false);
        } catch (error) {
          showProblems(form, error, { feedback: status });
        }
      });
      return h('details', { class: 'tool' }, h('summary', {}, 'Columns'), form);
    }

    function savedViews() {
      const pick = h('select', { name: 'view', 'aria-label': 'Saved views' }, h('option', { value: '' }, 'Saved views…'),
        views.map(view => h('option', { value: view.id }, `${view.name}${view.owner === api.me.username ? '' : ` (shared by ${view.owner})`}`)));
      pick.addEventListener('change', async () => {
        const view = views.find(candidate => candidate.id === pick.value);
        if (!view) return;
        // Opening a view shows its columns, and they become the admin's columns.
        if (view.columns.length) await api.put('/api/v1/device-views/columns', { columns: view.columns }).catch(() => {});
        navigate(`/devices?${view.query}`);
        announce(`View ${view.name} opened`);
      });
      const name = h('input', { name: 'view-name', maxlength: 100, autocomplete: 'off' });
      const shared = h('input', { type: 'checkbox', name: 'view-shared' });
      const status = h('p', { class: 'hint', role: 'status' });
      const form = h('form', { class: 'save-view' }, field('View name', name), h('label', { class: 'check' }, shared, ' Share with every admin'),
        status, h('button', { type: 'submit', class: 'secondary' }, 'Save view'));
      form.addEventListener('submit', async event => {
        event.preventDefault();
        if (blank(name, status, 'Give the view a name.')) return;
        try {
          const view = await api.post('/api/v1/device-views', { name: name.value.trim(), query: viewQuery(), columns, shared: shared.checked });
          views.push(view);
          pick.append(h('option', { value: view.id }, view.name));
          replace(status, `Saved as “${view.name}”.`);
          name.value = '';
        } catch (error) {
          showProblems(form, error, { fields: { name }, feedback: status });
        }
      });
      return h('div', { class: 'views' }, views.length ? pick : null,
        h('details', { class: 'tool' }, h('summary', {}, 'Save this view'), form));
    }

    // The actions on the selected devices, each offered when the role holds its permission; the server decides per device.
    function drawBulkBar() {
      const count = selected.size;
      bulkBar.hidden = count === 0;
      if (count === 0) {
        replace(bulkBar);
        return;
      }
      const actions = [];
      if (api.can('GROUP_WRITE') && groups.some(candidate => candidate.kind === 'static')) actions.push(['add_to_group', 'Add to group']);
      if (api.can('DEVICE_WRITE')) actions.push(['tag', 'Add a tag'], ['untag', 'Remove a tag']);
      if (api.can('DEVICE_ACTION')) actions.push(['command', 'Send a command']);
      if (api.can('DEVICE_WIPE')) actions.push(['retire', 'Retire']);
      if (actions.length === 0) {
        replace(bulkBar, h('h2', { id: 'bulk-title' }, `${plural(count, 'device')} selected`),
          h('p', { class: 'hint' }, 'Your role can take no action on several devices at once.'));
        return;
      }
      const action = h('select', { name: 'bulk-action' }, actions.map(([value, label]) => h('option', { value }, label)));
      const target = h('select', { name: 'bulk-group' }, groups.filter(candidate => candidate.kind === 'static')
        .map(candidate => h('option', { value: candidate.id }, candidate.name)));
      const tagName = h('input', { name: 'bulk-tag', maxlength: 100, autocomplete: 'off' });
      const command = h('select', { name: 'bulk-command' }, BULK_COMMANDS.filter(candidate => !candidate.erases || api.can('DEVICE_WIPE'))
        .map(candidate => h('option', { value: candidate.type }, candidate.label)));
      const targetField = field('Add to group', target);
      const tagField = field('Tag to add or remove', tagName);
      const commandField = field('Command to send', command);
      const show = () => {
        targetField.hidden = action.value !== 'add_to_group';
        tagField.hidden = action.value !== 'tag' && action.value !== 'untag';
        commandField.hidden = action.value !== 'command';
      };
      action.addEventListener('change', show);
      const form = h('form', { class: 'grid' }, field('Action', action), targetField, tagField, commandField,
        h('button', { type: 'submit', class: 'primary' }, `Apply to ${plural(count, 'device')}`));
      show();
      form.addEventListener('submit', async event => {
        event.preventDefault();
        await applyBulk(action.value, { groupId: target.value, tag: tagName.value.trim(), type: command.value }, tagName);
      });
      replace(bulkBar, h('h2', { id: 'bulk-title' }, `${plural(count, 'device')} selected`), form,
        h('button', { type: 'button', class: 'link', onclick: () => { selected.clear(); draw(true); } }, 'Clear the selection'));
    }

    async function applyBulk(action, { groupId, tag: tagValue, type }, tagInput) {
      replace(feedback);
      const deviceIds = [...selected];
      const count = deviceIds.length;
      const commandLabel = BULK_COMMANDS.find(candidate => candidate.type === type)?.label ?? type;
      const what = { add_to_group: 'Added to the group', tag: `Tag “${tagValue}” added`, untag: `Tag “${tagValue}” removed`,
        command: `${commandLabel} sent`, retire: 'Retired' }[action];
      const body = { action, deviceIds };
      if (action === 'add_to_group') body.groupId = groupId;
      if (action === 'tag' || action === 'untag') {
        if (blank(tagInput, feedback, 'Type the tag.')) return;
        body.tag = tagValue;
      }
      if (action === 'command') {
        body.command = { type };
        const erases = BULK_COMMANDS.find(candidate => candidate.type === type)?.erases;
        if (erases) {
          const text = 'Every app and all data on each of these devices are erased and they leave management. This cannot be undone.';
          const sure = count > 1
            ? await confirmTyped({ title: `Erase ${count} devices?`, text, expected: String(count),
              prompt: `Type the number of devices, ${count}, to confirm`, confirm: `Erase ${count} devices` })
            : await confirmAction({ title: 'Erase this device?', text, confirm: 'Erase device', danger: true });
          if (!sure) return;
        }
      }
      if (action === 'retire') {
        const sure = await confirmAction({ title: `Retire ${plural(count, 'device')}?`,
          text: 'Each is told to leave management (what the organisation installed is removed) and its identity is revoked once it answers.',
          confirm: `Retire ${plural(count, 'device')}`, danger: true });
        if (!sure) return;
      }
      try {
        const result = await api.post('/api/v1/devices/bulk', body);
        const names = new Map(rows.map(({ device }) => [device.id, deviceName(device)]));
        const problems = result.devices.filter(outcome => outcome.outcome !== 'done');
        const summary = `${what}: ${result.done} of ${plural(count, 'device')} done${result.refused ? `, ${result.refused} refused` : ''}${result.notFound ? `, ${result.notFound} not found` : ''}.`;
        replace(feedback, h('div', { class: `message ${problems.length ? 'error' : 'info'}`, role: problems.length ? 'alert' : 'status' },
          h('p', {}, summary),
          problems.length ? h('ul', {}, problems.map(outcome => h('li', {},
            `${names.get(outcome.deviceId) ?? outcome.deviceId}: ${outcome.outcome === 'not_found' ? 'not found' : outcome.detail ?? 'refused'}`))) : null));
        announce(summary);
        await load(false);
      } catch (error) {
        replace(feedback, message('error', error.message));
      }
    }

    let timer = null;
    text.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => load(false), 250);
    });
    for (const control of [platform, status, ownership, compliance, group]) control.addEventListener('change', () => load(false));
    form.addEventListener('submit', event => {
      event.preventDefault();
      load(false);
    });
    await load(false);
  },
};
