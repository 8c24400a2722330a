// The Automated Device Enrollment server-token page of an Apple platform plugin, served from the plugin's own file
// (ConsolePage in the plugin API). It talks only to the plugin's admin endpoint /api/v1/plugins/{plugin}/ade
// (plugin_manage): the public key to give Apple Business Manager, the tokens it gives back, and each token's ADE
// profiles with their scope (serial numbers, a Shepherd group, the default) and how many devices hold each. The group
// picker reads the kernel's GET /api/v1/groups when the admin may (group_read); else a group is named by its id.

export async function render({ api, main, ui, plugin, stale }) {
  const { h } = ui;
  const base = `/api/v1/plugins/${encodeURIComponent(plugin.id)}/ade`;
  const section = h('section', { class: 'card', 'aria-labelledby': 'ade-tokens-title' });
  main.append(
    h('p', { class: 'lead' }, 'Devices bought through Apple or a participating reseller enroll themselves when Apple Business Manager '
      + '(or Apple School Manager) assigns them to this server. Add an MDM server there with this server’s public key, '
      + 'then upload the server token it lets you download. Tokens last a year; renew them before they expire.'),
    h('p', {}, h('a', { class: 'button secondary', href: `${base}/public-key`, download: 'shepherd-ade-public-key.pem' },
      'Download the public key')),
    section);
  await draw({ api, ui, base, section, stale });
}

async function draw({ api, ui, base, section, stale }, notice) {
  const { h, replace, field, message, blank, empty, table, when, removeButton } = ui;
  let tokens = [];
  let failure = null;
  try {
    tokens = (await api.get(`${base}/tokens`)).tokens;
  } catch (error) {
    failure = error;
  }
  if (stale()) return;
  const again = next => draw({ api, ui, base, section, stale }, next);
  const feedback = h('div', { class: 'feedback', 'aria-live': 'polite' }, notice ?? null);
  const name = h('input', { type: 'text', name: 'ade-token-name', required: true, autocomplete: 'off', value: tokens.length === 0 ? 'default' : '' });
  const file = h('input', { type: 'file', name: 'ade-token', accept: '.p7m,application/pkcs7-mime' });
  const form = h('form', { class: 'inline', 'aria-label': 'Upload a server token' },
    field('Token name', name, 'One per Apple Business Manager instance, such as “default” or “school”. Uploading under an existing name renews that token.'),
    field('Server token (.p7m)', file, 'The file Apple Business Manager downloads for this MDM server. It is decrypted here and stored sealed.'),
    h('button', { type: 'submit', class: 'primary' }, 'Upload token'));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(name, feedback, 'Name the token first.') || blank(file, feedback, 'Choose the .p7m file first.')) return;
    try {
      const uploaded = await api.put(`${base}/tokens/${encodeURIComponent(name.value.trim())}`, file.files[0]);
      await again(message('info', `Token ${uploaded.name} uploaded; it expires ${when(uploaded.expiry)}.`));
      section.querySelector('h2')?.focus();
    } catch (error) {
      replace(feedback, message('error', error.message));
    }
  });
  const syncButton = token => h('button', { type: 'button', class: 'secondary', onclick: async event => {
    event.target.disabled = true;
    try {
      const run = await api.post(`${base}/tokens/${encodeURIComponent(token.name)}/sync`, {});
      await again(message('info', `Synchronised ${run.token}: ${run.seen} seen, ${run.registered} new pending, `
        + `${run.updated} updated, ${run.unassigned} moved away; profiles: ${run.profileAssigned} assigned, `
        + `${run.profileRemoved} removed, ${run.profileFailed} refused by Apple.`));
    } catch (error) {
      // The refusal is kept as the token's last sync too: shown again with the table.
      await again(message('error', error.message));
    } finally {
      event.target.disabled = false;
    }
  } }, `Sync devices ${token.name}`);
  // How the last sync went, scheduled or asked for: Apple's refusal and its wait stay visible until a sync succeeds.
  const lastSync = token => {
    const last = token.lastSync;
    if (!last) return 'Not yet';
    if (last.error) {
      return `${when(last.at)}: failed, ${last.error}${last.retryAfter ? `; Apple asks to wait until ${when(last.retryAfter)}` : ''}`;
    }
    return `${when(last.at)}: ${last.result.seen} seen, ${last.result.registered} new pending`;
  };
  const rows = tokens.map(token => [
    token.name, token.consumerKey, when(token.expiry), String(token.daysLeft), lastSync(token),
    syncButton(token),
    removeButton({ label: `Remove token ${token.name}`, title: `Remove the server token ${token.name}?`,
      text: 'Devices of that Apple Business Manager instance are no longer synchronised until a token is uploaded again.',
      feedback, action: async () => {
        await api.delete(`${base}/tokens/${encodeURIComponent(token.name)}`);
        await again(message('info', `The server token ${token.name} is removed.`));
      } }),
  ]);
  replace(section, h('h2', { id: 'ade-tokens-title', tabindex: '-1' }, 'Server tokens'),
    failure ? message('error', failure.message) : null,
    ...tokens.filter(token => token.warning).map(token => message('error', token.warning)),
    !failure && tokens.length === 0 ? empty('No server token has been uploaded yet.',
      'Download the public key above, add this server in Apple Business Manager, then upload its token below.') : null,
    tokens.length > 0 ? table('Server tokens', ['Name', 'Consumer key', 'Expires', 'Days left', 'Last sync', 'Devices', 'Actions'], rows) : null,
    feedback, form);
  if (failure || tokens.length === 0) return;
  const groups = api.can?.('GROUP_READ') ? await api.get('/api/v1/groups').catch(() => []) : [];
  if (stale()) return;
  // Drawn again after every change of the tokens: the profile cards of the previous drawing go first.
  section.parentElement?.querySelectorAll('[data-ade-profiles]').forEach(card => card.remove());
  let last = section;
  for (const token of tokens) {
    const card = h('section', { class: 'card', 'aria-labelledby': `ade-profiles-${token.name}`, 'data-ade-profiles': token.name });
    last.after(card);
    last = card;
    await drawProfiles({ api, ui, base, card, token, groups, stale });
  }
}

// One token's ADE profiles: the list in the order the sync tries them, and the form that defines or replaces one.
async function drawProfiles({ api, ui, base, card, token, groups, stale }, notice) {
  const { h, replace, field, message, empty, table, removeButton, showProblems } = ui;
  const profilesUrl = `${base}/tokens/${encodeURIComponent(token.name)}/profiles`;
  let profiles = [];
  let failure = null;
  try {
    profiles = (await api.get(profilesUrl)).profiles;
  } catch (error) {
    failure = error;
  }
  if (stale()) return;
  const again = next => drawProfiles({ api, ui, base, card, token, groups, stale }, next);
  const feedback = h('div', { class: 'feedback', 'aria-live': 'polite' }, notice ?? null);
  const scope = profile => [
    profile.default ? 'Default' : null,
    profile.group ? `Group ${profile.group.name || profile.group.id}` : null,
    profile.serials.length ? `${profile.serials.length} serial number(s)` : null,
  ].filter(Boolean).join('; ') || 'Nothing (no device gets it)';
  const rows = profiles.map(profile => [
    profile.name, profile.profile.profile_name, scope(profile), String(profile.priority), String(profile.devices),
    h('span', { class: 'mono' }, profile.profile_uuid),
    removeButton({ label: `Remove profile ${profile.name}`, title: `Remove the ADE profile ${profile.name}?`,
      text: 'Its devices get the profile they match next, or none; a device that already has it keeps it until it is erased.',
      feedback, action: async () => {
        const removed = await api.delete(`${profilesUrl}/${encodeURIComponent(profile.name)}`);
        await again(message('info', `The profile ${profile.name} is removed; ${removed.assignment.assigned} device(s) given another, `
          + `${removed.assignment.removed} left without one.`));
      } }),
  ]);
  const text = (name, attributes = {}) => h('input', { type: 'text', name, autocomplete: 'off', ...attributes });
  const check = name => h('input', { type: 'checkbox', name });
  const name = text('name', { required: true, pattern: '[A-Za-z0-9][A-Za-z0-9._-]{0,62}' });
  const appleName = text('profile_name', { required: true, maxlength: '125' });
  const priority = h('input', { type: 'number', name: 'priority', min: '0', max: '1000', value: '100' });
  const isDefault = check('default');
  const group = groups.length
    ? h('select', { name: 'groupId' }, h('option', { value: '' }, 'No group'),
      ...groups.map(each => h('option', { value: each.id }, each.name)))
    : text('groupId');
  const serials = h('textarea', { name: 'serials', rows: '3' });
  const supervised = check('is_supervised');
  const removable = check('is_mdm_removable');
  removable.checked = true;
  const awaits = check('await_device_configured');
  const signIn = check('require_sign_in');
  const department = text('department', { maxlength: '125' });
  const phone = text('support_phone_number', { maxlength: '50' });
  const email = text('support_email_address', { maxlength: '250' });
  const skip = text('skip_setup_items');
  const form = h('form', { 'aria-label': `Define an ADE profile of ${token.name}` },
    h('h3', {}, 'Define or replace a profile'),
    field('Name', name, 'Shepherd’s name: letters, digits, dots, dashes. A device enrolled with it joins the group “ADE: <name>”. '
      + 'Saving under an existing name replaces that profile.'),
    field('Name on the device', appleName, 'What Setup Assistant shows (profile_name).'),
    field('Group', group, 'Devices of this Shepherd group get the profile, smart groups included.'),
    field('Serial numbers', serials, 'Devices that get this profile whatever their groups, separated by spaces, commas or lines.'),
    field('Priority', priority, 'Group profiles are tried lowest first.'),
    field('Default profile', isDefault, 'For every device nothing else matches.'),
    field('Supervised', supervised),
    field('Removable by the user', removable, 'Only a supervised profile may be made not removable.'),
    field('Await configuration', awaits, 'Setup Assistant waits until the device has its policies and required apps.'),
    field('Require sign-in', signIn, 'Setup Assistant shows the server’s sign-in page; the device is assigned to the person who signs in.'),
    field('Department', department),
    field('Support phone', phone),
    field('Support e-mail', email),
    field('Skipped Setup Assistant panes', skip, 'Apple’s pane names, separated by commas, such as Location, Privacy, Siri.'),
    h('button', { type: 'submit', class: 'primary' }, 'Save profile'));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const body = {
      profile_name: appleName.value.trim(), priority: Number(priority.value || 100), default: isDefault.checked,
      serials: serials.value.split(/[\s,]+/).filter(Boolean),
      is_supervised: supervised.checked, is_mdm_removable: removable.checked, await_device_configured: awaits.checked,
      require_sign_in: signIn.checked,
      skip_setup_items: skip.value.split(',').map(item => item.trim()).filter(Boolean),
    };
    if (group.value) body.groupId = group.value;
    for (const [key, input] of [['department', department], ['support_phone_number', phone], ['support_email_address', email]]) {
      if (input.value.trim()) body[key] = input.value.trim();
    }
    try {
      const saved = await api.put(`${profilesUrl}/${encodeURIComponent(name.value.trim())}`, body);
      await again(message('info', `The profile ${saved.name} is defined at Apple; ${saved.assignment.assigned} device(s) given it `
        + `or another, ${saved.assignment.failed} refused by Apple.`));
    } catch (error) {
      showProblems(form, error, { feedback });
    }
  });
  replace(card, h('h2', { id: `ade-profiles-${token.name}`, tabindex: '-1' }, `ADE profiles of ${token.name}`),
    h('p', {}, 'Each device gets the profile naming its serial number, else the first profile whose group it is in, else the default. '
      + 'Every sync, and every change here, tells Apple what differs.'),
    failure ? message('error', failure.message) : null,
    !failure && profiles.length === 0 ? empty('No ADE profile is defined for this token yet.', 'Define one below; make one the default.') : null,
    profiles.length > 0 ? table(`ADE profiles of ${token.name}`, ['Name', 'Name on the device', 'For', 'Priority', 'Devices', 'Apple’s id', 'Actions'], rows) : null,
    feedback, form);
}
