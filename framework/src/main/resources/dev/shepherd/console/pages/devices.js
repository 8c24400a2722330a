import { h, replace, field, message, empty, table, when, words, heading, announce, badge } from '../dom.js';

// Platforms Shepherd's bundled plugins manage; those of other running plugins are added from GET /api/v1/platforms.
const PLATFORM_NAMES = { ios: 'iOS and iPadOS', macos: 'macOS', android: 'Android', windows: 'Windows', chromeos: 'ChromeOS' };
const STATUSES = ['PENDING', 'ENROLLED', 'QUARANTINED', 'RETIRED', 'WIPED'];
const COMPLIANCE = ['COMPLIANT', 'NON_COMPLIANT', 'IN_GRACE_PERIOD', 'UNKNOWN'];
// What the search box looks in; each is an indexed filter of GET /api/v1/devices, so search stays fast on big fleets.
const SEARCH_BY = [['name', 'Name starts with'], ['serial', 'Serial number is'], ['user', 'User id is'], ['tag', 'Has tag']];

function select(name, label, values, chosen, show = words) {
  return h('select', { name, 'aria-label': label },
    h('option', { value: '' }, `Any ${label.toLowerCase()}`),
    values.map(value => h('option', { value, selected: value === chosen }, show(value))));
}

function deviceLink(device) {
  return h('a', { href: `#/devices/${encodeURIComponent(device.id)}` }, device.name || device.serialNumber || device.id);
}

/** The device list: search and filters over the indexed device query, a keyset page at a time. */
export const devicesPage = {
  path: '/devices',
  nav: 'Devices',
  title: 'Devices',
  needs: 'DEVICE_READ',
  async render({ api, main, params, stale }) {
    const query = params.query;
    const by = SEARCH_BY.some(([key]) => query.has(key)) ? SEARCH_BY.find(([key]) => query.has(key))[0] : 'name';
    const text = h('input', { type: 'search', name: 'q', value: query.get(by) ?? '', autocomplete: 'off' });
    const searchBy = h('select', { name: 'by', 'aria-label': 'Search in' },
      SEARCH_BY.map(([key, label]) => h('option', { value: key, selected: key === by }, label)));
    const running = await api.get('/api/v1/platforms');
    if (stale()) return;
    const platforms = [...new Set([...Object.keys(PLATFORM_NAMES), ...running.map(candidate => candidate.id)])];
    const platform = select('platform', 'Platform', platforms, query.get('platform'), id => PLATFORM_NAMES[id] ?? id);
    const status = select('status', 'Status', STATUSES, query.get('status'));
    const compliance = select('compliance', 'Compliance', COMPLIANCE, query.get('compliance'));
    const results = h('div', { class: 'results', 'aria-live': 'polite' });
    // Set by the groups page's links; shown, and cleared by following the link to all devices.
    const group = query.get('group');
    const form = h('form', { class: 'filters', role: 'search' },
      h('div', { class: 'search-row' }, searchBy, field('Search devices', text)),
      platform, status, compliance,
      h('button', { type: 'submit', class: 'primary' }, 'Search'));
    replace(main, heading('Devices'), form,
      group ? h('p', { class: 'hint' }, 'Showing the members of one group. ', h('a', { href: '#/devices' }, 'Show all devices')) : null,
      results);

    let cursor = null;
    let rows = [];
    let latest = 0;
    const filters = () => {
      const chosen = { platform: platform.value, status: status.value, compliance: compliance.value, group };
      if (text.value.trim()) chosen[searchBy.value] = text.value.trim();
      return chosen;
    };
    const load = async more => {
      latest += 1;
      const mine = latest;
      const chosen = filters();
      const shown = new URLSearchParams(Object.entries(chosen).filter(([, value]) => value));
      history.replaceState(null, '', `#/devices${shown.size ? `?${shown}` : ''}`);
      try {
        const page = await api.get('/api/v1/devices', { ...chosen, sort: 'name', limit: 50, cursor: more ? cursor : null });
        if (mine !== latest || stale()) return;
        rows = more ? rows.concat(page.items) : page.items;
        cursor = page.nextCursor ?? null;
        draw(Object.values(chosen).some(Boolean));
      } catch (error) {
        if (mine === latest && !stale()) replace(results, message('error', error.message));
      }
    };
    const draw = filtered => {
      if (rows.length === 0) {
        replace(results, filtered
          ? empty('No device matches these filters.', 'Clear the search or choose “Any” in the filters.')
          : empty('No devices yet.', api.can('ENROLLMENT_WRITE')
            ? h('a', { href: '#/enrollment' }, 'Create an enrollment link') : 'Devices appear here once they enroll.',
          api.can('ENROLLMENT_WRITE') ? ' and open it on a device to enroll it.' : ''));
        announce('No devices found');
        return;
      }
      replace(results,
        table(`${rows.length} device${rows.length === 1 ? '' : 's'}${cursor ? ' shown, more available' : ''}`,
          ['Name', 'Platform', 'Model', 'OS', 'Serial', 'Status', 'Compliance', 'Last check-in'],
          rows.map(({ device }) => [deviceLink(device), device.platform, device.model || '—', device.osVersion || '—',
            device.serialNumber || '—', badge('device', device.status), badge('compliance', device.compliance), when(device.lastCheckIn)])),
        cursor ? h('button', { type: 'button', class: 'secondary', onclick: () => load(true) }, 'Show more devices') : null);
      announce(`${rows.length} devices shown`);
    };

    let timer = null;
    text.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => load(false), 250);
    });
    for (const control of [searchBy, platform, status, compliance]) control.addEventListener('change', () => load(false));
    form.addEventListener('submit', event => {
      event.preventDefault();
      load(false);
    });
    await load(false);
  },
};
