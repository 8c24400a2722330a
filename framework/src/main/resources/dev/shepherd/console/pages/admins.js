import { h, replace, field, message, blank, empty, table, when, words, heading, confirmAction, announce, copyButton, showProblems } from '../dom.js';

const ROLE_TEXT = {
  ADMIN: 'Everything, including admin accounts and plugins.',
  OPERATOR: 'Day-to-day management of devices, enrollment, groups, policies, compliance and commands, including wipes, profile and RAW commands.',
  HELPDESK: 'Device lookup and remote actions, without wipes, profile or RAW commands, or policy, group and enrollment changes.',
  AUDITOR: 'Read-only access to everything, including the audit log.',
};

const permissionWords = permission => permission.toLowerCase();

/** The permissions a custom role is made from, grouped, each in plain words. */
const PERMISSION_GROUPS = [
  ['Devices', [
    ['DEVICE_READ', 'See devices and their inventory'],
    ['DEVICE_WRITE', 'Change device records (name, owner, attributes) and retire devices'],
    ['DEVICE_ACTION', 'Send remote actions such as lock, restart and refresh'],
    ['DEVICE_WIPE', 'Erase devices or remove their work data'],
    ['DEVICE_PROFILE', 'Install and remove configuration profiles by command'],
    ['COMMAND_RAW', 'Send platform-native (RAW) commands, which can do anything'],
    ['COMMAND_READ', 'See the commands sent and their results'],
    ['DEVICE_RECOVERY_KEY_READ', 'Read disk-encryption recovery keys (each read is audited)'],
  ]],
  ['Enrollment and users', [
    ['ENROLLMENT_READ', 'See enrollment links and settings'],
    ['ENROLLMENT_WRITE', 'Create and change enrollment links and settings'],
    ['USER_READ', 'See device users'],
    ['USER_WRITE', 'Create and change device users'],
  ]],
  ['Groups, policies and compliance', [
    ['GROUP_READ', 'See groups'],
    ['GROUP_WRITE', 'Create and change groups'],
    ['POLICY_READ', 'See policies'],
    ['POLICY_WRITE', 'Create, change and assign policies'],
    ['COMPLIANCE_READ', 'See compliance rules and results'],
    ['COMPLIANCE_WRITE', 'Create and change compliance rules'],
    ['ACCESS_QUERY', 'Ask whether a device may reach a resource'],
  ]],
  ['Apps', [
    ['APP_READ', 'See the app catalog, assignments, licences and installed apps'],
    ['APP_MANAGE', 'Add, remove and assign apps, and sync app stores'],
  ]],
  ['Server', [
    ['PLUGIN_READ', 'See plugins'],
    ['PLUGIN_MANAGE', 'Install, configure and remove plugins'],
    ['WEBHOOK_READ', 'See webhooks'],
    ['WEBHOOK_WRITE', 'Create and change webhooks'],
    ['AUDIT_READ', 'Read the audit log'],
    ['METRICS_READ', 'Read the server\'s operational metrics'],
    ['ADMIN_MANAGE', 'Manage admin accounts and roles'],
    ['API_TOKEN_OWN', 'Create own API tokens and change own password'],
  ]],
];

/** A built-in role keeps its familiar label (Operator, Helpdesk); a custom role is shown by its name. */
const roleLabel = role => role.builtIn ? words(role.name) : role.name;
const labelOf = (roles, id) => { const role = roles.find(candidate => candidate.id === id); return role ? roleLabel(role) : id; };

/** What a scope reads as: the whole fleet, or the names of its groups (an id whose group was deleted since reads as such). */
const scopeText = (scope, groups) => !scope ? 'All devices'
  : scope.length ? scope.map(id => groups.find(group => group.id === id)?.name ?? `deleted group ${id.slice(0, 8)}`).join(', ')
    : 'No devices';

/**
 * Ticks for the device groups a role is granted over; none ticked is the whole fleet. Groups outside your own scope
 * are not offered (the server refuses them anyway).
 */
function scopePicker(groups, selected, prefix, legend) {
  const boxes = groups.map(group => {
    const box = h('input', { type: 'checkbox', value: group.id, id: `${prefix}-scope-${group.id}`, checked: !!selected?.includes(group.id) });
    return h('div', { class: 'check' }, box, h('label', { for: box.id }, group.name));
  });
  const fieldset = h('fieldset', { class: 'permission-group' }, h('legend', {}, legend),
    groups.length ? boxes : h('p', { class: 'hint' }, 'There are no device groups yet.'),
    h('p', { class: 'hint' }, 'Tick none for all devices. Only the devices in the ticked groups (smart groups included, as their members change) are seen and acted on.'));
  return { fieldset, chosen: () => [...fieldset.querySelectorAll('input[type=checkbox]:checked')].map(box => box.value) };
}

/** Admin accounts: the list, creating one with a role and a scope, disabling and enabling, resetting a password, lifting a lockout; and the roles with their permissions. */
export const adminsPage = {
  path: '/admins',
  nav: 'Admins',
  title: 'Admins',
  needs: 'ADMIN_MANAGE',
  async render({ api, main, stale }) {
    const [admins, roles, groups, mappings] = await Promise.all([api.get('/api/v1/admins'), api.get('/api/v1/roles'),
      api.allows('GET', '/api/v1/groups') ? api.get('/api/v1/groups') : Promise.resolve([]), api.get('/api/v1/role-mappings')]);
    if (stale()) return;
    const list = h('section', { 'aria-labelledby': 'admins-title' });
    replace(main, heading('Admins'),
      h('p', { class: 'lead' }, 'The people who sign in to this console and the API. What each may do follows from their role, and on which devices from its scope.'),
      createForm(api, roles, groups, reload), list,
      h('section', { 'aria-labelledby': 'roles-title' }, h('h2', { id: 'roles-title' }, 'Roles'),
        table('Each role and the permissions it holds', ['Role', 'Meant for', 'Permissions', ''], roles.map(role => [
          roleLabel(role), role.builtIn ? (ROLE_TEXT[role.id] ?? role.description) : (role.description || '—'),
          h('ul', { class: 'permissions' }, role.permissions.map(permission => h('li', {}, permissionWords(permission)))),
          role.builtIn ? 'Built-in' : roleActions(api, role, roles, reloadPage)])),
        roleForm(api, roles, null, reloadPage)),
      roleMappings(api, roles, groups, mappings, reloadPage));
    draw(admins);

    /** Roles changed: the whole page is drawn again, so the pickers list them as they are now. */
    async function reloadPage() {
      await adminsPage.render({ api, main, stale });
    }

    async function reload() {
      draw(await api.get('/api/v1/admins'));
    }

    function draw(current) {
      const feedback = h('div', { class: 'feedback' });
      replace(list, h('h2', { id: 'admins-title' }, 'Accounts'), feedback,
        table(`${current.length} account${current.length === 1 ? '' : 's'}`, ['Username', 'Role', 'Devices', 'Created', 'State', ''],
          current.map(admin => [admin.username, admin.username === api.me.username ? labelOf(roles, admin.role) : roleChanger(admin, feedback),
            admin.username === api.me.username ? scopeText(admin.scope, groups) : scopeChanger(admin, feedback),
            when(admin.createdAt), admin.disabled ? 'Disabled' : 'Active',
            admin.username === api.me.username ? 'You' : h('div', { class: 'actions' }, h('button', {
              type: 'button', class: 'link', 'aria-label': `${admin.disabled ? 'Enable' : 'Disable'} ${admin.username}`,
              onclick: async () => {
                if (!admin.disabled) {
                  const sure = await confirmAction({ title: `Disable ${admin.username}?`,
                    text: 'They are signed out at once and cannot sign in until the account is enabled again. Their API tokens stop working too.',
                    confirm: 'Disable account', danger: true });
                  if (!sure) return;
                }
                try {
                  await api.patch(`/api/v1/admins/${encodeURIComponent(admin.username)}`, { disabled: !admin.disabled });
                  await reload();
                } catch (error) {
                  replace(feedback, message('error', error.message));
                }
              },
            }, admin.disabled ? 'Enable' : 'Disable'), unlockButton(admin, feedback), resetForm(admin, feedback),
              secondFactorReset(admin, feedback))])),
        h('p', { class: 'hint' }, 'Accounts are disabled rather than deleted, so the audit log keeps naming who did what. Your own role is changed by another administrator.'));
    }

    /** Changes the device groups another admin's role is granted over; it takes effect on their next request. */
    function scopeChanger(admin, feedback) {
      const picker = scopePicker(groups, admin.scope, `admin-${admin.id}`, `Devices ${admin.username} reaches`);
      const form = h('form', { class: 'inline-card' }, picker.fieldset, h('button', { type: 'submit' }, 'Save scope'));
      form.addEventListener('submit', async event => {
        event.preventDefault();
        try {
          await api.patch(`/api/v1/admins/${encodeURIComponent(admin.username)}`, { scope: picker.chosen() });
          await reload();
          announce(`${admin.username} now reaches ${scopeText(picker.chosen().length ? picker.chosen() : null, groups).toLowerCase()}`);
        } catch (error) {
          showProblems(form, error, { feedback });
        }
      });
      return h('details', {}, h('summary', { 'aria-label': `Scope of ${admin.username}: ${scopeText(admin.scope, groups)}` },
        scopeText(admin.scope, groups)), form);
    }

    /** Removes another admin's second factor, for one who lost their phone and their recovery codes. */
    function secondFactorReset(admin, feedback) {
      return h('button', {
        type: 'button', class: 'link', 'aria-label': `Reset the second factor of ${admin.username}`,
        onclick: async () => {
          const sure = await confirmAction({ title: `Reset the second factor of ${admin.username}?`,
            text: 'They sign in with their password alone until they enroll an authenticator app again.',
            confirm: 'Reset second factor', danger: true });
          if (!sure) return;
          try {
            await api.delete(`/api/v1/admins/${encodeURIComponent(admin.username)}/totp`);
            replace(feedback, message('info', `${admin.username} signs in with their password alone now.`));
          } catch (error) {
            replace(feedback, message('error', error.message));
          }
        },
      }, 'Reset second factor');
    }

    /** Lifts the sign-in lockout that five wrong passwords put on an account. */
    function unlockButton(admin, feedback) {
      return h('button', {
        type: 'button', class: 'link', 'aria-label': `Unlock ${admin.username}`,
        onclick: async () => {
          try {
            const result = await api.post(`/api/v1/admins/${encodeURIComponent(admin.username)}/unlock`);
            replace(feedback, message('info', result.wasLocked ? `${admin.username} can sign in again.` : `${admin.username} was not locked out.`));
          } catch (error) {
            replace(feedback, message('error', error.message));
          }
        },
      }, 'Unlock');
    }

    /** Sets a new password for another admin: their sessions end, and they sign in with the new one. */
    function resetForm(admin, feedback) {
      const password = h('input', { name: 'newPassword', type: 'password', minlength: 12, autocomplete: 'new-password',
        'aria-label': `New password for ${admin.username}` });
      const form = h('form', { class: 'inline' }, password, h('button', { type: 'submit' }, 'Set password'));
      form.addEventListener('submit', async event => {
        event.preventDefault();
        if (blank(password, feedback, 'Type the new password.')) return;
        try {
          await api.post(`/api/v1/admins/${encodeURIComponent(admin.username)}/password`, { newPassword: password.value });
          form.reset();
          replace(feedback, message('info', `${admin.username} has a new password and was signed out everywhere.`));
        } catch (error) {
          showProblems(form, error, { feedback });
        }
      });
      return h('details', {}, h('summary', {}, 'Reset password'), form);
    }

    /** A select that changes an admin's role after a confirmation; it takes effect at once, on their open sessions too. */
    function roleChanger(admin, feedback) {
      const select = roleSelect(roles);
      select.value = admin.role;
      select.setAttribute('aria-label', `Role of ${admin.username}`);
      select.addEventListener('change', async () => {
        const chosen = roles.find(role => role.id === select.value);
        const sure = await confirmAction({ title: `Make ${admin.username} ${roleLabel(chosen).toLowerCase()}?`,
          text: `What ${admin.username} may do changes at once, in sessions already open and for API tokens with a higher role than this one.`,
          confirm: 'Change role', danger: chosen.id === 'ADMIN' });
        if (!sure) {
          select.value = admin.role;
          return;
        }
        try {
          await api.patch(`/api/v1/admins/${encodeURIComponent(admin.username)}`, { role: chosen.id });
          await reload();
          announce(`${admin.username} is now ${roleLabel(chosen).toLowerCase()}`);
        } catch (error) {
          select.value = admin.role;
          replace(feedback, message('error', error.message));
        }
      });
      return select;
    }
  },
};

/** A role picker that starts on the least role (the fewest permissions): more must be chosen on purpose. */
function roleSelect(roles) {
  const least = roles.reduce((fewest, role) => (!fewest || role.permissions.length < fewest.permissions.length ? role : fewest), null);
  // Marked selected in the markup, so a form's reset comes back to it too.
  return h('select', { name: 'role' }, roles.map(role => h('option', { value: role.id, selected: role === least }, roleLabel(role))));
}

/**
 * Which role a directory group opens when its members sign in with their organisation ("Sign in with …"): the list
 * in the order mappings apply (the first that matches one of a person's groups wins), removing one, and adding one.
 */
function roleMappings(api, roles, groups, mappings, reloadPage) {
  const feedback = h('div', { class: 'feedback' });
  const provider = h('input', { name: 'mappingProvider', required: true, maxlength: 63, autocapitalize: 'none', spellcheck: 'false' });
  const group = h('input', { name: 'mappingGroup', required: true, maxlength: 200 });
  const role = roleSelect(roles);
  const scope = scopePicker(groups, null, 'mapping', 'Devices the role reaches');
  const form = h('form', { class: 'card', 'aria-labelledby': 'new-mapping-title', novalidate: true },
    h('h3', { id: 'new-mapping-title' }, 'New role mapping'),
    h('div', { class: 'grid' }, field('Sign-in provider', provider, 'Its id, such as oidc (the plugin\'s providerId setting).'),
      field('Directory group', group, 'The group\'s name exactly as the provider reports it.'), field('Role', role)),
    scope.fieldset,
    feedback,
    h('button', { type: 'submit', class: 'primary' }, 'Add mapping'));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(provider, feedback, 'Name the sign-in provider.') || blank(group, feedback, 'Name the directory group.')) return;
    try {
      await api.post('/api/v1/role-mappings', { provider: provider.value.trim(), group: group.value.trim(), roleId: role.value,
        scope: scope.chosen() });
      await reloadPage();
      announce(`Members of ${group.value.trim()} now sign in as ${labelOf(roles, role.value).toLowerCase()}`);
    } catch (error) {
      showProblems(form, error, { feedback });
    }
  });
  const rows = mappings.map(mapping => [mapping.provider, mapping.group, labelOf(roles, mapping.roleId), scopeText(mapping.scope, groups),
    h('button', {
      type: 'button', class: 'link', 'aria-label': `Remove the mapping of ${mapping.group}`,
      onclick: async () => {
        try {
          await api.delete(`/api/v1/role-mappings/${encodeURIComponent(mapping.id)}`);
          await reloadPage();
          announce(`The mapping of ${mapping.group} is removed`);
        } catch (error) {
          replace(feedback, message('error', error.message));
        }
      },
    }, 'Remove')]);
  return h('section', { 'aria-labelledby': 'mappings-title' }, h('h2', { id: 'mappings-title' }, 'Single sign-on role mappings'),
    h('p', {}, 'Admins who sign in with their organisation get the role, over the devices of its scope, of the first mapping that names one of their groups, at every sign-in. Someone none of whose groups is mapped cannot sign in.'),
    rows.length ? table('Which role, over which devices, each directory group opens', ['Provider', 'Directory group', 'Role', 'Devices', ''], rows)
      : empty('No group is mapped yet: nobody can sign in to the console with their organisation.'),
    form);
}

/** Edit and delete buttons for a custom role; the edit form opens below the table. */
function roleActions(api, role, roles, reloadPage) {
  const feedback = h('div', { class: 'feedback' });
  const remove = h('button', {
    type: 'button', class: 'link', 'aria-label': `Delete the role ${role.name}`,
    onclick: async () => {
      const sure = await confirmAction({ title: `Delete the role “${role.name}”?`,
        text: 'Only a role no account and no live API token holds can be deleted.', confirm: 'Delete role', danger: true });
      if (!sure) return;
      try {
        await api.delete(`/api/v1/roles/${encodeURIComponent(role.id)}`);
        await reloadPage();
        announce(`The role ${role.name} is deleted`);
      } catch (error) {
        replace(feedback, message('error', error.message));
      }
    },
  }, 'Delete');
  return h('div', { class: 'actions' },
    h('details', {}, h('summary', { 'aria-label': `Edit the role ${role.name}` }, 'Edit'), roleForm(api, roles, role, reloadPage)),
    remove, feedback);
}

/**
 * Makes a custom role (role null) or changes one: a name, what it is for, and permissions in plain words, grouped; a
 * new role may start from a built-in's permissions. Permissions you do not hold yourself cannot be ticked.
 */
function roleForm(api, roles, role, reloadPage) {
  const prefix = role ? `edit-${role.id}` : 'new-role';
  const name = h('input', { name: 'roleName', required: true, maxlength: 64, value: role?.name ?? '', 'aria-label': role ? `Name of ${role.name}` : null });
  const description = h('input', { name: 'roleDescription', maxlength: 500, value: role?.description ?? '' });
  const boxes = new Map();
  const groups = PERMISSION_GROUPS.map(([title, permissions]) => h('fieldset', { class: 'permission-group' }, h('legend', {}, title),
    permissions.map(([permission, text]) => {
      const box = h('input', { type: 'checkbox', value: permission, id: `${prefix}-${permission}`,
        checked: role ? role.permissions.includes(permission) : false, disabled: !api.can(permission) });
      boxes.set(permission, box);
      return h('div', { class: 'check' }, box, h('label', { for: box.id }, text, ' ', h('code', {}, permissionWords(permission))));
    })));
  const feedback = h('div', { class: 'feedback' });
  const extras = [];
  if (!role) {
    const preset = h('select', { name: 'rolePreset' }, h('option', { value: '' }, 'Nothing ticked'),
      roles.filter(candidate => candidate.builtIn).map(candidate => h('option', { value: candidate.id }, roleLabel(candidate))));
    preset.addEventListener('change', () => {
      const chosen = roles.find(candidate => candidate.id === preset.value);
      for (const [permission, box] of boxes) box.checked = !box.disabled && !!chosen?.permissions.includes(permission);
    });
    extras.push(field('Start from', preset, 'Ticks what a built-in role holds (those you hold yourself); change it from there.'));
  }
  const form = h('form', { class: role ? 'inline-card' : 'card', 'aria-labelledby': `${prefix}-title`, novalidate: true },
    h(role ? 'h3' : 'h2', { id: `${prefix}-title` }, role ? `Edit “${role.name}”` : 'New role'),
    h('div', { class: 'grid' }, field('Role name', name), field('What it is for', description), ...extras),
    ...groups, feedback,
    h('button', { type: 'submit', class: 'primary' }, role ? 'Save role' : 'Create role'));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(name, feedback, 'Give the role a name.')) return;
    const permissions = [...boxes].filter(([, box]) => box.checked).map(([permission]) => permission);
    if (!permissions.length) {
      replace(feedback, message('error', 'Tick at least one permission.'));
      return;
    }
    const body = { name: name.value.trim(), description: description.value.trim(), permissions };
    try {
      const saved = role ? await api.put(`/api/v1/roles/${encodeURIComponent(role.id)}`, body) : await api.post('/api/v1/roles', body);
      await reloadPage();
      announce(`The role ${saved.name} is saved`);
    } catch (error) {
      showProblems(form, error, { feedback });
    }
  });
  return form;
}

function createForm(api, roles, groups, reload) {
  const username = h('input', { name: 'username', required: true, maxlength: 100, autocomplete: 'off' });
  const password = h('input', { name: 'password', type: 'password', required: true, minlength: 12, autocomplete: 'new-password' });
  const role = roleSelect(roles);
  const scope = scopePicker(groups, api.me.scope, 'new-admin', 'Devices they reach');
  const feedback = h('div', { class: 'feedback' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'new-admin-title', novalidate: true },
    h('h2', { id: 'new-admin-title' }, 'New admin'),
    h('div', { class: 'grid' }, field('Username', username), field('Password', password, 'At least 12 characters. Give it to them in person or over a secure channel.'),
      field('Role', role)),
    scope.fieldset,
    feedback,
    h('button', { type: 'submit', class: 'primary' }, 'Create admin'));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(username, feedback, 'Give the admin a username.') || blank(password, feedback, 'Give the admin a password.')) return;
    try {
      const admin = await api.post('/api/v1/admins', { username: username.value.trim(), password: password.value, role: role.value,
        scope: scope.chosen() });
      replace(feedback, message('info', `${admin.username} can now sign in as ${labelOf(roles, admin.role).toLowerCase()}.`));
      form.reset();
      await reload();
    } catch (error) {
      showProblems(form, error, { feedback });
    }
  });
  return form;
}

/** API tokens: your own (everyone's for those who manage admins), created with a role at most your own, and revoked. */
export const tokensPage = {
  path: '/api-tokens',
  nav: 'API tokens',
  title: 'API tokens',
  needs: 'API_TOKEN_OWN',
  async render({ api, main, stale }) {
    const [tokens, roles] = await Promise.all([api.get('/api/v1/api-tokens'), api.get('/api/v1/roles')]);
    if (stale()) return;
    // A token's role may not exceed the creator's own: offer only roles whose permissions the admin holds.
    const allowed = roles.filter(role => role.permissions.every(permission => api.can(permission)));
    const list = h('section', { 'aria-labelledby': 'tokens-title' });
    const created = h('div', { class: 'created' });
    replace(main, heading('API tokens'),
      h('p', { class: 'lead' }, 'Scripts and other systems use the API with a token instead of a password: send it as “Authorization: Bearer …”.'),
      tokenForm(api, allowed, created, reload), created, list, passwordForm(api), secondFactorCard(api));
    draw(tokens);

    async function reload() {
      draw(await api.get('/api/v1/api-tokens'));
    }

    function draw(current) {
      const feedback = h('div', { class: 'feedback' });
      const live = token => !token.revokedAt && new Date(token.expiresAt) > new Date();
      replace(list, h('h2', { id: 'tokens-title' }, 'Tokens'), feedback, current.length
        ? table(`${current.length} token${current.length === 1 ? '' : 's'}`, ['Name', 'Starts with', 'Role', 'Owner', 'Expires', 'Last used', 'State', ''],
          current.map(token => [token.name, h('code', {}, token.prefix), labelOf(roles, token.role), token.owner, when(token.expiresAt),
            when(token.lastUsedAt), token.revokedAt ? `Revoked ${when(token.revokedAt)}` : live(token) ? 'Active' : 'Expired',
            live(token) ? h('button', {
              type: 'button', class: 'link', 'aria-label': `Revoke ${token.name}`,
              onclick: async () => {
                const sure = await confirmAction({ title: `Revoke the token “${token.name}”?`,
                  text: 'Anything still using it is refused from now on. This cannot be undone.', confirm: 'Revoke token', danger: true });
                if (!sure) return;
                try {
                  await api.delete(`/api/v1/api-tokens/${encodeURIComponent(token.id)}`);
                  replace(created);
                  await reload();
                  replace(list.querySelector('.feedback'), message('info', `“${token.name}” is revoked.`));
                } catch (error) {
                  replace(feedback, message('error', error.message));
                }
              },
            }, 'Revoke') : '']))
        : empty('There are no API tokens.', 'Create one above for a script or another system.'));
    }
  },
};

function tokenForm(api, roles, created, reload) {
  const name = h('input', { name: 'name', required: true, maxlength: 200 });
  const role = roleSelect(roles);
  const days = h('input', { name: 'validForDays', type: 'number', min: 1, max: 366, step: 1, value: 90 });
  const feedback = h('div', { class: 'feedback' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'new-token-title', novalidate: true },
    h('h2', { id: 'new-token-title' }, 'New API token'),
    h('div', { class: 'grid' }, field('Name', name, 'What uses it, such as “inventory export”.'),
      field('Role', role, 'At most your own role.'), field('Valid for days', days, '1 to 366.')),
    feedback,
    h('button', { type: 'submit', class: 'primary' }, 'Create token'));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(name, feedback, 'Give the token a name.')) return;
    try {
      const result = await api.post('/api/v1/api-tokens', { name: name.value.trim(), role: role.value, validForDays: Number(days.value || 90) });
      replace(feedback);
      form.reset();
      role.value = api.me.role;
      // The list first: once the secret is on screen, the token is in the list below it too.
      await reload();
      showSecret(created, result);
    } catch (error) {
      showProblems(form, error, { feedback });
    }
  });
  return form;
}

/** Your own password: the current one proves it is you; your other sessions end. */
function passwordForm(api) {
  const current = h('input', { name: 'currentPassword', type: 'password', required: true, autocomplete: 'current-password' });
  const next = h('input', { name: 'newPassword', type: 'password', required: true, minlength: 12, autocomplete: 'new-password' });
  const feedback = h('div', { class: 'feedback' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'password-title', novalidate: true },
    h('h2', { id: 'password-title' }, 'Your password'),
    h('div', { class: 'grid' }, field('Current password', current),
      field('New password', next, 'At least 12 characters, not a common password, not your username.')),
    feedback,
    h('button', { type: 'submit', class: 'primary' }, 'Change password'));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(current, feedback, 'Type your current password.') || blank(next, feedback, 'Type the new password.')) return;
    try {
      await api.post('/api/v1/auth/password', { currentPassword: current.value, newPassword: next.value });
      form.reset();
      replace(feedback, message('info', 'Your password is changed. Your other sessions were signed out.'));
    } catch (error) {
      showProblems(form, error, { feedback });
    }
  });
  return form;
}

/**
 * Your second factor: enroll an authenticator app (its key shown once, as an otpauth:// URI and as text), confirm it
 * with a code (the recovery codes shown once), or remove it with a code or your password.
 */
function secondFactorCard(api) {
  // The heading is there from the start: a section labelled by a heading that does not exist yet has no name.
  const card = h('section', { class: 'card', 'aria-labelledby': 'totp-title' },
    h('h2', { id: 'totp-title' }, 'Two-step sign-in'));
  const feedback = h('div', { class: 'feedback' });
  draw();
  return card;

  async function draw(note) {
    let status;
    try {
      status = await api.get('/api/v1/auth/totp');
    } catch (error) {
      replace(card, h('h2', { id: 'totp-title' }, 'Two-step sign-in'), message('error', error.message));
      return;
    }
    replace(feedback, ...(note ? [note] : []));
    if (status.active) {
      replace(card, h('h2', { id: 'totp-title' }, 'Two-step sign-in'),
        h('p', {}, `On: signing in asks for a code from your authenticator app. Recovery codes left: ${status.recoveryCodesLeft}.`),
        feedback, removeForm());
    } else {
      const start = h('button', { type: 'button', class: 'primary' }, status.enrolling ? 'Start again with a new key' : 'Set up an authenticator app');
      start.addEventListener('click', async () => {
        try {
          enrollForm(await api.post('/api/v1/auth/totp'));
        } catch (error) {
          replace(feedback, message('error', error.message));
        }
      });
      replace(card, h('h2', { id: 'totp-title' }, 'Two-step sign-in'),
        h('p', {}, 'Off: your password alone signs you in. Add a code from an authenticator app (RFC 6238 TOTP) for a second step.'),
        feedback, start);
    }
  }

  function enrollForm({ secret, otpauthUri, qrCode }) {
    const uri = h('input', { readonly: true, value: otpauthUri, class: 'link-text', id: 'totp-uri' });
    const key = h('input', { readonly: true, value: secret, class: 'link-text', id: 'totp-secret' });
    const code = h('input', { name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, required: true });
    const form = h('form', { novalidate: true },
      field('Code from the app', code, 'Six digits; it proves the app has the key. Only then is the second step turned on.'),
      h('button', { type: 'submit', class: 'primary' }, 'Turn on'));
    form.addEventListener('submit', async event => {
      event.preventDefault();
      if (blank(code, feedback, 'Type the code the app shows.')) return;
      try {
        const { recoveryCodes } = await api.post('/api/v1/auth/totp/confirm', { code: code.value.trim() });
        showRecoveryCodes(recoveryCodes);
      } catch (error) {
        showProblems(form, error, { feedback });
      }
    });
    replace(card, h('h2', { id: 'totp-title', tabindex: '-1' }, 'Set up an authenticator app'),
      h('p', {}, 'Add this key to your authenticator app: scan the code, paste the link into an app that takes one, or type the key. It is shown this once.'),
      h('img', { src: qrCode, id: 'totp-qr', width: 180, height: 180, alt: 'QR code of the key, for an authenticator app to scan' }),
      h('div', { class: 'field' }, h('label', { for: 'totp-uri' }, 'Key as a link (otpauth://)'), uri),
      h('p', {}, copyButton(uri, 'Copy link')),
      h('div', { class: 'field' }, h('label', { for: 'totp-secret' }, 'Key as text'), key),
      h('p', {}, copyButton(key, 'Copy key')),
      feedback, form);
    card.querySelector('h2').focus();
  }

  function showRecoveryCodes(codes) {
    const list = h('textarea', { readonly: true, rows: codes.length, id: 'recovery-codes', class: 'link-text' });
    list.value = codes.join('\n');
    const done = h('button', { type: 'button', class: 'primary' }, 'I have stored them');
    done.addEventListener('click', () => draw(message('info', 'Two-step sign-in is on.')));
    replace(card, h('h2', { id: 'totp-title', tabindex: '-1' }, 'Two-step sign-in is on: your recovery codes'),
      h('p', {}, 'Each code signs you in once if you lose your phone. Store them somewhere safe now: they are not shown again.'),
      h('div', { class: 'field' }, h('label', { for: 'recovery-codes' }, 'Recovery codes'), list),
      h('p', {}, copyButton(list, 'Copy codes'), ' ', done));
    card.querySelector('h2').focus();
  }

  function removeForm() {
    const proof = h('input', { name: 'proof', type: 'password', autocomplete: 'current-password', required: true });
    const form = h('form', { class: 'inline', novalidate: true },
      field('Current code or your password', proof),
      h('button', { type: 'submit', class: 'danger' }, 'Turn off'));
    form.addEventListener('submit', async event => {
      event.preventDefault();
      if (blank(proof, feedback, 'Type a current code or your password.')) return;
      const value = proof.value.trim();
      try {
        await api.post('/api/v1/auth/totp/remove', /^[0-9]{6}$/.test(value) ? { code: value } : { password: proof.value });
        await draw(message('info', 'Two-step sign-in is off.'));
      } catch (error) {
        showProblems(form, error, { feedback });
      }
    });
    return form;
  }
}

function showSecret(created, { token, secret }) {
  const value = h('input', { readonly: true, value: secret, class: 'link-text', id: 'token-secret' });
  replace(created, h('section', { class: 'card', 'aria-labelledby': 'secret-title' },
    h('h2', { id: 'secret-title', tabindex: '-1' }, `“${token.name}” is ready`),
    h('p', {}, 'This is the only time the token is shown: the server keeps only its hash. Copy it now and store it where the script can read it.'),
    h('div', { class: 'field' }, h('label', { for: 'token-secret' }, 'Token'), value),
    h('p', {}, copyButton(value, 'Copy token'))));
  created.querySelector('h2').focus();
}
