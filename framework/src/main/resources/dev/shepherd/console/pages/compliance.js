import { h, replace, field, message, blank, empty, table, when, words, heading, confirmAction, uid, showProblems } from '../dom.js';

// The rule kinds the server knows (ComplianceCheck), what each checks, and the parameters it needs.
const CHECKS = [
  { check: 'PASSCODE_COMPLIANT', label: 'Passcode set and compliant', text: 'The device has a passcode that meets the passcode policy.' },
  { check: 'STORAGE_ENCRYPTED', label: 'Storage encrypted', text: 'The device’s storage is encrypted.' },
  { check: 'NOT_JAILBROKEN', label: 'Not jailbroken or rooted', text: 'The device has not been jailbroken or rooted.' },
  { check: 'MIN_OS_VERSION', label: 'Minimum OS version', text: 'The device runs at least this operating system version.',
    parameter: { name: 'version', label: 'Lowest allowed version', hint: 'Such as 17.4.' } },
  { check: 'MAX_THREAT_LEVEL', label: 'Highest threat level',
    text: 'Threat-defense connectors rate the device at most this level; a verdict gone stale fails the rule (see the Threats page).',
    parameter: { name: 'level', label: 'Highest allowed level', choices: ['NONE', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] } },
  { check: 'CHECKED_IN_WITHIN', label: 'Checked in recently', text: 'The device checked in within this many days.',
    parameter: { name: 'days', label: 'Days', number: { min: 1, max: 365 } } },
  { check: 'REQUIRED_APPS', label: 'Required apps installed', text: 'Each of these apps is installed.',
    parameter: { name: 'apps', label: 'App identifiers', list: true, bound: { key: 'minimumVersion', word: 'at least' },
      hint: 'One per line, such as com.example.mail, or com.example.mail at least 3.2 to require that version or later.' } },
  { check: 'FORBIDDEN_APPS', label: 'Forbidden apps absent', text: 'None of these apps is installed.',
    parameter: { name: 'apps', label: 'App identifiers', list: true, bound: { key: 'versionBelow', word: 'below' },
      hint: 'One per line, such as com.example.game, or com.example.chat below 2.4 to forbid only versions older than 2.4.' } },
];

/** A line of a list parameter as the server takes it: an app with a version bound ("com.example.chat below 2.4") is an object. */
function fromLine(line, bound) {
  const marker = bound ? ` ${bound.word} ` : null;
  const at = marker ? line.indexOf(marker) : -1;
  return at < 0 ? line : { identifier: line.slice(0, at).trim(), [bound.key]: line.slice(at + marker.length).trim() };
}

/** An item of a list parameter as a line: the app, and its version bound if it has one. */
function toLine(item, bound) {
  if (typeof item === 'string' || !bound) return String(item);
  return item[bound.key] ? `${item.identifier} ${bound.word} ${item[bound.key]}` : item.identifier;
}

// What can be done to a device that still fails a rule after its grace period (Remediation).
const REMEDIATIONS = [
  { action: 'NOTIFY', label: 'Notify (a compliance.notify event for webhooks)' },
  { action: 'QUARANTINE', label: 'Quarantine (corporate access removed)' },
  { action: 'LOCK', label: 'Lock the device' },
  { action: 'ENTERPRISE_WIPE', label: 'Enterprise wipe (corporate data removed, device unenrolled)', needs: 'DEVICE_WIPE' },
];

function checkOf(rule) {
  return CHECKS.find(candidate => candidate.check === rule.check);
}

/** A rule's check and parameters in words, such as "Minimum OS version: 17.4". */
export function describe(rule) {
  const check = checkOf(rule);
  const label = check?.label ?? words(rule.check);
  if (!check?.parameter) return label;
  const value = rule.parameters?.[check.parameter.name];
  const stale = rule.parameters?.whenStale === 'UNKNOWN' ? ' (a stale verdict is not judged)' : '';
  return `${label}: ${Array.isArray(value) ? value.map(item => toLine(item, check.parameter.bound)).join(', ')
    : check.parameter.choices ? words(value) : String(value)}${stale}`;
}

function hours(count) {
  if (!count) return 'None';
  return count % 24 === 0 ? `${count / 24} day${count === 24 ? '' : 's'}` : `${count} hour${count === 1 ? '' : 's'}`;
}

/** Compliance: the rules (created, switched on and off, deleted), and the devices failing them with their reasons. */
export const compliancePage = {
  path: '/compliance',
  nav: 'Compliance',
  title: 'Compliance',
  needs: 'COMPLIANCE_READ',
  async render({ api, main, stale }) {
    const [rules, groups] = await Promise.all([
      api.get('/api/v1/compliance/rules'),
      api.can('GROUP_READ') ? api.get('/api/v1/groups') : Promise.resolve([]),
    ]);
    if (stale()) return;
    const canWrite = api.can('COMPLIANCE_WRITE');
    const groupName = id => groups.find(group => group.id === id)?.name ?? id;
    const list = h('section', { 'aria-labelledby': 'rules-title' });
    const failing = h('section', { 'aria-labelledby': 'failing-title' });
    // The form at the top: a new rule, or the rule being edited.
    const formSlot = h('div', {});
    const showNewForm = () => replace(formSlot, ruleForm(api, groups, reload));
    replace(main, heading('Compliance'),
      h('p', { class: 'lead' }, 'Rules say what a compliant device looks like. A device failing a rule for longer than its grace period is non-compliant, loses access to corporate resources, and gets the rule’s remediation.'));
    if (canWrite) {
      showNewForm();
      main.append(formSlot);
    }
    main.append(list, failing);
    drawRules(rules);
    await drawFailing();

    async function reload() {
      drawRules(await api.get('/api/v1/compliance/rules'));
    }

    function edit(rule) {
      replace(formSlot, ruleForm(api, groups, async () => {
        showNewForm();
        await reload();
        await drawFailing();
      }, rule, showNewForm));
      formSlot.querySelector('h2').focus();
    }

    function drawRules(current) {
      const feedback = h('div', { class: 'feedback' });
      replace(list, h('h2', { id: 'rules-title' }, 'Rules'), feedback, current.length
        ? table(`${current.length} rule${current.length === 1 ? '' : 's'}`,
          ['Name', 'Checks', 'Applies to', 'Grace period', 'Remediation', 'State', ''],
          current.map(rule => [rule.name, describe(rule), rule.groupId ? groupName(rule.groupId) : 'All devices', hours(rule.graceHours),
            rule.remediation.length
              ? h('ol', { class: 'steps' }, rule.remediation.map(step =>
                h('li', {}, `${step.afterHours ? `after ${hours(step.afterHours)}` : 'at once'}: ${words(step.action)}`)))
              : 'None',
            rule.enabled ? 'On' : 'Off',
            canWrite ? h('div', { class: 'row-actions' },
              h('button', { type: 'button', class: 'link', 'aria-label': `Edit ${rule.name}`, onclick: () => edit(rule) }, 'Edit'),
              h('button', {
                type: 'button', class: 'link', 'aria-label': `${rule.enabled ? 'Turn off' : 'Turn on'} ${rule.name}`,
                onclick: async () => {
                  try {
                    await api.patch(`/api/v1/compliance/rules/${encodeURIComponent(rule.id)}`, { enabled: !rule.enabled },
                      { 'If-Match': `"${rule.version}"` });
                    await reload();
                    await drawFailing();
                  } catch (error) {
                    replace(feedback, message('error', error.message));
                  }
                },
              }, rule.enabled ? 'Turn off' : 'Turn on'),
              h('button', {
                type: 'button', class: 'link', 'aria-label': `Delete ${rule.name}`,
                onclick: async () => {
                  const sure = await confirmAction({ title: `Delete the rule “${rule.name}”?`,
                    text: 'Devices are no longer judged by it; those failing only this rule become compliant again.', confirm: 'Delete rule', danger: true });
                  if (!sure) return;
                  try {
                    await api.delete(`/api/v1/compliance/rules/${encodeURIComponent(rule.id)}`);
                    await reload();
                    await drawFailing();
                  } catch (error) {
                    replace(feedback, message('error', error.message));
                  }
                },
              }, 'Delete')) : '']))
        : empty('There are no compliance rules, so every device counts as compliant.',
          canWrite ? 'Create one above, such as “Storage encrypted”.' : 'An operator or administrator can create one.'));
    }

    // The devices out of compliance (the first 50), each with the rules it fails and why.
    async function drawFailing() {
      if (!api.can('DEVICE_READ')) return;
      const page = await api.get('/api/v1/devices', { compliance: 'NON_COMPLIANT', sort: 'name', limit: 50 });
      const decisions = await Promise.all(page.items.map(({ device }) =>
        api.get(`/api/v1/devices/${encodeURIComponent(device.id)}/compliance`)));
      if (stale()) return;
      replace(failing, h('div', { class: 'section-head' }, h('h2', { id: 'failing-title' }, 'Non-compliant devices'),
        h('button', {
          type: 'button', class: 'secondary',
          onclick: async () => {
            try {
              await drawFailing();
              failing.querySelector('.section-head button')?.focus();
            } catch (error) {
              replace(failing, message('error', error.message));
            }
          },
        }, 'Check again')), page.items.length
        ? [table(`${page.items.length} device${page.items.length === 1 ? '' : 's'}${page.nextCursor ? ' shown, more available' : ''}`,
          ['Device', 'Platform', 'Failing rules', 'Failing since'],
          page.items.map(({ device }, index) => [
            h('a', { href: `#/devices/${encodeURIComponent(device.id)}` }, device.name || device.serialNumber || device.id),
            device.platform,
            h('ul', { class: 'reasons' }, decisions[index].failing.map(rule => h('li', {}, h('strong', {}, rule.name), `: ${rule.detail}`))),
            when(decisions[index].failing.map(rule => rule.failingSince).sort()[0])])),
        page.nextCursor ? h('p', {}, h('a', { href: '#/devices?compliance=NON_COMPLIANT' }, 'See all non-compliant devices')) : null]
        : empty('No device is out of compliance.', 'Devices are checked whenever they report, and when a rule changes.'));
    }
  },
};

/**
 * The rule form: a new rule, or, given a rule, that rule to change (sent with If-Match, so a change saved meanwhile is
 * not overwritten); `cancel` leaves the edit.
 */
function ruleForm(api, groups, reload, rule = null, cancel = null) {
  const name = h('input', { name: 'name', required: true, maxlength: 200, value: rule?.name ?? '' });
  const check = h('select', { name: 'check' }, CHECKS.map(candidate => h('option', { value: candidate.check }, candidate.label)));
  const checkField = field('Check', check, CHECKS[0].text);
  const parameter = h('div', { class: 'parameter' });
  const group = h('select', { name: 'group' }, h('option', { value: '' }, 'All devices'),
    groups.map(candidate => h('option', { value: candidate.id }, candidate.name)));
  const grace = h('input', { name: 'graceHours', type: 'number', min: 0, max: 8760, step: 1, value: 0 });
  const steps = h('ol', { class: 'remediation' });
  const feedback = h('div', { class: 'feedback' });
  const actions = REMEDIATIONS.filter(remediation => !remediation.needs || api.can(remediation.needs));
  let input = null;

  const showParameter = () => {
    const chosen = CHECKS.find(candidate => candidate.check === check.value);
    checkField.querySelector('.hint').textContent = chosen.text;
    const spec = chosen.parameter;
    if (!spec) {
      input = null;
      replace(parameter);
      return;
    }
    input = spec.choices
      ? h('select', { name: spec.name }, spec.choices.map(choice => h('option', { value: choice }, words(choice))))
      : spec.list ? h('textarea', { name: spec.name, rows: 3 })
        : h('input', { name: spec.name, type: spec.number ? 'number' : 'text', min: spec.number?.min, max: spec.number?.max, step: spec.number ? 1 : null, required: true });
    replace(parameter, field(spec.label, input, spec.hint));
  };
  check.addEventListener('change', showParameter);
  showParameter();

  const addStep = existing => {
    const after = h('input', { name: 'afterHours', type: 'number', min: 0, max: 8760, step: 1, value: existing?.afterHours ?? 0 });
    // A new step starts with no action chosen: nothing that quarantines, locks or wipes is ever picked for the admin.
    const action = h('select', { name: 'action', required: true },
      h('option', { value: '', selected: !existing }, 'Choose an action'),
      actions.map(remediation =>
        h('option', { value: remediation.action, selected: remediation.action === existing?.action }, remediation.label)));
    const number = steps.children.length + 1;
    const item = h('li', { class: 'step' },
      field(`Step ${number}: hours after the grace period`, after), field(`Step ${number}: action`, action),
      h('button', {
        type: 'button', class: 'link', 'aria-label': `Remove step ${number}`,
        onclick: () => {
          item.remove();
          addButton.focus();
        },
      }, 'Remove'));
    steps.append(item);
    if (!existing) after.focus();
  };
  const addButton = h('button', { type: 'button', class: 'secondary', onclick: () => addStep() }, 'Add a remediation step');
  if (rule) {
    check.value = rule.check;
    showParameter();
    const spec = checkOf(rule)?.parameter;
    const value = rule.parameters?.[spec?.name];
    if (input && value !== undefined) input.value = Array.isArray(value) ? value.map(item => toLine(item, spec.bound)).join('\n') : String(value);
    group.value = rule.groupId ?? '';
    grace.value = String(rule.graceHours);
    rule.remediation.forEach(step => addStep(step));
  }
  const remediationId = uid('remediation');

  const form = h('form', { class: 'card', 'aria-labelledby': 'new-rule-title', novalidate: true },
    h('h2', { id: 'new-rule-title', tabindex: '-1' }, rule ? `Edit the rule “${rule.name}”` : 'New rule'),
    h('div', { class: 'grid' }, field('Name', name), checkField, parameter, field('Applies to', group),
      field('Grace period in hours', grace, 'How long a device may fail the rule before it counts as non-compliant; 0 for at once.')),
    h('fieldset', { 'aria-describedby': remediationId },
      h('legend', {}, 'Remediation'),
      h('p', { class: 'hint', id: remediationId }, 'What is done to a device that still fails the rule after its grace period, in order. Without steps, the device is only marked non-compliant.'),
      steps, addButton),
    feedback,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, rule ? 'Save rule' : 'Create rule'),
      rule ? h('button', { type: 'button', class: 'secondary', onclick: cancel }, 'Cancel') : null));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(name, feedback, 'Give the rule a name.')) return;
    const chosen = CHECKS.find(candidate => candidate.check === check.value);
    const body = { name: name.value.trim(), check: chosen.check, graceHours: Number(grace.value || 0) };
    if (chosen.parameter) {
      const spec = chosen.parameter;
      if (!spec.choices && blank(input, feedback, `Fill in “${spec.label}”.`)) return;
      // Parameters this form does not show (MAX_THREAT_LEVEL's whenStale, set through the API) are kept on an edit.
      body.parameters = { ...(rule?.check === chosen.check ? rule.parameters : {}), [spec.name]: spec.list
        ? input.value.split('\n').map(line => line.trim()).filter(Boolean).map(line => fromLine(line, spec.bound))
        : spec.number ? Number(input.value) : input.value.trim() };
    }
    if (group.value) body.groupId = group.value;
    for (const [index, step] of [...steps.querySelectorAll('li')].entries()) {
      if (blank(step.querySelector('[name=action]'), feedback, `Choose the action of step ${index + 1}.`)) return;
    }
    body.remediation = [...steps.querySelectorAll('li')].map(step => ({
      afterHours: Number(step.querySelector('[name=afterHours]').value || 0),
      action: step.querySelector('[name=action]').value,
    }));
    try {
      if (rule) {
        await api.put(`/api/v1/compliance/rules/${encodeURIComponent(rule.id)}`, body, { 'If-Match': `"${rule.version}"` });
        await reload();
        return;
      }
      const created = await api.post('/api/v1/compliance/rules', body);
      replace(feedback, message('info', `Rule “${created.name}” created. Devices are being checked against it.`));
      form.reset();
      replace(steps);
      showParameter();
      await reload();
    } catch (error) {
      showProblems(form, error, { feedback });
    }
  });
  return form;
}
