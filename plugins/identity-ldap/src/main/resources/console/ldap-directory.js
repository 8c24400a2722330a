// The LDAP plugin's console page, "LDAP directory", served from the plugin's own file (ConsolePage in the plugin API).
// It talks only to the plugin's admin endpoints: /sync (user_write) for the connection, the last sync and "Sync now",
// and /bind-password (plugin_manage) for the service account's password, offered only to admins who hold that.

export async function render({ api, main, ui, plugin, stale }) {
  const { h } = ui;
  const page = {
    api, ui, stale,
    base: `/api/v1/plugins/${encodeURIComponent(plugin.id)}`,
    connection: h('section', { class: 'card', 'aria-labelledby': 'ldap-connection-title' }),
    sync: h('section', { class: 'card', 'aria-labelledby': 'ldap-sync-title' }),
    password: h('section', { class: 'card', 'aria-labelledby': 'ldap-password-title' }),
  };
  main.append(
    h('p', { class: 'lead' }, 'People sign in with their directory password, and the directory’s people and groups (nested ones '
      + 'included) are synced into Shepherd, where groups drive smart groups. The connection is set in conf/shepherd.yaml under '
      + 'plugins.config.identity-ldap.'),
    page.connection, page.sync, api.can('plugin_manage') ? page.password : null);
  await refresh(page);
}

async function refresh(page, notice) {
  const { api, base, stale, ui } = page;
  let state;
  try {
    state = await api.get(`${base}/sync`);
  } catch (error) {
    if (stale()) return;
    ui.replace(page.connection, ui.h('h2', { id: 'ldap-connection-title' }, 'Connection'),
      ui.message('error', `The connection could not be read: ${error.message}`));
    return;
  }
  if (stale()) return;
  drawConnection(page, state);
  drawSync(page, state, notice);
  drawPassword(page, state);
}

function drawConnection(page, state) {
  const { h, replace, empty } = page.ui;
  const title = h('h2', { id: 'ldap-connection-title', tabindex: '-1' }, 'Connection');
  if (!state.configured) {
    replace(page.connection, title, h('p', { class: 'state failed' }, 'Not configured'),
      empty('No directory is configured, so no one signs in through it and nothing is synced.',
        'Set url, userBaseDn and bindDn under plugins.config.identity-ldap in conf/shepherd.yaml and restart Shepherd.'));
    return;
  }
  const pair = (term, value) => [h('dt', {}, term), h('dd', {}, value)];
  const transport = { LDAPS: 'LDAPS', START_TLS: 'StartTLS', PLAIN: 'Plain LDAP (loopback only)' }[state.transport] ?? state.transport;
  replace(page.connection, title,
    h('p', { class: `state ${state.lastError ? 'failed' : 'applied'}` }, state.lastError ? 'Configured, but the last sync failed' : 'Configured'),
    h('dl', { class: 'facts' },
      pair('Provider id', state.providerId),
      pair('Servers', state.servers.join(', ')),
      pair('Protection', `${transport}${state.verifyHostname ? ', host name checked' : ', host name not checked'}`),
      pair('Directory', state.activeDirectory ? 'Active Directory' : 'LDAP'),
      pair('Service account', state.bindDn || 'Anonymous'),
      pair('Service password', state.bindPasswordSet ? 'Set (sealed)' : 'Not set'),
      pair('Scheduled sync', state.syncInterval === 'PT0S' ? 'Off (on demand only)' : `Every ${state.syncInterval}`)));
}

function drawSync(page, state, notice) {
  const { h, replace, message, empty, when } = page.ui;
  const title = h('h2', { id: 'ldap-sync-title' }, 'Sync');
  const feedback = h('div', { class: 'feedback', 'aria-live': 'polite' }, notice ? message(notice.kind, notice.text) : null);
  const button = state.configured && page.api.can('user_write')
    ? h('button', { type: 'button', class: 'primary', onclick: () => runSync(page, feedback, button) }, 'Sync now') : null;
  const last = state.lastSync;
  const pair = (term, value) => [h('dt', {}, term), h('dd', {}, String(value))];
  replace(page.sync, title,
    state.lastError && !notice ? message('error', `The last sync failed (${when(state.lastErrorAt)}); no one was deactivated: ${state.lastError}`) : null,
    last ? [h('p', {}, `Last completed sync: ${when(last.at)}.`),
      h('dl', { class: 'facts', id: 'ldap-sync-figures' },
        pair('People read', last.users), pair('Disabled in the directory', last.disabledUsers), pair('Groups read', last.groups),
        pair('Deactivated (gone from the directory)', last.usersDeactivated), pair('Groups removed', last.groupsRemoved),
        pair('Left out (no id, name or username)', last.skipped), pair('Refused by Shepherd', last.refused), pair('Pages read', last.pages))]
      : empty('No sync has completed since the plugin started.', state.configured ? 'Sync now to bring the people in.' : 'Configure the directory first.'),
    state.running ? h('p', { class: 'hint' }, 'A sync is under way.') : null,
    feedback,
    button ? h('div', { class: 'actions' }, button) : null);
}

async function runSync(page, feedback, button) {
  const { api, base, stale, ui } = page;
  button.disabled = true;
  ui.replace(feedback, ui.h('p', { class: 'hint' }, 'Syncing…'));
  ui.announce('Syncing the directory.');
  try {
    const answer = await api.post(`${base}/sync`);
    if (stale()) return;
    const text = answer?.status === 'running'
      ? 'The sync takes a while and goes on; reload this page to see how it ended.'
      : `Sync finished: ${answer.users} people, ${answer.groups} groups, ${answer.usersDeactivated} deactivated.`;
    await refresh(page, { kind: 'info', text });
    if (!stale()) ui.announce(text);
  } catch (error) {
    if (stale()) return;
    await refresh(page, { kind: 'error', text: `The sync failed: ${error.message}` });
    if (!stale()) ui.announce('The sync failed.');
  }
}

function drawPassword(page, state) {
  const { h, replace, field, message, blank } = page.ui;
  const { api, base } = page;
  const input = h('input', { type: 'password', name: 'bind-password', autocomplete: 'new-password' });
  const feedback = h('div', { class: 'feedback', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary' }, state.bindPasswordSet ? 'Replace password' : 'Set password');
  const form = h('form', { class: 'inline', 'aria-label': 'Set the service account’s password' },
    field('Service account password', input, 'Stored sealed with the server’s secrets key and never shown again.'), submit);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(input, feedback, 'Type the service account’s password first.')) return;
    submit.disabled = true;
    try {
      await api.put(`${base}/bind-password`, { password: input.value });
      input.value = '';
      if (page.stale()) return;
      await refresh(page, { kind: 'info', text: 'Service password set. Sync now to check it.' });
    } catch (error) {
      if (page.stale()) return;
      submit.disabled = false;
      replace(feedback, message('error', error.message));
    }
  });
  replace(page.password, h('h2', { id: 'ldap-password-title' }, 'Service account password'), form, feedback);
}
