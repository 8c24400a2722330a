import { h, replace, field, message, empty, table, when, words, heading, confirmAction, announce, badge } from '../dom.js';
import { appState } from './apps.js';
import { deviceThreats } from './threats.js';

// Remote actions. `confirm` is shown before anything that interrupts the user or destroys data.
const ACTIONS = [
  { type: 'LOCK', label: 'Lock', needs: 'DEVICE_ACTION',
    confirm: { title: 'Lock this device?', text: 'The device locks its screen at once; the user must unlock it with the passcode.', confirm: 'Lock device' } },
  { type: 'RESTART', label: 'Restart', needs: 'DEVICE_ACTION',
    confirm: { title: 'Restart this device?', text: 'The device restarts at once; unsaved work on it may be lost.', confirm: 'Restart device' } },
  { type: 'REFRESH_INVENTORY', label: 'Refresh inventory', needs: 'DEVICE_ACTION' },
  // Ends management like "Wipe and retire…": the device is wiped at once, so its page is drawn again.
  { type: 'WIPE', label: 'Erase…', needs: 'DEVICE_WIPE', ends: 'wiped',
    confirm: { title: 'Erase this device?', text: 'Every app and all data on the device are erased and it leaves management. This cannot be undone.', confirm: 'Erase device', danger: true } },
];

// Lifecycle changes (the device's status), each confirmed; `from` lists the statuses it applies to.
const LIFECYCLE = [
  { action: 'quarantine', label: 'Quarantine', from: ['ENROLLED'], done: 'quarantined',
    confirm: { title: 'Quarantine this device?', text: 'It loses access to corporate resources until it is released. It stays managed.', confirm: 'Quarantine device', danger: true } },
  { action: 'release', label: 'Release from quarantine', from: ['QUARANTINED'], done: 'released from quarantine',
    confirm: { title: 'Release this device from quarantine?', text: 'It is enrolled again and regains access if it is compliant.', confirm: 'Release device' } },
  { action: 'retire', label: 'Retire…', from: ['PENDING', 'ENROLLED', 'QUARANTINED'], done: 'retired',
    confirm: { title: 'Retire this device?', text: 'It is told to leave management (what the organisation installed is removed) and its identity is revoked once it answers; no other command or policy reaches it. Enroll it again to manage it.', confirm: 'Retire device', danger: true } },
  { action: 'wipe', label: 'Wipe and retire…', from: ['ENROLLED', 'QUARANTINED'], done: 'wiped',
    confirm: { title: 'Wipe this device?', text: 'It is told to erase itself, then leaves management with its identity revoked. Personal devices cannot be wiped: retire them.', confirm: 'Wipe device', danger: true } },
  // A device that lost its certificate (a factory reset) can only come back into this record with an admin's say-so.
  { action: 'allow-re-enrollment', label: 'Allow re-enrollment…', from: ['PENDING', 'ENROLLED', 'QUARANTINED'], done: 'allowed to enroll again once, within 24 hours',
    confirm: { title: 'Let this device enroll again?', text: 'The next enrollment naming its hardware identifiers, within 24 hours, takes over this record (keeping its ownership, user, groups and policies) and its current certificate is revoked. Do this only for the real device, after a reset.', confirm: 'Allow re-enrollment', danger: true } },
];

function definitionList(pairs) {
  return h('dl', { class: 'facts' }, pairs.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

/** A setting's value as field and value pairs, nested values as JSON; secrets never come back from the server. */
function values(value) {
  return h('dl', { class: 'values' }, Object.entries(value ?? {}).map(([key, field]) => [h('dt', {}, key),
    h('dd', {}, typeof field === 'object' && field !== null ? JSON.stringify(field) : String(field))]));
}

/** One device: what it is, what it reported, desired versus actual policy state, commands, and remote actions. */
export const devicePage = {
  path: '/devices/:id',
  section: 'Devices',
  title: 'Device',
  needs: 'DEVICE_READ',
  async render({ api, main, params, navigate, stale }) {
    const base = `/api/v1/devices/${encodeURIComponent(params.id)}`;
    const record = await api.get(base);
    if (stale()) return;
    const device = record.device;
    document.title = `${device.name || device.serialNumber || 'Device'} · Shepherd`;
    const feedback = h('div', { class: 'feedback' });
    const commands = h('section', { 'aria-labelledby': 'commands-title' }, h('h2', { id: 'commands-title' }, 'Command history'), h('p', { class: 'loading' }, 'Loading…'));
    // A retired or wiped device takes no command any more (the server refuses them): none is offered.
    const managed = !['RETIRED', 'WIPED'].includes(device.status);
    const actions = ACTIONS.filter(action => managed && api.can(action.needs) && api.allows('POST', `${base}/commands`));
    const actionBar = actions.length ? h('div', { class: 'actions', role: 'group', 'aria-label': 'Remote actions' },
      actions.map(action => h('button', {
        type: 'button',
        class: action.confirm?.danger ? 'danger' : 'secondary',
        onclick: async () => {
          if (action.confirm && !(await confirmAction(action.confirm))) return;
          try {
            await api.post(`${base}/commands`, { type: action.type });
            if (action.ends) {
              navigate(`/devices/${encodeURIComponent(device.id)}`);
              announce(`The device is ${action.ends}.`);
              return;
            }
            replace(feedback, message('info', `${action.label.replace('…', '')} sent. It reaches the device the next time it checks in.`));
            await drawCommands();
          } catch (error) {
            replace(feedback, message('error', error.message));
          }
        },
      }, action.label))) : null;

    const changes = LIFECYCLE.filter(change => change.from.includes(device.status) && api.allows('POST', `${base}/${change.action}`));
    const lifecycleBar = changes.length ? h('div', { class: 'actions', role: 'group', 'aria-label': 'Lifecycle' },
      changes.map(change => h('button', {
        type: 'button',
        class: change.confirm.danger ? 'danger' : 'secondary',
        onclick: async () => {
          if (!(await confirmAction(change.confirm))) return;
          try {
            await api.post(`${base}/${change.action}`, { reason: `${change.done} in the console` });
            navigate(`/devices/${encodeURIComponent(device.id)}`);
            announce(`The device is ${change.done}.`);
          } catch (error) {
            replace(feedback, message('error', error.message));
          }
        },
      }, change.label))) : null;

    replace(main,
      heading(device.name || device.serialNumber || 'Unnamed device', h('a', { href: '#/devices', class: 'back' }, 'All devices')),
      actionBar, lifecycleBar, feedback,
      definitionList([
        ['Platform', device.platform], ['Model', device.model || '—'], ['OS version', device.osVersion || '—'],
        ['Serial number', device.serialNumber || '—'], ['Status', badge('device', device.status)], ['Ownership', words(device.ownership)],
        ['Compliance', badge('compliance', device.compliance)], ['User', device.userId || '—'], ['Enrolled', when(device.enrolledAt)],
        ['Last check-in', when(device.lastCheckIn)], ['Tags', (device.tags ?? []).join(', ') || '—'],
        ...Object.entries(device.attributes ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => [`Attribute ${name}`, value]),
      ]),
      api.allows('PATCH', base) ? detailsForm() : null);

    // Name, ownership, user and tags, as an admin corrects them (If-Match: a change saved meanwhile is not overwritten).
    function detailsForm() {
      const name = h('input', { name: 'device-name', maxlength: 200, value: device.name ?? '' });
      const ownership = h('select', { name: 'device-ownership' }, ['CORPORATE', 'PERSONAL'].map(value =>
        h('option', { value, selected: value === device.ownership }, value === 'PERSONAL' ? 'Personal (BYOD)' : 'Corporate')));
      const user = h('input', { name: 'device-user', maxlength: 200, value: device.userId ?? '' });
      const tags = h('input', { name: 'device-tags', maxlength: 2000, value: (device.tags ?? []).join(', ') });
      const attributes = h('textarea', { name: 'device-attributes', rows: 3, maxlength: 20000 });
      attributes.value = Object.entries(device.attributes ?? {}).map(([name, value]) => `${name}=${value}`).join('\n');
      const formFeedback = h('div', { class: 'feedback' });
      const form = h('form', { class: 'card' },
        h('div', { class: 'grid' }, field('Device name', name), field('Ownership', ownership, 'Decides which policies and wipes apply.'),
          field('User id', user, 'The directory user the device belongs to; empty for none.'),
          field('Tags', tags, 'Comma-separated; smart-group rules can test them.'),
          field('Custom attributes', attributes, 'One name=value per line, such as cost-centre=4711; smart-group rules can test them.')),
        formFeedback, h('button', { type: 'submit', class: 'primary' }, 'Save details'));
      form.addEventListener('submit', async event => {
        event.preventDefault();
        const parsed = {};
        for (const [index, line] of attributes.value.split('\n').entries()) {
          if (!line.trim()) continue;
          const equals = line.indexOf('=');
          if (equals < 1) {
            replace(formFeedback, message('error', `Custom attributes, line ${index + 1}: write name=value.`));
            attributes.focus();
            return;
          }
          parsed[line.slice(0, equals).trim()] = line.slice(equals + 1).trim();
        }
        const body = {
          ...(name.value.trim() ? { name: name.value.trim() } : {}), ownership: ownership.value, userId: user.value.trim(),
          tags: [...new Set(tags.value.split(',').map(tag => tag.trim()).filter(Boolean))], attributes: parsed,
        };
        try {
          await api.patch(base, body, { 'If-Match': `"${record.version}"` });
          navigate(`/devices/${encodeURIComponent(device.id)}`);
          announce('Device details saved.');
        } catch (error) {
          replace(formFeedback, message('error', error.message));
        }
      });
      return h('details', { class: 'edit' }, h('summary', {}, 'Edit details'), form);
    }

    const section = (id, title, content) => h('section', { 'aria-labelledby': id }, h('h2', { id }, title), content);

    const inventory = await api.get(`${base}/inventory`);
    if (stale()) return;
    const facts = Object.entries(inventory ?? {}).sort(([a], [b]) => a.localeCompare(b));
    // An enrollment asserted identifiers another device holds without proving to be it: the kernel kept them apart.
    if (inventory?.['identity.conflict']) {
      main.append(message('error', `Identity conflict: ${inventory['identity.conflict']}`));
    }
    main.append(section('inventory-title', 'Inventory', facts.length
      ? table('What the device reported', ['Key', 'Value'], facts)
      : empty('The device has not reported any inventory yet.',
        api.can('DEVICE_ACTION') ? 'Use “Refresh inventory” to ask for it.' : 'It reports at its next check-in.')));

    if (api.can('POLICY_READ')) {
      const states = await api.get(`${base}/settings`);
      if (stale()) return;
      main.append(section('settings-title', 'Policy settings: desired versus actual', states.length
        ? table('Each setting the device should have, and its state on the device', ['Setting', 'Type', 'State', 'Reason', 'Updated'],
          states.map(state => [state.settingKey, state.settingType, badge('setting', state.state),
            state.reason || '—', when(state.updatedAt)]))
        : empty('No policy applies to this device.', api.can('POLICY_WRITE')
          ? h('a', { href: '#/policies' }, 'Assign a policy to one of its groups.') : 'An operator can assign a policy to one of its groups.')));
    }

    if (api.allows('GET', `${base}/effective-policy`)) {
      // What the device should have, merged from every policy assigned to its groups, and where each value comes from.
      const [effective, types] = await Promise.all([api.get(`${base}/effective-policy`), api.get('/api/v1/setting-types')]);
      if (stale()) return;
      // Fields a schema marks writeOnly (passwords, shared secrets) are not shown.
      const hidden = new Map(types.map(type => [type.name,
        new Set(Object.entries(type.schema?.properties ?? {}).filter(([, field]) => field.writeOnly).map(([name]) => name))]));
      const shown = (type, value) => Object.fromEntries(Object.entries(value ?? {})
        .map(([name, field]) => [name, hidden.get(type)?.has(name) ? '••••••' : field]));
      main.append(section('effective-title', 'Effective policy', effective.length
        ? table('The merged settings for this device, with the policies they come from', ['Setting', 'Type', 'Value', 'From policies'],
          effective.map(item => [item.setting.key, item.setting.type, values(shown(item.setting.type, item.setting.value)),
            h('span', {}, item.policyIds.map((id, index) => [index ? ', ' : '', h('a', { href: `#/policies/${encodeURIComponent(id)}` }, id.slice(0, 8))]))]))
        : empty('No policy applies to this device.', 'Policies reach a device through the groups it is in.')));
    }

    if (api.can('APP_READ')) {
      // The apps assigned to the device, desired versus actual, and every app it reports, managed or not.
      const apps = await api.get(`${base}/apps`);
      if (stale()) return;
      const reported = Object.entries(apps.installed ?? {}).sort(([a], [b]) => a.localeCompare(b));
      main.append(section('apps-title', 'Apps: desired versus actual', h('div', {},
        apps.managed.length
          ? table('The apps assigned to the device through its groups, and their state on it', ['App', 'Wanted', 'State', 'Installed version', 'Reason', 'Updated'],
            apps.managed.map(state => [h('a', { href: `#/apps/${encodeURIComponent(state.appId)}` }, state.appName), words(state.intent),
              appState(state.state), state.installedVersion ?? '—', state.reason ?? '—', when(state.updatedAt)]))
          : empty('No app is assigned to this device.', 'Apps reach a device through the groups it is in.'),
        reported.length
          ? table(`${reported.length} app${reported.length === 1 ? '' : 's'} the device reports`, ['Identifier', 'Version'],
            reported.map(([identifier, version]) => [identifier, version || '—']))
          : empty('The device has not reported its apps yet.'))));
    }

    if (api.can('COMPLIANCE_READ')) {
      const threats = await api.get(`${base}/threats`);
      if (stale()) return;
      main.append(section('threats-title', 'Threat defense', h('div', {}, deviceThreats(threats))));
    }

    if (api.can('COMMAND_READ')) {
      main.append(commands);
      await drawCommands();
    }

    async function drawCommands() {
      if (!api.can('COMMAND_READ')) return;
      const history = await api.get(`${base}/commands`, { limit: 50 });
      if (stale()) return;
      replace(commands, h('h2', { id: 'commands-title' }, 'Command history'), history.length
        ? table('Newest first', ['Command', 'State', 'Issued by', 'Created', 'Completed', 'Error'],
          history.map(entry => [words(entry.command.type), badge('command', entry.command.state), entry.createdBy,
            when(entry.command.createdAt), when(entry.completedAt), entry.errorReason || '—']))
        : empty('No commands have been sent to this device.'));
    }
  },
};
