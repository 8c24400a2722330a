// The Automated Device Enrollment server-token page of an Apple platform plugin, served from the plugin's own file
// (ConsolePage in the plugin API). It talks only to the plugin's admin endpoint /api/v1/plugins/{plugin}/ade
// (plugin_manage): the public key to give Apple Business Manager, and the tokens it gives back.

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
        + `${run.updated} updated, ${run.unassigned} moved away, ${run.profileAssigned} given the default profile.`));
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
}
