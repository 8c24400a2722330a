import { h, replace, field, message, empty, table, when, words, heading, confirmAction, announce, uid, badge, markInvalid, showProblems, clearErrors } from '../dom.js';
import { appState } from './apps.js';
import { deviceThreats } from './threats.js';
import { describe as describeRule } from './compliance.js';

// Remote actions. `confirm` is shown before anything that interrupts the user or destroys data; LOCK has its own
// dialog (lockDialog), which asks for what the lock screen shows where the platform can show it.
const ACTIONS = [
  { type: 'LOCK', label: 'Lock', needs: 'DEVICE_ACTION' },
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

// Apple's DeviceLock command shows a message and a phone number on the lock screen (AppleCommands); the other
// platforms' locks show neither, so the dialog asks for them only on these.
const LOCK_SCREEN_TEXT = new Set(['ios', 'macos']);

// The rule operators (GroupRule) in words, for the reasons a device is in a smart group.
const OPERATORS = {
  eq: 'is', ne: 'is not', in: 'is one of', startsWith: 'starts with', endsWith: 'ends with', gt: 'is above', gte: 'is at least',
  lt: 'is below', lte: 'is at most', has: 'has', hasNot: 'does not have', exists: 'is set',
};

// How a setting's value was decided among the policies setting it (SettingProvenance.Decision).
const DECISIONS = {
  SINGLE: 'Set by one policy.',
  PRIORITY: 'Set by several policies: the highest priority’s value is taken whole.',
  FIELDWISE: 'Set by several policies: combined field by field, the strictest value winning (otherwise the highest priority’s).',
};

const REMEDIATION_WORDS = { NOTIFY: 'Notify', QUARANTINE: 'Quarantine', LOCK: 'Lock the device', ENTERPRISE_WIPE: 'Enterprise wipe' };

// The tabs, in order; each loads its own data when it is first shown. `reads` is its first request, which the
// admin's role must allow for the tab to be offered.
const TABS = [
  { id: 'overview', label: 'Overview' },
  { id: 'compliance', label: 'Compliance', reads: base => `${base}/compliance/report` },
  { id: 'policies', label: 'Policies', reads: base => `${base}/policy-settings` },
  { id: 'apps', label: 'Apps', reads: base => `${base}/apps` },
  { id: 'commands', label: 'Commands', reads: base => `${base}/commands` },
  { id: 'inventory', label: 'Inventory', reads: base => `${base}/inventory` },
  { id: 'activity', label: 'Activity', reads: base => `${base}/activity` },
];

function definitionList(pairs) {
  return h('dl', { class: 'facts' }, pairs.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

const section = (id, title, ...content) => h('section', { 'aria-labelledby': id }, h('h2', { id }, title), ...content);

/** A value for reading: nested values as JSON. */
function shown(value) {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/** One device: what it is and why it is in the state it is in, a tab at a time, with its remote actions above. */
async function renderDevice({ api, main, params, navigate, stale }) {
  const base = `/api/v1/devices/${encodeURIComponent(params.id)}`;
  const tabs = TABS.filter(tab => !tab.reads || api.allows('GET', tab.reads(base)));
  const chosen = params.tab ?? 'overview';
  const record = await api.get(base);
  if (stale()) return;
  const device = record.device;
  const address = tab => `#/devices/${encodeURIComponent(device.id)}${tab === 'overview' ? '' : `/${tab}`}`;
  document.title = `${device.name || device.serialNumber || 'Device'} · Shepherd`;
  const feedback = h('div', { class: 'feedback' });
  const title = heading(device.name || device.serialNumber || 'Unnamed device', h('a', { href: '#/devices', class: 'back' }, 'All devices'));
  if (!tabs.some(tab => tab.id === chosen)) {
    replace(main, title, message('error', `This device page has no “${chosen}” tab your role can open.`),
      h('p', {}, h('a', { href: address('overview') }, 'Open the device’s overview')));
    return;
  }

  // A retired or wiped device takes no command any more (the server refuses them): none is offered.
  const managed = !['RETIRED', 'WIPED'].includes(device.status);
  const actions = ACTIONS.filter(action => managed && api.can(action.needs) && api.allows('POST', `${base}/commands`));
  // A device registered ahead of its enrollment (a platform program's list) cannot be reached yet: its commands wait.
  const awaitingEnrollment = device.status === 'PENDING';
  const pendingNote = awaitingEnrollment && actions.length
    ? h('p', { class: 'hint', id: 'awaiting-enrollment' }, 'This device has not enrolled yet: a command sent now waits for its enrollment and reaches it then.')
    : null;
  const actionBar = actions.length ? h('div', { class: 'actions', role: 'group', 'aria-label': 'Remote actions' },
    actions.map(action => h('button', {
      type: 'button',
      class: action.confirm?.danger ? 'danger' : 'secondary',
      onclick: async () => {
        let parameters = {};
        if (action.type === 'LOCK') {
          const answer = await lockDialog(device.platform);
          if (!answer) return;
          parameters = answer;
        } else if (action.confirm && !(await confirmAction(action.confirm))) {
          return;
        }
        try {
          await api.post(`${base}/commands`, { type: action.type, parameters });
          if (action.ends) {
            navigate(`/devices/${encodeURIComponent(device.id)}`);
            announce(`The device is ${action.ends}.`);
            return;
          }
          const sent = action.label.replace('…', '');
          replace(feedback, message('info', awaitingEnrollment
            ? `${sent} queued. The device has not enrolled yet: it gets the command once it enrolls.`
            : `${sent} sent. It reaches the device the next time it checks in.`));
          // The command's progress is on the Commands tab, which is shown with it.
          if (tabs.some(tab => tab.id === 'commands')) await select('commands', { reload: true });
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

  // The ARIA tabs pattern: arrow keys, Home and End move between the tabs and show the one they reach.
  const buttons = new Map();
  const panels = new Map();
  const loaded = new Set();
  for (const tab of tabs) {
    const tabId = uid('tab');
    const panelId = uid('panel');
    buttons.set(tab.id, h('button', {
      type: 'button', role: 'tab', id: tabId, 'aria-controls': panelId, 'aria-selected': 'false', tabindex: '-1',
      dataset: { tab: tab.id }, onclick: () => select(tab.id),
    }, tab.label));
    panels.set(tab.id, h('div', { role: 'tabpanel', id: panelId, 'aria-labelledby': tabId, tabindex: '0', class: 'tab-panel', hidden: true }));
  }
  const tablist = h('div', { role: 'tablist', 'aria-label': 'Device details', class: 'tabs' }, [...buttons.values()]);
  tablist.addEventListener('keydown', event => {
    const order = tabs.map(tab => tab.id);
    const at = order.indexOf(document.activeElement?.dataset?.tab);
    if (at < 0) return;
    const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: order.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const target = order[(next + order.length) % order.length];
    select(target);
    buttons.get(target).focus();
  });

  replace(main, title, pendingNote, actionBar, lifecycleBar, feedback, tablist, [...panels.values()]);

  const drawers = {
    overview: drawOverview, compliance: drawCompliance, policies: drawPolicies, apps: drawApps, commands: drawCommands,
    inventory: drawInventory, activity: drawActivity,
  };

  // Shows a tab, loading its data the first time (or again when asked), and puts it in the address so it can be linked.
  async function select(id, { reload = false, initial = false } = {}) {
    for (const [tab, button] of buttons) {
      const selected = tab === id;
      button.setAttribute('aria-selected', String(selected));
      button.tabIndex = selected ? 0 : -1;
      panels.get(tab).hidden = !selected;
    }
    // The address the page was opened at already names the tab (app.js's route() records it once the page is drawn).
    if (!initial && location.hash !== address(id)) {
      history.replaceState(null, '', address(id));
      // The content area names the address it shows (see app.js's route()).
      main.dataset.route = address(id);
    }
    if (loaded.has(id) && !reload) return;
    loaded.add(id);
    const panel = panels.get(id);
    replace(panel, h('p', { class: 'loading' }, 'Loading…'));
    try {
      await drawers[id](panel);
    } catch (error) {
      if (!stale()) replace(panel, message('error', error.message));
    }
  }

  async function drawOverview(panel) {
    const canUsers = api.allows('GET', '/api/v1/users');
    const [person, memberships, threats, inventory] = await Promise.all([
      device.userId && api.allows('GET', `/api/v1/users/${encodeURIComponent(device.userId)}`)
        ? api.get(`/api/v1/users/${encodeURIComponent(device.userId)}`).catch(() => null) : null,
      api.allows('GET', `${base}/memberships`) ? api.get(`${base}/memberships`) : null,
      api.can('COMPLIANCE_READ') && api.allows('GET', `${base}/threats`) ? api.get(`${base}/threats`) : null,
      api.allows('GET', `${base}/inventory`) ? api.get(`${base}/inventory`) : null,
    ]);
    if (stale()) return;
    replace(panel,
      // An enrollment asserted identifiers another device holds without proving to be it: the kernel kept them apart.
      inventory?.['identity.conflict'] ? message('error', `Identity conflict: ${inventory['identity.conflict']}`) : null,
      definitionList([
        ['Platform', device.platform], ['Model', device.model || '—'], ['OS version', device.osVersion || '—'],
        ['Serial number', device.serialNumber || '—'], ['Status', badge('device', device.status)], ['Ownership', words(device.ownership)],
        ['Compliance', badge('compliance', device.compliance)],
        ['User', person ? `${person.displayName || person.username} (${person.username})` : device.userId || '—'],
        ['Enrolled', when(device.enrolledAt)], ['Last check-in', when(device.lastCheckIn)], ['Tags', (device.tags ?? []).join(', ') || '—'],
        ...Object.entries(device.attributes ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => [`Attribute ${name}`, value]),
      ]),
      api.allows('PATCH', base) ? detailsForm(canUsers, person) : null,
      memberships ? section('groups-title', 'Groups and why', membershipList(memberships)) : null,
      threats ? section('threats-title', 'Threat defense', h('div', {}, deviceThreats(threats))) : null);
  }

  /** Each group with the reason the device is in it: put there by hand, or matched by the smart group's rule. */
  function membershipList(memberships) {
    if (!memberships.length) {
      return empty('The device is in no group.', 'Policies and apps reach a device through its groups.');
    }
    return table('The groups the device is in, and why', ['Group', 'Kind', 'Why'], memberships.map(membership => [
      h('a', { href: `#/groups/${encodeURIComponent(membership.groupId)}` }, membership.name),
      membership.kind === 'smart' ? 'Smart' : 'Static',
      membership.kind === 'smart'
        ? h('div', {}, h('p', { class: 'hint' }, `Its rule matches this device (a member since ${when(membership.memberSince)}):`),
          h('ul', { class: 'reasons' }, membership.conditions.map(condition => h('li', {},
            `${condition.negated ? 'not: ' : ''}${condition.attribute} ${OPERATORS[condition.operator] ?? condition.operator}`,
            condition.values.length ? ` ${condition.values.join(', ')}` : '',
            ' — this device: ', h('strong', {}, condition.deviceValues.length ? condition.deviceValues.join(', ') : 'none')))))
        : `Added to the group on ${when(membership.memberSince)}.`,
    ]));
  }

  // Name, ownership, user and tags, as an admin corrects them (If-Match: a change saved meanwhile is not overwritten).
  function detailsForm(canUsers, person) {
    const name = h('input', { name: 'device-name', maxlength: 200, value: device.name ?? '' });
    const ownership = h('select', { name: 'device-ownership' }, ['CORPORATE', 'PERSONAL'].map(value =>
      h('option', { value, selected: value === device.ownership }, value === 'PERSONAL' ? 'Personal (BYOD)' : 'Corporate')));
    const user = canUsers ? userPicker(person) : null;
    const userId = canUsers ? null : h('input', { name: 'device-user', maxlength: 200, value: device.userId ?? '' });
    const tags = h('input', { name: 'device-tags', maxlength: 2000, value: (device.tags ?? []).join(', ') });
    const attributes = h('textarea', { name: 'device-attributes', rows: 3, maxlength: 20000 });
    attributes.value = Object.entries(device.attributes ?? {}).map(([name, value]) => `${name}=${value}`).join('\n');
    const formFeedback = h('div', { class: 'feedback' });
    const form = h('form', { class: 'card' },
      h('div', { class: 'grid' }, field('Device name', name), field('Ownership', ownership, 'Decides which policies and wipes apply.'),
        user ? user.element : field('User id', userId, 'The directory user the device belongs to; empty for none.'),
        field('Tags', tags, 'Comma-separated; smart-group rules can test them.'),
        field('Custom attributes', attributes, 'One name=value per line, such as cost-centre=4711; smart-group rules can test them.')),
      formFeedback, h('button', { type: 'submit', class: 'primary' }, 'Save details'));
    form.addEventListener('submit', async event => {
      event.preventDefault();
      clearErrors(form);
      const parsed = {};
      for (const [index, line] of attributes.value.split('\n').entries()) {
        if (!line.trim()) continue;
        const equals = line.indexOf('=');
        if (equals < 1) {
          markInvalid(attributes, `Custom attributes, line ${index + 1}: write name=value.`, formFeedback);
          return;
        }
        parsed[line.slice(0, equals).trim()] = line.slice(equals + 1).trim();
      }
      const body = {
        ...(name.value.trim() ? { name: name.value.trim() } : {}), ownership: ownership.value,
        userId: user ? user.value() : userId.value.trim(),
        tags: [...new Set(tags.value.split(',').map(tag => tag.trim()).filter(Boolean))], attributes: parsed,
      };
      try {
        await saveDetails(body);
        navigate(`/devices/${encodeURIComponent(device.id)}`);
        announce('Device details saved.');
      } catch (error) {
        showProblems(form, error, { feedback: formFeedback, fields: { name, ownership, userId: user ? user.input : userId, tags, attributes } });
      }
    });
    return h('details', { class: 'edit' }, h('summary', {}, 'Edit details'), form);
  }

  /**
   * Saves the form over the version it was loaded at. The device's own reports and the system (its compliance, OS
   * version, status) move that version too; when none of the fields this form edits changed meanwhile, the save is
   * made again over the new version instead of refusing the admin's edit. A change to one of them is still a conflict.
   */
  async function saveDetails(body) {
    try {
      return await api.patch(base, body, { 'If-Match': `"${record.version}"` });
    } catch (error) {
      if (error.status !== 409) throw error;
      const now = await api.get(base);
      if (!sameDetails(now.device, device)) throw error;
      return api.patch(base, body, { 'If-Match': `"${now.version}"` });
    }
  }

  /**
   * The device's user, picked from the directory: an ARIA combobox over GET /api/v1/users?q= (a prefix of the
   * username, name or e-mail). Emptying it leaves the device without a user.
   */
  function userPicker(person) {
    let chosenId = device.userId ?? '';
    let options = [];
    let active = -1;
    let latest = 0;
    let timer = null;
    const listId = uid('users');
    const label = candidate => `${candidate.displayName || candidate.username} (${candidate.username}${candidate.email ? `, ${candidate.email}` : ''})`;
    const input = h('input', {
      name: 'device-user', role: 'combobox', 'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': listId,
      autocomplete: 'off', maxlength: 200, value: person ? label(person) : device.userId ?? '',
    });
    const list = h('ul', { role: 'listbox', id: listId, class: 'combobox-options', 'aria-label': 'People found', hidden: true });
    const status = h('p', { class: 'hint', 'aria-live': 'polite' });
    const close = () => {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    };
    const pick = candidate => {
      chosenId = candidate.id;
      input.value = label(candidate);
      replace(status, `Chosen: ${candidate.displayName || candidate.username}.`);
      close();
    };
    const highlight = index => {
      active = index;
      [...list.children].forEach((option, at) => option.setAttribute('aria-selected', String(at === index)));
      if (index >= 0) input.setAttribute('aria-activedescendant', list.children[index].id);
    };
    const search = async () => {
      latest += 1;
      const mine = latest;
      const text = input.value.trim();
      if (!text) {
        chosenId = '';
        replace(status, 'No user: the device belongs to nobody.');
        close();
        return;
      }
      try {
        const page = await api.get('/api/v1/users', { q: text, limit: 8 });
        if (mine !== latest) return;
        options = page.items;
        replace(list, options.map((candidate, index) => h('li', {
          role: 'option', id: `${listId}-${index}`, 'aria-selected': 'false',
          // mousedown, not click: it comes before the input's blur, which would close the list first.
          onmousedown: event => {
            event.preventDefault();
            pick(candidate);
          },
        }, label(candidate))));
        list.hidden = options.length === 0;
        input.setAttribute('aria-expanded', String(options.length > 0));
        replace(status, options.length ? `${options.length} ${options.length === 1 ? 'person' : 'people'} found; choose with the arrow keys and Enter.`
          : 'Nobody in the directory matches.');
      } catch (error) {
        if (mine === latest) replace(status, error.message);
      }
    };
    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener('keydown', event => {
      if (list.hidden) return;
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        const step = event.key === 'ArrowDown' ? 1 : -1;
        highlight((active + step + options.length) % options.length);
      } else if (event.key === 'Enter' && active >= 0) {
        event.preventDefault();
        pick(options[active]);
      } else if (event.key === 'Escape') {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener('blur', close);
    const element = field('User', input, 'Type a name, username or e-mail address and choose the person from the directory; empty for none.');
    element.classList.add('combobox');
    element.append(list, status);
    return { element, input, value: () => (input.value.trim() ? chosenId : '') };
  }

  async function drawCompliance(panel) {
    const report = await api.get(`${base}/compliance/report`);
    if (stale()) return;
    const summary = h('p', {}, 'Compliance: ', badge('compliance', report.state), ` Access to corporate resources: ${report.allowed ? 'allowed' : 'refused'}.`);
    if (!report.failing.length) {
      replace(panel, summary, empty('The device fails no compliance rule.',
        report.state === 'UNKNOWN' ? 'Its state is unknown until it reports what the rules check.' : ''));
      return;
    }
    const now = Date.now();
    replace(panel, summary, report.failing.map(failure => h('section', { class: 'card', 'aria-labelledby': `rule-${failure.ruleId}` },
      h('h2', { id: `rule-${failure.ruleId}` }, h('a', { href: '#/compliance' }, failure.name)),
      definitionList([
        ['The rule', describeRule(failure)],
        ['Why the device fails it', failure.detail || '—'],
        ['Failing since', when(failure.failingSince)],
        [Date.parse(failure.graceEndsAt) > now ? 'Grace period ends' : 'Grace period ended', when(failure.graceEndsAt)],
        ['Next remediation step', failure.nextStep
          ? `${REMEDIATION_WORDS[failure.nextStep.action] ?? words(failure.nextStep.action)}, ${Date.parse(failure.nextStep.dueAt) > now
            ? `due ${when(failure.nextStep.dueAt)}` : 'due now (at the next evaluation)'}`
          : failure.remediation.length ? 'None: every step was taken.' : 'None: the rule has no remediation.'],
      ]),
      failure.remediation.length ? h('div', {}, h('h3', {}, 'Remediation steps'), h('ol', { class: 'steps' }, failure.remediation.map(step =>
        h('li', {}, `${REMEDIATION_WORDS[step.action] ?? words(step.action)} — `, step.takenAt
          ? h('strong', {}, `taken ${when(step.takenAt)}`)
          : `due ${when(step.dueAt)}`)))) : null)));
  }

  async function drawPolicies(panel) {
    const [settings, types] = await Promise.all([api.get(`${base}/policy-settings`), api.get('/api/v1/setting-types')]);
    if (stale()) return;
    if (!settings.length) {
      replace(panel, empty('No policy applies to this device.', api.can('POLICY_WRITE')
        ? h('a', { href: '#/policies' }, 'Assign a policy to one of its groups.') : 'An operator can assign a policy to one of its groups.'));
      return;
    }
    const byName = new Map(types.map(type => [type.name, type]));
    const typeTitle = name => byName.get(name)?.title || name;
    // The field's label as the policy form shows it (its schema's title), else its name.
    const fieldLabel = (type, name) => byName.get(type)?.schema?.properties?.[name]?.title || name;
    const values = (type, value, secret) => h('dl', { class: 'values' },
      Object.entries(value ?? {}).map(([name, fieldValue]) => [h('dt', {}, fieldLabel(type, name)), h('dd', {}, shown(fieldValue))]),
      secret.map(name => [h('dt', {}, fieldLabel(type, name)), h('dd', {}, '•••••• (secret, not shown)')]));
    replace(panel, section('effective-title', 'Effective policy',
      h('p', { class: 'hint' }, 'Every setting the device should have, where it comes from, and its state on the device.'),
      settings.map(setting => h('article', { class: 'card setting' },
        h('div', { class: 'setting-head' },
          h('h3', {}, typeTitle(setting.type), setting.key !== setting.type ? ` (${setting.key})` : ''),
          setting.state ? badge('setting', setting.state) : badge('setting', 'PENDING', 'Not sent yet')),
        setting.reason ? h('p', {}, 'The device says: ', setting.reason) : null,
        values(setting.type, setting.value, setting.secretFields),
        h('p', { class: 'hint' }, DECISIONS[setting.decision] ?? ''),
        table('The policies that set it, highest priority first', ['Policy', 'Priority', 'Outcome', 'Its value'],
          setting.sources.map(source => [
            h('a', { href: `#/policies/${encodeURIComponent(source.policyId)}` }, source.policyName),
            String(source.priority),
            setting.decision === 'FIELDWISE'
              ? (source.won ? `Gives ${source.wonFields.map(name => fieldLabel(setting.type, name)).join(', ')}` : 'Overridden')
              : source.won ? (setting.decision === 'SINGLE' ? 'Applied' : 'Won') : 'Overridden',
            values(setting.type, source.value, source.secretFields),
          ]))))));
  }

  async function drawApps(panel) {
    // The apps assigned to the device, desired versus actual, and every app it reports, managed or not.
    const apps = await api.get(`${base}/apps`);
    if (stale()) return;
    const reported = Object.entries(apps.installed ?? {}).sort(([a], [b]) => a.localeCompare(b));
    replace(panel, section('apps-title', 'Apps: desired versus actual', h('div', {},
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

  async function drawCommands(panel) {
    const history = await api.get(`${base}/commands`, { limit: 50 });
    if (stale()) return;
    replace(panel, h('h2', { id: 'commands-title' }, 'Command history'), history.length
      ? table('Newest first', ['Command', 'State', 'Details', 'Issued by', 'Created', 'Completed', 'Error'],
        history.map(entry => [words(entry.command.type), badge('command', entry.command.state),
          Object.keys(entry.command.parameters ?? {}).length
            ? h('dl', { class: 'values' }, Object.entries(entry.command.parameters).map(([name, value]) => [h('dt', {}, name), h('dd', {}, shown(value))]))
            : '—',
          entry.createdBy, when(entry.command.createdAt), when(entry.completedAt), entry.errorReason || '—']))
      : empty('No commands have been sent to this device.'));
  }

  async function drawInventory(panel) {
    const inventory = await api.get(`${base}/inventory`);
    if (stale()) return;
    const facts = Object.entries(inventory ?? {}).sort(([a], [b]) => a.localeCompare(b));
    if (!facts.length) {
      replace(panel, empty('The device has not reported any inventory yet.',
        api.can('DEVICE_ACTION') ? 'Use “Refresh inventory” to ask for it.' : 'It reports at its next check-in.'));
      return;
    }
    const search = h('input', { type: 'search', name: 'inventory-search', autocomplete: 'off' });
    const results = h('div', { 'aria-live': 'polite' });
    const draw = () => {
      const wanted = search.value.trim().toLowerCase();
      const matching = wanted ? facts.filter(([key, value]) => key.toLowerCase().includes(wanted) || String(value).toLowerCase().includes(wanted)) : facts;
      replace(results, matching.length
        ? table(wanted ? `${matching.length} of ${facts.length} keys match` : `What the device reported: ${facts.length} keys`, ['Key', 'Value'], matching)
        : empty('No inventory key or value contains this text.'));
    };
    search.addEventListener('input', draw);
    replace(panel, h('div', { class: 'filters', role: 'search' }, field('Search inventory', search, 'Keys and values containing the text.')), results);
    draw();
  }

  async function drawActivity(panel) {
    const rows = h('div', {});
    const more = h('div', {});
    const withAudit = api.can('AUDIT_READ');
    replace(panel, h('p', { class: 'hint' }, withAudit ? 'Events about the device and audit entries of what was done to it, newest first.'
      : 'Events about the device, newest first. Audit entries are shown to roles that may read the audit log.'), rows, more);
    let items = [];
    const load = async cursor => {
      const page = await api.get(`${base}/activity`, { cursor, limit: 50 });
      if (stale()) return;
      items = items.concat(page.items);
      replace(rows, items.length
        ? table('What happened to the device', ['When', 'What', 'Who or what', 'Details'], items.map(activityRow))
        : empty('Nothing is recorded about this device yet.'));
      replace(more, page.nextCursor ? h('button', { type: 'button', class: 'secondary', onclick: () => load(page.nextCursor) }, 'Show older activity') : null);
    };
    await load(null);
  }

  await select(chosen, { initial: true });
}

/** An activity entry as a table row: an event's type and data, or an audit entry's action, actor and change. */
function activityRow(entry) {
  if (entry.event) {
    const data = Object.entries(entry.event.data ?? {}).filter(([name]) => name !== 'deviceId');
    return [when(entry.at), `Event: ${entry.event.type}`, entry.event.source,
      data.length ? h('dl', { class: 'values' }, data.map(([name, value]) => [h('dt', {}, name), h('dd', {}, shown(value))])) : '—'];
  }
  const audit = entry.audit;
  const change = audit.after ?? audit.before;
  // A change's JSON can be long (a policy's settings): its start says what it is; the audit log has all of it.
  return [when(entry.at), `Audit: ${audit.action}`, `${words(audit.actorKind)} ${audit.actorId}`,
    change ? h('code', { class: 'change' }, change.length > 300 ? `${change.slice(0, 300)}…` : change) : '—'];
}

/**
 * The lock's dialog: where the platform shows them (Apple's DeviceLock), a message and a phone number for whoever
 * finds the device. Resolves the command's parameters, or null when cancelled.
 */
function lockDialog(platform) {
  return new Promise(resolve => {
    const titleId = uid('dialog');
    const withText = LOCK_SCREEN_TEXT.has(platform);
    const lockMessage = h('input', { name: 'lock-message', maxlength: 200, autocomplete: 'off' });
    const phone = h('input', { name: 'lock-phone', type: 'tel', maxlength: 40, autocomplete: 'off' });
    const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, 'Lock this device?'),
      h('p', {}, 'The device locks its screen at once; the user must unlock it with the passcode.'),
      h('form', { method: 'dialog' },
        withText ? [field('Message on the lock screen', lockMessage, 'Optional, such as “This iPad belongs to the front desk”.'),
          field('Phone number on the lock screen', phone, 'Optional: a number whoever finds the device can call.')]
          : h('p', { class: 'hint' }, 'This platform’s lock shows no message or phone number.'),
        h('div', { class: 'actions' },
          h('button', { type: 'submit', value: 'cancel', class: 'secondary', autofocus: true }, 'Cancel'),
          h('button', { type: 'submit', value: 'confirm', class: 'primary' }, 'Lock device'))));
    // Enter in a field locks (the form's first button, which the browser would press, is Cancel).
    for (const input of [lockMessage, phone]) {
      input.addEventListener('keydown', event => {
        if (event.key !== 'Enter') return;
        event.preventDefault();
        dialog.close('confirm');
      });
    }
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (dialog.returnValue !== 'confirm') {
        resolve(null);
        return;
      }
      const parameters = {};
      if (withText && lockMessage.value.trim()) parameters.message = lockMessage.value.trim();
      if (withText && phone.value.trim()) parameters.phoneNumber = phone.value.trim();
      resolve(parameters);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** The device page on its overview tab. */
export const devicePage = {
  path: '/devices/:id',
  section: 'Devices',
  title: 'Device',
  needs: 'DEVICE_READ',
  render: renderDevice,
};

/** The device page on one of its tabs, such as #/devices/{id}/compliance, so that a tab can be linked. */
export const deviceTabPage = {
  path: '/devices/:id/:tab',
  section: 'Devices',
  title: 'Device',
  needs: 'DEVICE_READ',
  render: renderDevice,
};

/** Whether two readings of a device agree on what the details form edits: name, ownership, user, tags, attributes. */
function sameDetails(a, b) {
  const tags = device => [...(device.tags ?? [])].sort().join('\n');
  const attributes = device => JSON.stringify(Object.entries(device.attributes ?? {}).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return (a.name ?? '') === (b.name ?? '') && a.ownership === b.ownership && (a.userId ?? '') === (b.userId ?? '')
    && tags(a) === tags(b) && attributes(a) === attributes(b);
}
