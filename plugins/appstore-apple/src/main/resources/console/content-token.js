// The Apps and Books (VPP) content-token page of the appstore-apple plugin, served from the plugin's own file
// (ConsolePage in the plugin API). It talks only to the plugin's admin endpoint
// /api/v1/plugins/appstore-apple/content-token (plugin_manage); the token itself is never shown back.

export async function render({ api, main, ui, plugin, stale }) {
  const { h } = ui;
  const section = h('section', { class: 'card', 'aria-labelledby': 'content-token-title' });
  main.append(
    h('p', { class: 'lead' }, 'Apps and licences bought in Apple Business Manager or Apple School Manager reach devices through '
      + 'the location’s content token. Download it under Preferences › Payments and Billing › Content Tokens, and upload a new one '
      + 'before it expires (a year after download): until then the catalog cannot sync and no licence can be assigned.'),
    section);
  await draw({ api, ui, plugin, section, stale });
}

async function draw({ api, ui, plugin, section, stale }, notice) {
  const { h, replace, field, message, blank, empty, removeButton } = ui;
  const base = `/api/v1/plugins/${encodeURIComponent(plugin.id)}/content-token`;
  let status = null;
  let failure = null;
  try {
    status = await api.get(base);
  } catch (error) {
    // 404: none uploaded yet, an empty state rather than an error.
    if (error.status !== 404) failure = error;
  }
  if (stale()) return;
  const again = next => draw({ api, ui, plugin, section, stale }, next);
  const file = h('input', { type: 'file', name: 'content-token', accept: '.vpptoken,text/plain' });
  const takeOver = h('input', { type: 'checkbox', name: 'take-over' });
  const feedback = h('div', { class: 'feedback', 'aria-live': 'polite' }, notice ?? null);
  const form = h('form', { class: 'inline', 'aria-label': 'Upload the content token' },
    field(status ? 'New content token (.vpptoken)' : 'Content token (.vpptoken)', file,
      'The file Apple Business Manager downloads for one location. It is checked with Apple, then stored sealed.'),
    field('Take the location over from another MDM server', takeOver,
      'Only when the location is still managed by a server you are replacing: that server then loses its licences’ management.'),
    h('button', { type: 'submit', class: 'primary' }, status ? 'Upload new token' : 'Upload token'));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(file, feedback, 'Choose the .vpptoken file first.')) return;
    try {
      const uploaded = await api.put(takeOver.checked ? `${base}?takeOver=true` : base, file.files[0]);
      await again(message('info', `Content token for ${uploaded.organisation} (${uploaded.location}) uploaded; ${uploaded.daysLeft} days left.`));
      section.querySelector('h2')?.focus();
    } catch (error) {
      replace(feedback, message('error', error.message));
    }
  });
  const remove = status ? removeButton({ label: 'Remove token', title: 'Remove the content token?',
    text: 'The catalog stops syncing with Apple and no licence can be assigned or taken back until a token is uploaded again. '
      + 'Licences already on devices stay there.',
    feedback, action: async () => {
      await api.delete(base);
      await again(message('info', 'The content token is removed.'));
    } }) : null;
  replace(section, h('h2', { id: 'content-token-title', tabindex: '-1' }, `${plugin.id} ${plugin.version}`),
    failure ? message('error', failure.message) : status ? details(ui, status) : empty('No content token has been uploaded yet.',
      'Until one is, the Apps and Books store is not configured: its apps do not sync. Upload the token below.'),
    feedback, form, remove ? h('p', { class: 'row-actions' }, remove) : null);
}

function details({ h, message, when }, status) {
  const pair = (term, value) => [h('dt', {}, term), h('dd', {}, value)];
  return [
    status.warning ? message('error', status.warning) : null,
    h('dl', { class: 'facts' },
      pair('Organisation', status.organisation), pair('Location', status.location), pair('Expires', when(status.expiresAt)),
      pair('Days left', String(status.daysLeft))),
  ];
}
