import { h, replace, field, message, empty, table, when, words, heading, announce, badge } from '../dom.js';

const LEVELS = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'NONE', 'UNKNOWN'];

/** A number of seconds in the largest unit that keeps it whole enough to read: 45 s, 30 min, 6 h, 2 days. */
function age(seconds) {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 2 * 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

/** A threat level as a badge whose words say it (colour only repeats them). */
export function threatLevel(level) {
  return badge('threat', level);
}

/** A connector's or a verdict's freshness: "Fresh", or "Stale since …" flagged for everyone, not by colour alone. */
export function freshness(stale, staleSince) {
  return stale
    ? badge('warn', 'STALE', `Stale since ${when(staleSince)}`)
    : badge('ok', 'FRESH', 'Fresh');
}

/**
 * The threat section of a device's page: its effective level, each connector's verdict with its freshness, and the
 * threats behind them with links to the vendors' consoles.
 */
export function deviceThreats(state) {
  const threats = state.verdicts.flatMap(verdict => verdict.threats.map(threat => ({ ...threat, connector: verdict.connector })));
  const summary = h('p', {}, 'Effective level: ', threatLevel(state.level),
    state.staleConnectors.length ? ` (no fresh verdict from ${state.staleConnectors.join(', ')}: a stale verdict never counts as secure)` : '');
  if (!state.verdicts.length) {
    return [summary, empty('No threat-defense connector has reported this device.',
      'Its level stays unknown until a connector reports it, or an admin links an unmatched signal to it.')];
  }
  return [summary,
    state.staleConnectors.length ? message('error', `Stale: ${state.staleConnectors.join(', ')} has not been heard from within its stale age.`) : null,
    table('Each connector’s verdict', ['Connector', 'Level', 'Vendor’s verdict', 'Vendor device', 'Assessed', 'Received', 'Freshness'],
      state.verdicts.map(verdict => [verdict.connector, threatLevel(verdict.level), verdict.vendorVerdict || '—', verdict.vendorDeviceId,
        when(verdict.assessedAt), when(verdict.receivedAt), freshness(verdict.stale, verdict.staleSince)])),
    threats.length
      ? table('The threats behind the verdicts', ['Threat', 'Type', 'Severity', 'Connector', 'First seen', 'Last seen'],
        threats.map(threat => [threat.link
          ? h('a', { href: threat.link, target: '_blank', rel: 'noopener noreferrer' }, threat.name, h('span', { class: 'visually-hidden' }, ' (vendor console, opens a new tab)'))
          : threat.name, threat.type, threatLevel(threat.severity), threat.connector, when(threat.firstSeen), when(threat.lastSeen)]))
      : empty('No threat is behind the verdicts.')];
}

/**
 * Threat defense: the connectors' health (stale ones flagged), devices by effective level, and the signals that
 * matched no device, with the action that links one to a device.
 */
export const threatsPage = {
  path: '/threats',
  nav: 'Threats',
  title: 'Threats',
  needs: 'COMPLIANCE_READ',
  async render({ api, main, params, stale }) {
    const canWrite = api.can('COMPLIANCE_WRITE');
    const connectorsArea = h('div', { 'aria-live': 'polite' });
    const devicesArea = h('div', { class: 'results', 'aria-live': 'polite' });
    const unmatchedArea = h('div', { 'aria-live': 'polite' });
    const feedback = h('div', { class: 'feedback' });
    const level = h('select', { name: 'level' }, h('option', { value: '' }, 'Any level'),
      LEVELS.map(value => h('option', { value, selected: params.query.get('level') === value }, words(value))));
    const filter = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter devices by threat level' },
      field('Effective level', level), h('button', { type: 'submit', class: 'primary' }, 'Filter'));
    replace(main, heading('Threats'),
      h('p', { class: 'lead' }, 'What threat-defense connectors report about devices. A connector silent for longer than its stale age makes its verdicts stale: they count as unknown, never as secure.'),
      feedback,
      h('section', { 'aria-labelledby': 'connectors-title' }, h('h2', { id: 'connectors-title' }, 'Connectors'), connectorsArea),
      h('section', { 'aria-labelledby': 'threat-devices-title' }, h('h2', { id: 'threat-devices-title' }, 'Devices by threat level'), filter, devicesArea),
      h('section', { 'aria-labelledby': 'unmatched-title' }, h('h2', { id: 'unmatched-title' }, 'Unmatched signals'), unmatchedArea));

    const act = async (work, done) => {
      try {
        await work();
        announce(done);
        replace(feedback, message('info', done));
        await Promise.all([drawConnectors(), drawUnmatched(), drawDevices(false)]);
      } catch (error) {
        replace(feedback, message('error', error.message));
      }
    };

    const staleAgeForm = connector => {
      const minutes = h('input', { type: 'number', min: 1, max: 43200, name: 'minutes', required: true,
        value: connector.adminStaleAfterSeconds ? Math.round(connector.adminStaleAfterSeconds / 60) : '' });
      const form = h('form', { class: 'inline' }, field('Stale after (minutes)', minutes, 'An admin’s setting overrides the connector’s own and the server’s default.'),
        h('button', { type: 'submit', class: 'secondary' }, 'Save'),
        connector.adminStaleAfterSeconds ? h('button', { type: 'button', class: 'secondary', onclick: () => act(
          () => api.put(`/api/v1/threats/connectors/${encodeURIComponent(connector.id)}/stale-after`, { staleAfterSeconds: null }),
          `${connector.displayName} uses its default stale age again.`) }, 'Use the default') : null);
      form.addEventListener('submit', event => {
        event.preventDefault();
        act(() => api.put(`/api/v1/threats/connectors/${encodeURIComponent(connector.id)}/stale-after`,
          { staleAfterSeconds: Number(minutes.value) * 60 }), `${connector.displayName} is stale after ${minutes.value} minutes.`);
      });
      return h('details', { class: 'edit' }, h('summary', {}, 'Stale age'), form);
    };

    async function drawConnectors() {
      const connectors = await api.get('/api/v1/threats/connectors');
      if (stale()) return;
      const staleOnes = connectors.filter(connector => connector.stale);
      replace(connectorsArea, connectors.length
        ? [staleOnes.length ? message('error', `Stale: ${staleOnes.map(connector => connector.displayName).join(', ')}. Their verdicts no longer count as secure.`) : null,
          table('Each connector’s health', ['Connector', 'Freshness', 'Last heard', 'Last poll', 'Last error', 'Next poll', 'Matched', 'Unmatched', 'Stale age', ''],
            connectors.map(connector => [
              h('span', {}, connector.displayName, h('br'), h('small', {}, `${connector.id} · ${connector.pluginId}${connector.running ? '' : ' · not running'}`)),
              freshness(connector.stale, connector.staleSince),
              when(connector.lastHeardAt),
              connector.pollIntervalSeconds || !connector.running ? when(connector.lastPollAt) : 'Push only',
              connector.setupProblem ? `Not set up: ${connector.setupProblem}` : connector.lastError
                ? `${connector.lastError}${connector.consecutiveFailures ? ` (${connector.consecutiveFailures} in a row)` : ''}` : '—',
              connector.pollIntervalSeconds ? when(connector.nextPollAt) : '—',
              String(connector.matched), String(connector.unmatched),
              `${age(connector.staleAfterSeconds)}${connector.adminStaleAfterSeconds ? ' (set by an admin)' : ''}`,
              canWrite ? h('div', { class: 'actions' },
                connector.running && connector.pollIntervalSeconds ? h('button', { type: 'button', class: 'secondary', onclick: () => act(
                  () => api.post(`/api/v1/threats/connectors/${encodeURIComponent(connector.id)}/poll`),
                  `${connector.displayName} is polled now.`) }, 'Poll now') : null,
                staleAgeForm(connector)) : '']))]
        : empty('No threat-defense connector is installed.', 'Install a connector plugin (Microsoft Defender for Endpoint, Lookout, or signed webhooks) on the Plugins page.'));
    }

    let rows = [];
    let cursor = null;
    async function drawDevices(more) {
      const chosen = level.value;
      history.replaceState(null, '', `#/threats${chosen ? `?level=${chosen}` : ''}`);
      const page = await api.get('/api/v1/threats/devices', { level: chosen || null, limit: 50, cursor: more ? cursor : null });
      if (stale()) return;
      rows = more ? rows.concat(page.items) : page.items;
      cursor = page.nextCursor ?? null;
      replace(devicesArea, rows.length
        ? [table(`${rows.length} device${rows.length === 1 ? '' : 's'}${cursor ? ' shown, more available' : ''}`,
          ['Device', 'Effective level', 'Verdicts', 'Stale connectors'],
          rows.map(state => [h('a', { href: `#/devices/${encodeURIComponent(state.deviceId)}` }, state.deviceId.slice(0, 8)),
            threatLevel(state.level),
            state.verdicts.map(verdict => `${verdict.connector}: ${words(verdict.level)}`).join('; '),
            state.staleConnectors.join(', ') || '—'])),
        cursor ? h('button', { type: 'button', class: 'secondary', onclick: () => drawDevices(true).catch(error => replace(devicesArea, message('error', error.message))) }, 'Show more devices') : null]
        : empty(chosen ? `No device is at ${words(chosen).toLowerCase()}.` : 'No connector has reported a managed device yet.'));
    }

    async function drawUnmatched() {
      const signals = await api.get('/api/v1/threats/unmatched', { limit: 100 });
      if (stale()) return;
      replace(unmatchedArea, signals.length
        ? table('Signals that matched no managed device (or more than one), newest first',
          ['Connector', 'Vendor device', 'Serial or name', 'Level', 'Why', 'Received', canWrite ? 'Link to a device' : ''],
          signals.map(signal => {
            const deviceId = h('input', { name: 'deviceId', required: true, autocomplete: 'off', placeholder: 'device id' });
            const form = h('form', { class: 'inline' }, field(`Device for ${signal.vendorDeviceId}`, deviceId),
              h('button', { type: 'submit', class: 'secondary' }, 'Link'));
            form.addEventListener('submit', event => {
              event.preventDefault();
              act(() => api.post('/api/v1/threats/unmatched/link', { connectorId: signal.connectorId, vendorDeviceId: signal.vendorDeviceId,
                deviceId: deviceId.value.trim() }), `${signal.vendorDeviceId} is linked; its verdict now applies to the device.`);
            });
            return [signal.connectorId, signal.vendorDeviceId, signal.device.serialNumber ?? signal.device.name ?? '—', threatLevel(signal.level),
              signal.reason, when(signal.receivedAt), canWrite ? form : ''];
          }))
        : empty('Every signal matched a managed device.'));
    }

    filter.addEventListener('submit', event => {
      event.preventDefault();
      drawDevices(false).catch(error => replace(devicesArea, message('error', error.message)));
    });
    await Promise.all([drawConnectors(), drawDevices(false), drawUnmatched()]);
  },
};
