// The threat-webhook plugin's console page, "Webhook sources", served from the plugin's own file (ConsolePage in the
// plugin API). It talks only to the plugin's admin endpoint /sources (plugin_manage): the sources with their delivery
// URLs, mappings and secrets' dates, a form to add one, the last deliveries of each, rotating a secret, trying a mapping
// on a sample payload, and the deliveries this node refused before they were authenticated. A generated secret is
// shown once, in the answer that created it, and never again.

export async function render({ api, main, ui, plugin, stale }) {
  const { h } = ui;
  const page = {
    api, ui, stale,
    base: `/api/v1/plugins/${encodeURIComponent(plugin.id)}/sources`,
    list: h('section', { class: 'card', 'aria-labelledby': 'webhook-sources-title' }),
    add: h('section', { class: 'card', 'aria-labelledby': 'webhook-add-title' }),
    refused: h('section', { class: 'card', 'aria-labelledby': 'webhook-refused-title' }),
    detail: h('section', { class: 'card', 'aria-labelledby': 'webhook-detail-title' }),
  };
  main.append(
    h('p', { class: 'lead' }, 'Any threat-defense or EDR product that sends signed JSON webhooks (the Standard Webhooks scheme: '
      + 'webhook-id, webhook-timestamp, webhook-signature) feeds device threat levels here. Each source has its own URL, secret '
      + 'and payload mapping.'),
    page.list, page.detail, page.add, page.refused);
  await refresh(page);
}

async function refresh(page, notice) {
  const { api, base, stale, ui } = page;
  let state;
  try {
    state = await api.get(base);
  } catch (error) {
    if (stale()) return;
    ui.replace(page.list, ui.h('h2', { id: 'webhook-sources-title' }, 'Sources'), ui.message('error', `The sources could not be read: ${error.message}`));
    return;
  }
  if (stale()) return;
  drawList(page, state, notice);
  drawAdd(page, state);
  drawRefused(page, state);
}

function drawList(page, state, notice) {
  const { h, replace, table, empty, message, when } = page.ui;
  const title = h('h2', { id: 'webhook-sources-title', tabindex: '-1' }, 'Sources');
  const rows = state.items.map(source => [
    h('button', { type: 'button', class: 'link', onclick: () => showSource(page, source.name) }, source.displayName),
    h('code', {}, source.deliveryUrl),
    source.secrets.map(secret => secret.retiresAt ? `previous, valid until ${when(secret.retiresAt)}` : `current since ${when(secret.added)}`).join('; '),
  ]);
  replace(page.list, title,
    notice ? message(notice.kind, notice.text) : null,
    notice?.secret ? h('div', { class: 'secret-once' },
      h('p', {}, 'The signing secret, shown this once. Give it to the sender now; it is stored sealed and never shown again.'),
      h('pre', {}, h('code', {}, notice.secret))) : null,
    rows.length ? table('Webhook sources', ['Source', 'Delivery URL', 'Secrets'], rows)
      : empty('No source yet, so nothing can deliver.', 'Add one below and give its URL and secret to the sender.'));
}

async function showSource(page, name) {
  const { api, base, ui, stale } = page;
  const { h, replace, table, when, message, field, removeButton } = ui;
  let source;
  try {
    source = await api.get(`${base}/${encodeURIComponent(name)}`);
  } catch (error) {
    replace(page.detail, h('h2', { id: 'webhook-detail-title' }, name), message('error', error.message));
    return;
  }
  if (stale()) return;
  const feedback = h('div', { class: 'feedback', 'aria-live': 'polite' });
  const mapping = h('textarea', { rows: 14, cols: 80, spellcheck: 'false' });
  mapping.value = JSON.stringify(source.mapping, null, 2);
  const sample = h('textarea', { rows: 8, cols: 80, spellcheck: 'false', placeholder: '{"device": {"id": "..."}, "level": "HIGH"}' });
  const trial = h('pre', { 'aria-live': 'polite' });
  const grace = h('input', { type: 'number', min: 0, max: 168, value: 24 });
  const deliveries = source.recentDeliveries.map(delivery => [when(delivery.at), delivery.webhookId, delivery.outcome, delivery.detail]);
  replace(page.detail,
    h('h2', { id: 'webhook-detail-title', tabindex: '-1' }, source.displayName),
    h('p', {}, 'Delivery URL: ', h('code', {}, source.deliveryUrl)),
    deliveries.length ? table('Last deliveries', ['At', 'webhook-id', 'Outcome', 'Detail'], deliveries)
      : h('p', { class: 'hint' }, 'No authenticated delivery yet.'),
    h('form', { class: 'stacked', 'aria-label': 'Payload mapping', onsubmit: async event => {
      event.preventDefault();
      try {
        await api.put(`${base}/${encodeURIComponent(name)}`, { mapping: JSON.parse(mapping.value) });
        replace(feedback, message('info', 'Mapping saved.'));
      } catch (error) {
        replace(feedback, message('error', error.message));
      }
    } }, field('Payload mapping (JSON Pointers)', mapping, 'See the plugin README for every part.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save mapping'))),
    h('form', { class: 'stacked', 'aria-label': 'Try the mapping', onsubmit: async event => {
      event.preventDefault();
      try {
        const answer = await api.post(`${base}/${encodeURIComponent(name)}/try-mapping`, JSON.parse(sample.value));
        trial.textContent = JSON.stringify(answer, null, 2);
      } catch (error) {
        trial.textContent = error.message;
      }
    } }, field('Sample payload', sample, 'Shows what the saved mapping reads from it; nothing is reported.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'secondary' }, 'Try mapping')), trial),
    h('form', { class: 'inline', 'aria-label': 'Rotate the secret', onsubmit: async event => {
      event.preventDefault();
      try {
        const answer = await api.post(`${base}/${encodeURIComponent(name)}/rotate-secret`, { graceHours: Number(grace.value) });
        await refresh(page, { kind: 'info', text: `New secret for ${name}; the previous one stays valid for ${grace.value} hours.`, secret: answer.secret });
        await showSource(page, name);
      } catch (error) {
        replace(feedback, message('error', error.message));
      }
    } }, field('Previous secret valid for (hours)', grace), h('button', { type: 'submit', class: 'secondary' }, 'Rotate secret')),
    h('div', { class: 'actions' }, removeButton({
      label: 'Remove source', title: `Remove ${source.displayName}?`,
      text: 'Its deliveries will be refused from now on; the verdicts it delivered stay until they go stale.',
      feedback,
      action: async () => {
        await api.delete(`${base}/${encodeURIComponent(name)}`);
        replace(page.detail);
        await refresh(page, { kind: 'info', text: `Source ${name} removed.` });
      },
    })),
    feedback);
}

function drawAdd(page, state) {
  const { h, replace, field, message, blank } = page.ui;
  const name = h('input', { name: 'source-name', pattern: '[a-z0-9][a-z0-9-]{0,38}[a-z0-9]?', placeholder: 'zimperium' });
  const displayName = h('input', { name: 'source-display-name', placeholder: 'Zimperium MTD' });
  const secret = h('input', { type: 'password', name: 'source-secret', autocomplete: 'off', placeholder: 'whsec_… (leave empty to generate one)' });
  const mapping = h('textarea', { rows: 10, cols: 80, spellcheck: 'false' });
  mapping.value = JSON.stringify(state.defaultMapping, null, 2);
  const feedback = h('div', { class: 'feedback', 'aria-live': 'polite' });
  const form = h('form', { class: 'stacked', 'aria-label': 'Add a source' },
    field('Name (in the URL and in device ids)', name),
    field('Display name', displayName),
    field('Secret', secret, 'The sender’s existing whsec_ secret, or empty to have one generated and shown once.'),
    field('Payload mapping', mapping, 'Shepherd’s own payload shape is filled in; see the plugin README for Zimperium, CrowdStrike and Wazuh.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add source')), feedback);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(name, feedback, 'Give the source a name first.')) return;
    let parsed;
    try {
      parsed = JSON.parse(mapping.value);
    } catch (error) {
      replace(feedback, message('error', `The mapping is not JSON: ${error.message}`));
      return;
    }
    try {
      const created = await page.api.post(page.base, {
        name: name.value.trim(), displayName: displayName.value, mapping: parsed, secret: secret.value.trim() || null });
      secret.value = '';
      await refresh(page, { kind: 'info', text: `Source ${created.name} added. Its URL: ${created.deliveryUrl}`, secret: created.secret });
    } catch (error) {
      replace(feedback, message('error', error.message));
    }
  });
  replace(page.add, h('h2', { id: 'webhook-add-title' }, 'Add a source'), form);
}

function drawRefused(page, state) {
  const { h, replace, table, when } = page.ui;
  const rows = state.refusedOnThisNode.map(refused => [when(refused.at), refused.source, String(refused.status), refused.reason, refused.remoteAddress]);
  replace(page.refused, h('h2', { id: 'webhook-refused-title' }, 'Refused before authentication (this node)'),
    rows.length ? table('Refused deliveries', ['At', 'Source', 'Status', 'Reason', 'From'], rows)
      : h('p', { class: 'hint' }, 'None since this node started. Unsigned, mis-signed and stale deliveries would show here; they are never stored.'));
}
