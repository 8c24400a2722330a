// The Defender connection page of the threat-defender plugin, served from the plugin's own file (ConsolePage in the
// plugin API). It talks only to the plugin's admin endpoint /api/v1/plugins/threat-defender/settings (plugin_manage);
// the client secret is sent, never shown back. The connector's health is on the console's threats page.

export async function render({ api, main, ui, plugin, stale }) {
  const { h } = ui;
  const section = h('section', { class: 'card', 'aria-labelledby': 'defender-settings-title' });
  main.append(
    h('p', { class: 'lead' }, 'Shepherd reads each machine’s risk score and its active alerts from Microsoft Defender for Endpoint '
      + 'with an Entra app registration that has the WindowsDefenderATP application permissions Machine.Read.All and '
      + 'Alert.Read.All, with admin consent. Devices are matched by their Entra device id or name, or linked on the threats page.'),
    section);
  await draw({ api, ui, plugin, section, stale });
}

async function draw({ api, ui, plugin, section, stale }, notice) {
  const { h, replace, field, message, blank, removeButton } = ui;
  const base = `/api/v1/plugins/${encodeURIComponent(plugin.id)}/settings`;
  let settings = null;
  let failure = null;
  try {
    settings = await api.get(base);
  } catch (error) {
    failure = error;
  }
  if (stale()) return;
  const again = next => draw({ api, ui, plugin, section, stale }, next);
  const configured = settings?.configured === true;
  const tenant = h('input', { type: 'text', name: 'tenant-id', autocomplete: 'off', value: settings?.tenantId ?? '' });
  const client = h('input', { type: 'text', name: 'client-id', autocomplete: 'off', value: settings?.clientId ?? '' });
  const secret = h('input', { type: 'password', name: 'client-secret', autocomplete: 'new-password' });
  const region = h('select', { name: 'api-base-url' },
    ...(settings?.apiBaseUrls ?? []).map(url => h('option', { value: url }, url)));
  if (settings?.apiBaseUrl) {
    if (![...region.options].some(option => option.value === settings.apiBaseUrl)) {
      region.append(h('option', { value: settings.apiBaseUrl }, settings.apiBaseUrl));
    }
    region.value = settings.apiBaseUrl;
  }
  const tag = h('input', { type: 'text', name: 'machine-tag', autocomplete: 'off', value: settings?.machineTag ?? '' });
  const feedback = h('div', { class: 'feedback', 'aria-live': 'polite' }, notice ?? null);
  const form = h('form', { class: 'stacked', 'aria-label': 'Defender connection' },
    field('Tenant id', tenant, 'The Entra tenant’s id (a GUID) or one of its domain names.'),
    field('Application (client) id', client, 'From the app registration’s overview.'),
    field(configured ? 'Client secret (leave empty to keep the stored one)' : 'Client secret', secret,
      'The secret’s value, not its id. It is checked with Entra, then stored sealed.'),
    field('API region', region, 'Defender’s API root; a regional one close to your tenant’s data answers faster.'),
    field('Machine tag (optional)', tag, 'Read only machines carrying this Defender tag.'),
    h('button', { type: 'submit', class: 'primary' }, configured ? 'Save and check' : 'Connect'));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(tenant, feedback, 'Enter the tenant id.') || blank(client, feedback, 'Enter the client id.')) return;
    if (!configured && blank(secret, feedback, 'Enter the client secret.')) return;
    const body = { tenantId: tenant.value.trim(), clientId: client.value.trim(), apiBaseUrl: region.value };
    if (secret.value) body.clientSecret = secret.value;
    if (tag.value.trim()) body.machineTag = tag.value.trim();
    try {
      await api.put(base, body);
      await again(message('info', 'Connected: Entra issued a token for the app. The next poll reads Defender’s machines.'));
      section.querySelector('h2')?.focus();
    } catch (error) {
      replace(feedback, message('error', error.message));
    }
  });
  const remove = configured ? removeButton({ label: 'Disconnect', title: 'Disconnect Defender?',
    text: 'Polls stop; the devices’ Defender verdicts go stale after the connector’s stale age and then no longer count as secure.',
    feedback, action: async () => {
      await api.delete(base);
      await again(message('info', 'Defender is disconnected.'));
    } }) : null;
  replace(section, h('h2', { id: 'defender-settings-title', tabindex: '-1' }, `${plugin.id} ${plugin.version}`),
    failure ? message('error', failure.message) : null,
    feedback, form, remove ? h('p', { class: 'row-actions' }, remove) : null);
}
