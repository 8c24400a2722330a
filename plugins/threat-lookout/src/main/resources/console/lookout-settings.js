// The Lookout connector's console page, served from the plugin's own file (ConsolePage in the plugin API). It talks
// only to the plugin's /settings endpoint (plugin_manage). The connector's health (last poll, errors, matched and
// unmatched devices) is shown by the server's own threat pages, not here.

export async function render({ api, main, ui, plugin, stale }) {
  const { h } = ui;
  const page = {
    api, ui, stale,
    base: `/api/v1/plugins/${encodeURIComponent(plugin.id)}/settings`,
    summary: h('section', { class: 'card', 'aria-labelledby': 'lookout-summary-title' }),
    form: h('section', { class: 'card', 'aria-labelledby': 'lookout-key-title' }),
  };
  main.append(
    h('p', { class: 'lead' }, 'Lookout Mobile Endpoint Security reports each device’s risk and threats through its Mobile Risk API. '
      + 'Generate an application key in the Lookout console (System > Application Keys) and set it here; the server then reads '
      + 'Lookout’s devices once and follows its event stream.'),
    page.summary, page.form);
  await refresh(page);
}

async function refresh(page, notice) {
  const { api, base, stale, ui } = page;
  let state;
  try {
    state = await api.get(base);
  } catch (error) {
    if (stale()) return;
    ui.replace(page.summary, ui.h('h2', { id: 'lookout-summary-title' }, 'Connection'),
      ui.message('error', `The settings could not be read: ${error.message}`));
    return;
  }
  if (stale()) return;
  drawSummary(page, state);
  drawForm(page, state, notice);
}

function drawSummary(page, state) {
  const { h, replace } = page.ui;
  const pair = (term, value) => [h('dt', {}, term), h('dd', {}, value)];
  replace(page.summary, h('h2', { id: 'lookout-summary-title' }, 'Connection'),
    h('p', { class: `state ${state.applicationKeySet ? 'applied' : 'failed'}` },
      state.applicationKeySet ? 'Application key set' : 'Not connected: no application key'),
    h('dl', { class: 'facts' },
      pair('Connector id', state.connectorId),
      pair('API address', state.apiBaseUrl),
      pair('Application key', state.applicationKeySet ? 'Set (sealed, never shown)' : 'Not set'),
      pair('Poll interval', state.pollInterval)));
}

function drawForm(page, state, notice) {
  const { h, replace, field, message, blank, removeButton } = page.ui;
  const { api, base } = page;
  const key = h('input', { type: 'password', name: 'application-key', autocomplete: 'off' });
  const url = h('input', { type: 'url', name: 'api-base-url', value: state.apiBaseUrl });
  const feedback = h('div', { class: 'feedback', 'aria-live': 'polite' }, notice ? message(notice.kind, notice.text) : null);
  const submit = h('button', { type: 'submit', class: 'primary' }, state.applicationKeySet ? 'Replace key' : 'Set key');
  const form = h('form', { 'aria-label': 'Set the Lookout application key' },
    field('Application key', key, 'Checked with Lookout, stored sealed with the server’s secrets key and never shown again.'),
    field('API address', url, 'https://api.lookout.com unless Lookout gave your tenant another address.'),
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(key, feedback, 'Paste the application key first.')) return;
    submit.disabled = true;
    try {
      await api.put(base, { applicationKey: key.value, apiBaseUrl: url.value });
      key.value = '';
      if (page.stale()) return;
      await refresh(page, { kind: 'info', text: 'Lookout accepted the key. The first poll reads every device.' });
    } catch (error) {
      if (page.stale()) return;
      submit.disabled = false;
      replace(feedback, message('error', error.message));
    }
  });
  const remove = state.applicationKeySet ? removeButton({ label: 'Remove key', title: 'Remove the Lookout application key?',
    text: 'The server stops polling Lookout; its verdicts go stale after the stale age and count as the threat rules say.',
    feedback, action: async () => {
      await api.delete(base);
      if (page.stale()) return;
      await refresh(page, { kind: 'info', text: 'Application key removed; the connector stops polling.' });
    } }) : null;
  replace(page.form, h('h2', { id: 'lookout-key-title' }, 'Application key'), form, feedback,
    remove ? h('p', { class: 'row-actions' }, remove) : null);
}
