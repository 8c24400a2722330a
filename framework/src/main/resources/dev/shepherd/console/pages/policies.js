import { h, replace, field, message, blank, empty, table, when, heading, confirmAction, problemMessage as problem, showProblems, markInvalid } from '../dom.js';
import { schemaForm, FormError } from '../schema-form.js';

/** Policies: the list, with a way to create one for admins who may. */
export const policiesPage = {
  path: '/policies',
  nav: 'Policies',
  title: 'Policies',
  needs: 'POLICY_READ',
  async render({ api, main, stale }) {
    const policies = await api.get('/api/v1/policies');
    if (stale()) return;
    const canWrite = api.can('POLICY_WRITE');
    replace(main,
      heading('Policies', canWrite ? h('a', { href: '#/policies/new', class: 'button primary' }, 'New policy') : null),
      h('p', { class: 'lead' }, 'A policy is a set of settings. It applies to the devices of the groups it is assigned to; where policies disagree, the higher priority wins.'),
      policies.length
        ? table(`${policies.length} polic${policies.length === 1 ? 'y' : 'ies'}`, ['Name', 'Settings', 'Version', 'Changed by', 'Changed'],
          policies.map(policy => [h('a', { href: `#/policies/${encodeURIComponent(policy.id)}` }, policy.name),
            policy.settings.map(setting => setting.type).join(', ') || '—', String(policy.version), policy.updatedBy, when(policy.updatedAt)]))
        : empty('There are no policies yet.', canWrite
          ? h('a', { href: '#/policies/new' }, 'Create the first policy') : 'An operator or administrator can create one.',
        canWrite ? ', then assign it to a group.' : ''));
  },
};

/** A new policy: settings picked from the server's setting types, each edited in a form generated from its schema. */
export const newPolicyPage = {
  path: '/policies/new',
  section: 'Policies',
  title: 'New policy',
  needs: 'POLICY_WRITE',
  async render({ api, main, navigate, stale }) {
    const types = await api.get('/api/v1/setting-types');
    if (stale()) return;
    replace(main, heading('New policy', h('a', { href: '#/policies', class: 'back' }, 'All policies')), policyForm(api, types, null, navigate));
  },
};

/** Editing a policy makes a new version; If-Match carries the version edited, so a concurrent change is not overwritten. */
export const editPolicyPage = {
  path: '/policies/:id/edit',
  section: 'Policies',
  title: 'Edit policy',
  needs: 'POLICY_WRITE',
  async render({ api, main, params, navigate, stale }) {
    const [types, policy] = await Promise.all([api.get('/api/v1/setting-types'), api.get(`/api/v1/policies/${encodeURIComponent(params.id)}`)]);
    if (stale()) return;
    document.title = `Edit ${policy.name} · Shepherd`;
    replace(main, heading(`Edit ${policy.name}`, h('a', { href: `#/policies/${encodeURIComponent(policy.id)}`, class: 'back' }, 'Back to the policy')),
      h('p', { class: 'hint' }, `Saving makes version ${policy.version + 1}; version ${policy.version} stays in the policy’s history.`),
      policyForm(api, types, policy, navigate));
  },
};

/** The policy form, empty for a new policy or filled with an existing one's name, description and settings. */
function policyForm(api, types, policy, navigate) {
  types.sort((a, b) => (a.title || a.name).localeCompare(b.title || b.name));
  const name = h('input', { name: 'name', required: true, maxlength: 200, value: policy?.name });
  const description = h('input', { name: 'description', maxlength: 1000, value: policy?.description || null });
  const chooser = h('select', { name: 'setting-type' },
    types.map(type => h('option', { value: type.name }, `${type.title || type.name}${type.source === 'kernel' ? '' : ` (${type.source})`}`)));
  const settings = h('div', { class: 'settings' });
  const feedback = h('div', { class: 'feedback' });
  const added = [];

  const addSetting = (type, value) => {
    const form = schemaForm(type.schema, type.title || type.name, value);
    const titleId = `setting-${type.name}-${added.length}`;
    const entry = { type, form };
    const section = h('section', { class: 'card setting', 'aria-labelledby': titleId, dataset: { settingType: type.name } },
      h('div', { class: 'setting-head' },
        h('h2', { id: titleId, tabindex: '-1' }, type.title || type.name),
        h('button', {
          type: 'button', class: 'link', 'aria-label': `Remove the ${type.title || type.name} setting`,
          onclick: () => {
            added.splice(added.indexOf(entry), 1);
            section.remove();
            chooser.focus();
          },
        }, 'Remove')),
      type.schema.description ? h('p', { class: 'hint' }, type.schema.description) : null,
      form.element);
    added.push(entry);
    settings.append(section);
    return section;
  };
  const unknown = [];
  for (const setting of policy?.settings ?? []) {
    const type = types.find(candidate => candidate.name === setting.type);
    if (type) addSetting(type, setting.value);
    else unknown.push(setting.type);
  }

  const form = h('form', { class: 'policy-form', novalidate: true },
    h('div', { class: 'grid' }, field('Name', name), field('Description', description)),
    unknown.length ? message('error', `The server no longer offers the setting type${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')} `
      + '(its plugin may be switched off). Saving leaves it out of the new version.') : null,
    h('div', { class: 'add-setting' }, field('Setting type', chooser, 'Setting types come from the kernel and from plugins.'),
      h('button', {
        type: 'button', class: 'secondary',
        onclick: () => {
          const type = types.find(candidate => candidate.name === chooser.value);
          if (type) addSetting(type).querySelector('h2').focus();
        },
      }, 'Add setting')),
    settings,
    feedback,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, policy ? 'Save policy' : 'Create policy'),
      h('a', { href: policy ? `#/policies/${encodeURIComponent(policy.id)}` : '#/policies', class: 'button secondary' }, 'Cancel')));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(name, feedback, 'Give the policy a name.')) return;
    let body;
    try {
      body = { name: name.value.trim(), description: description.value.trim(),
        settings: added.map(entry => ({ type: entry.type.name, value: entry.form.read() })) };
    } catch (error) {
      if (!(error instanceof FormError)) throw error;
      markInvalid(error.control, error.message, feedback);
      return;
    }
    if (body.settings.length === 0) {
      replace(feedback, message('error', 'Add at least one setting: choose a setting type and press “Add setting”.'));
      chooser.focus();
      return;
    }
    try {
      const saved = policy
        ? await api.put(`/api/v1/policies/${encodeURIComponent(policy.id)}`, body, { 'If-Match': `"${policy.version}"` })
        : await api.post('/api/v1/policies', body);
      navigate(`/policies/${encodeURIComponent(saved.id)}`);
    } catch (error) {
      showProblems(form, error, { feedback, place: problem => placeSettingProblem(added, problem) });
    }
  });
  return types.length ? form : empty('The server offers no setting types.', 'Setting types come from the kernel and from plugins; check the plugins page.');
}

/**
 * A problem of one of the policy's settings ("settings[2] (wifi) /password: …", as the server words them) shown at its
 * field in that setting's form; false when it names no field there.
 */
function placeSettingProblem(added, problem) {
  const found = /^settings\[(\d+)\] \([^)]*\) (\/.*)$/s.exec(problem);
  const entry = found ? added[Number(found[1])] : undefined;
  return Boolean(entry && entry.form.place(found[2]));
}

/** One policy: its settings and the groups it is assigned to, with their priorities. */
export const policyPage = {
  path: '/policies/:id',
  section: 'Policies',
  title: 'Policy',
  needs: 'POLICY_READ',
  async render({ api, main, params, navigate, stale }) {
    const base = `/api/v1/policies/${encodeURIComponent(params.id)}`;
    const [policy, groups] = await Promise.all([api.get(base), api.can('GROUP_READ') ? api.get('/api/v1/groups') : Promise.resolve([])]);
    if (stale()) return;
    document.title = `${policy.name} · Shepherd`;
    const assignments = h('section', { 'aria-labelledby': 'assignments-title' });
    const changes = h('div', { class: 'feedback' });
    replace(main,
      heading(policy.name, h('a', { href: '#/policies', class: 'back' }, 'All policies')),
      policy.description ? h('p', { class: 'lead' }, policy.description) : null,
      h('p', { class: 'hint' }, `Version ${policy.version}, changed by ${policy.updatedBy} on ${when(policy.updatedAt)}.`),
      api.can('POLICY_WRITE') ? h('div', { class: 'actions' },
        h('a', { href: `#/policies/${encodeURIComponent(policy.id)}/edit`, class: 'button secondary' }, 'Edit policy'),
        h('button', {
          type: 'button', class: 'danger',
          onclick: async () => {
            const sure = await confirmAction({ title: `Delete the policy “${policy.name}”?`,
              text: 'Its settings are removed from every device it applies to, unless another policy sets them. This cannot be undone.',
              confirm: 'Delete policy', danger: true });
            if (!sure) return;
            try {
              await api.delete(base, { 'If-Match': `"${policy.version}"` });
              navigate('/policies');
            } catch (error) {
              replace(changes, problem(error));
            }
          },
        }, 'Delete policy')) : null,
      changes,
      h('section', { 'aria-labelledby': 'settings-title' }, h('h2', { id: 'settings-title' }, 'Settings'),
        policy.settings.length
          ? table('What the policy sets', ['Setting', 'Values'], policy.settings.map(setting => [
            setting.key === setting.type ? setting.type : `${setting.type} (${setting.key})`,
            h('dl', { class: 'values' }, Object.entries(setting.value).map(([key, value]) => [h('dt', {}, key),
              h('dd', {}, typeof value === 'object' ? JSON.stringify(value) : String(value))]))]))
          : empty('This policy sets nothing.')),
      assignments);
    await drawAssignments();
    if (policy.version > 1) await drawVersions();

    // Every version newest first, with what changed in its settings compared with the one before.
    async function drawVersions() {
      const versions = await api.get(`${base}/versions`);
      if (stale()) return;
      const summary = setting => setting.key === setting.type ? setting.type : `${setting.type} (${setting.key})`;
      const changed = (version, previous) => {
        if (!previous) return 'First version';
        const before = new Map(previous.settings.map(setting => [setting.key, JSON.stringify(setting)]));
        const after = new Map(version.settings.map(setting => [setting.key, JSON.stringify(setting)]));
        const parts = [
          ...version.settings.filter(setting => !before.has(setting.key)).map(setting => `added ${summary(setting)}`),
          ...previous.settings.filter(setting => !after.has(setting.key)).map(setting => `removed ${summary(setting)}`),
          ...version.settings.filter(setting => before.has(setting.key) && before.get(setting.key) !== after.get(setting.key))
            .map(setting => `changed ${summary(setting)}`),
          version.name !== previous.name ? `renamed from “${previous.name}”` : null,
        ].filter(Boolean);
        return parts.length ? parts.join('; ') : 'No setting changed';
      };
      main.append(h('section', { 'aria-labelledby': 'versions-title' }, h('h2', { id: 'versions-title' }, 'Versions'),
        table('Every version of the policy, newest first', ['Version', 'Saved', 'By', 'What changed'],
          versions.map((version, index) => [String(version.version), when(version.updatedAt), version.updatedBy,
            changed(version, versions[index + 1])]))));
    }

    async function drawAssignments() {
      const current = await api.get(`${base}/assignments`);
      if (stale()) return;
      const groupName = id => groups.find(group => group.id === id)?.name ?? id;
      const canWrite = api.can('POLICY_WRITE');
      const feedback = h('div', { class: 'feedback' });
      replace(assignments, h('h2', { id: 'assignments-title' }, 'Assigned to'),
        current.length
          ? table('Groups this policy applies to; a higher priority wins where policies disagree', ['Group', 'Priority', 'Assigned by', ''],
            current.map(assignment => [groupName(assignment.groupId), String(assignment.priority), assignment.createdBy,
              canWrite ? h('button', {
                type: 'button', class: 'link', 'aria-label': `Unassign from ${groupName(assignment.groupId)}`,
                onclick: async () => {
                  const sure = await confirmAction({ title: `Stop applying “${policy.name}” to ${groupName(assignment.groupId)}?`,
                    text: 'Its settings are removed from the group’s devices unless another policy sets them.', confirm: 'Unassign', danger: true });
                  if (!sure) return;
                  try {
                    await api.delete(`${base}/assignments/${encodeURIComponent(assignment.groupId)}`);
                    await drawAssignments();
                  } catch (error) {
                    replace(feedback, problem(error));
                  }
                },
              }, 'Unassign') : '']))
          : empty('This policy is not assigned to any group, so it applies to no device.',
            canWrite ? 'Assign it to a group below.' : 'An operator or administrator can assign it.'),
        canWrite ? assignForm(api, base, groups, current, feedback, drawAssignments) : null,
        feedback);
    }
  },
};

function assignForm(api, base, groups, current, feedback, done) {
  if (groups.length === 0) {
    return empty('There are no groups to assign it to.', h('a', { href: '#/groups' }, 'Create a group first.'));
  }
  const group = h('select', { name: 'group' }, groups.map(candidate => h('option', { value: candidate.id }, candidate.name)));
  const priority = h('input', { name: 'priority', type: 'number', step: 1, value: 10, required: true });
  const form = h('form', { class: 'card inline', 'aria-label': 'Assign to a group' },
    field('Group', group),
    field('Priority', priority, current.length ? 'Assigning to a group it is already assigned to changes the priority.' : 'Higher wins.'),
    h('button', { type: 'submit', class: 'primary' }, 'Assign'));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (!Number.isInteger(Number(priority.value)) || priority.value === '') {
      replace(feedback, message('error', 'The priority must be a whole number.'));
      priority.focus();
      return;
    }
    try {
      await api.put(`${base}/assignments/${encodeURIComponent(group.value)}`, { priority: Number(priority.value) });
      await done();
    } catch (error) {
      showProblems(form, error, { feedback, fields: { priority } });
    }
  });
  return form;
}
