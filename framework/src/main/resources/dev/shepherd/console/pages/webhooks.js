import { h, replace, field, message, blank, empty, table, when, heading, confirmAction, copyButton, announce, badge, markInvalid,
  showProblems, problemMessage as problem } from '../dom.js';

// How a delivery's state reads as a badge.
const DELIVERY_TONES = { DELIVERED: 'ok', PENDING: 'info', FAILED: 'danger' };

/** Event types typed one per line (or separated by commas), as the API takes them. */
function eventTypesOf(text) {
  return text.split(/[\n,]/).map(type => type.trim()).filter(Boolean);
}

/** The fields of a webhook, empty for a new one or filled with an existing one's. */
function webhookFields(webhook) {
  const name = h('input', { name: 'name', required: true, maxlength: 200, value: webhook?.name });
  const url = h('input', { name: 'url', type: 'url', required: true, maxlength: 2000, value: webhook?.url, placeholder: 'https://siem.example.com/shepherd' });
  const events = h('textarea', { name: 'event-types', rows: 3, required: true }, (webhook?.eventTypes ?? ['device.*']).join('\n'));
  return {
    name, url, events,
    elements: [field('Name', name), field('Endpoint URL', url, 'Events are POSTed here as JSON, signed in the Shepherd-Signature header.'),
      field('Event types', events, 'One per line: an exact type such as device.enrolled, a prefix ending in * such as command.*, or * for every event.')],
    /** The server's refusal shown at the fields it names (its names are the API's: eventTypes). */
    refused(form, error, feedback) {
      showProblems(form, error, { fields: { eventTypes: events }, feedback });
    },
    read(feedback) {
      if (blank(name, feedback, 'Give the webhook a name.') || blank(url, feedback, 'Type the URL events are sent to.')) return null;
      const types = eventTypesOf(events.value);
      if (types.length === 0) {
        markInvalid(events, 'Name at least one event type, or * for every event.', feedback);
        return null;
      }
      return { name: name.value.trim(), url: url.value.trim(), eventTypes: types };
    },
  };
}

/** Webhooks: the subscriptions, and a form that makes one and shows its signing secret once. */
export const webhooksPage = {
  path: '/webhooks',
  nav: 'Webhooks',
  title: 'Webhooks',
  needs: 'WEBHOOK_READ',
  async render({ api, main, stale }) {
    const webhooks = await api.get('/api/v1/webhooks');
    if (stale()) return;
    const canWrite = api.allows('POST', '/api/v1/webhooks');
    const feedback = h('div', { class: 'feedback' });
    const created = h('div', { class: 'created' });
    replace(main, heading('Webhooks'),
      h('p', { class: 'lead' }, 'Webhooks send the server’s events (enrollments, commands, compliance, policy changes…) to other systems '
        + 'as they happen, signed with a secret, and retry with a growing delay until the endpoint accepts them.'),
      created,
      webhooks.length
        ? table(`${webhooks.length} webhook${webhooks.length === 1 ? '' : 's'}`, ['Name', 'Endpoint', 'Event types', 'State', 'Changed'],
          webhooks.map(webhook => [h('a', { href: `#/webhooks/${encodeURIComponent(webhook.id)}` }, webhook.name), webhook.url,
            webhook.eventTypes.join(', '), badge(webhook.enabled ? 'ok' : 'neutral', webhook.enabled, webhook.enabled ? 'On' : 'Off'),
            when(webhook.updatedAt)]))
        : empty('No webhooks yet.', canWrite ? 'Create one below to send events to another system.' : 'An administrator can create one.'),
      canWrite ? newWebhookForm() : null);

    function newWebhookForm() {
      const fields = webhookFields(null);
      const form = h('form', { class: 'card', 'aria-labelledby': 'new-webhook-title' },
        h('h2', { id: 'new-webhook-title' }, 'New webhook'), fields.elements, feedback,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create webhook')));
      form.addEventListener('submit', async event => {
        event.preventDefault();
        const body = fields.read(feedback);
        if (!body) return;
        try {
          const result = await api.post('/api/v1/webhooks', body);
          const secret = h('input', { readonly: true, value: result.secret, name: 'webhook-secret', class: 'secret-value' });
          replace(created, h('section', { class: 'card', 'aria-labelledby': 'secret-title' },
            h('h2', { id: 'secret-title', tabindex: '-1' }, `Signing secret of “${result.webhook.name}”`),
            message('info', 'Copy it now: it is shown this once and cannot be read again. The receiver checks each request’s '
              + 'Shepherd-Signature with it (HMAC-SHA256 over the timestamp, a dot and the body).'),
            field('Secret', secret), copyButton(secret, 'Copy secret'), ' ',
            h('a', { href: `#/webhooks/${encodeURIComponent(result.webhook.id)}` }, 'Open the webhook')));
          form.reset();
          replace(feedback);
          created.querySelector('h2').focus();
          announce(`Webhook ${result.webhook.name} created.`);
        } catch (error) {
          fields.refused(form, error, feedback);
        }
      });
      return form;
    }
  },
};

/** One webhook: edit, switch off and on, delete, and its deliveries with every attempt, the payload and a redelivery. */
export const webhookPage = {
  path: '/webhooks/:id',
  section: 'Webhooks',
  title: 'Webhook',
  needs: 'WEBHOOK_READ',
  async render({ api, main, params, navigate, stale }) {
    const base = `/api/v1/webhooks/${encodeURIComponent(params.id)}`;
    const [webhook, deliveries] = await Promise.all([api.get(base), api.get(`${base}/deliveries`, { limit: 50 })]);
    if (stale()) return;
    document.title = `${webhook.name} · Shepherd`;
    const canWrite = api.allows('PUT', base);
    const feedback = h('div', { class: 'feedback' });
    replace(main,
      heading(webhook.name, h('a', { href: '#/webhooks', class: 'back' }, 'All webhooks')),
      h('p', { class: 'lead' }, badge(webhook.enabled ? 'ok' : 'neutral', webhook.enabled, webhook.enabled ? 'On' : 'Off'), ' ',
        `${webhook.enabled ? 'Sends' : 'Would send'} ${webhook.eventTypes.join(', ')} to ${webhook.url}.`),
      canWrite ? h('div', { class: 'actions' },
        h('button', {
          type: 'button', class: 'secondary',
          onclick: async () => {
            try {
              await api.patch(base, { enabled: !webhook.enabled });
              navigate(`/webhooks/${encodeURIComponent(webhook.id)}`);
            } catch (error) {
              replace(feedback, problem(error));
            }
          },
        }, webhook.enabled ? 'Switch off' : 'Switch on'),
        h('button', {
          type: 'button', class: 'danger',
          onclick: async () => {
            const sure = await confirmAction({ title: `Delete the webhook “${webhook.name}”?`,
              text: 'No more events are sent to it, and its delivery history goes with it. This cannot be undone.', confirm: 'Delete webhook', danger: true });
            if (!sure) return;
            try {
              await api.delete(base);
              navigate('/webhooks');
            } catch (error) {
              replace(feedback, problem(error));
            }
          },
        }, 'Delete webhook')) : null,
      feedback,
      canWrite ? editForm() : null,
      h('section', { 'aria-labelledby': 'deliveries-title' }, h('h2', { id: 'deliveries-title' }, 'Deliveries'),
        deliveries.length
          ? table(`The last ${deliveries.length} deliveries, newest first`, ['Event', 'Raised', 'State', 'Attempts', 'Last answer', 'Next try', 'Details'],
            deliveries.map(delivery => [delivery.eventType, when(delivery.createdAt), badge(DELIVERY_TONES[delivery.state] ?? 'neutral', delivery.state),
              String(delivery.attempts),
              delivery.lastStatus ? `HTTP ${delivery.lastStatus}` : (delivery.lastError ?? '—'),
              delivery.state === 'PENDING' ? when(delivery.nextAttemptAt) : (delivery.deliveredAt ? `Delivered ${when(delivery.deliveredAt)}` : '—'),
              details(delivery)]))
          : empty('Nothing has been sent yet.', 'Events of the types above are delivered as they happen.')));

    function editForm() {
      const fields = webhookFields(webhook);
      const editFeedback = h('div', { class: 'feedback' });
      const form = h('form', {}, fields.elements, editFeedback,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save webhook')));
      form.addEventListener('submit', async event => {
        event.preventDefault();
        const body = fields.read(editFeedback);
        if (!body) return;
        try {
          await api.put(base, body);
          navigate(`/webhooks/${encodeURIComponent(webhook.id)}`);
        } catch (error) {
          fields.refused(form, error, editFeedback);
        }
      });
      return h('details', { class: 'card' }, h('summary', {}, 'Edit the name, endpoint or event types'),
        h('p', { class: 'hint' }, 'The signing secret stays the same.'), form);
    }

    // Every attempt and the body sent, read when the admin opens them.
    function details(delivery) {
      const body = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
      const disclosure = h('details', { class: 'delivery', dataset: { delivery: delivery.id } },
        h('summary', { 'aria-label': `Attempts and payload of the ${delivery.eventType} delivery of ${when(delivery.createdAt)}` }, 'Attempts and payload'),
        body);
      let loaded = false;
      disclosure.addEventListener('toggle', async () => {
        if (!disclosure.open || loaded) return;
        loaded = true;
        try {
          const detail = await api.get(`/api/v1/webhook-deliveries/${encodeURIComponent(delivery.id)}`);
          const redeliverFeedback = h('div', { class: 'feedback' });
          replace(body,
            detail.attempts.length
              ? table('Every attempt', ['Attempt', 'At', 'Answer', 'Took'], detail.attempts.map(attempt => [String(attempt.attempt),
                when(attempt.attemptedAt), attempt.error ?? `HTTP ${attempt.status}`, `${attempt.durationMillis} ms`]))
              : h('p', {}, 'Not tried yet.'),
            h('p', {}, 'The body sent (the same on every attempt):'),
            h('pre', { class: 'payload', tabindex: '0', 'aria-label': 'The JSON body sent' }, JSON.stringify(detail.payload, null, 2)),
            api.allows('POST', `/api/v1/webhook-deliveries/${encodeURIComponent(delivery.id)}/redeliver`)
              ? h('button', {
                type: 'button', class: 'secondary',
                onclick: async () => {
                  try {
                    await api.post(`/api/v1/webhook-deliveries/${encodeURIComponent(delivery.id)}/redeliver`);
                    replace(redeliverFeedback, message('info', 'Queued: it is sent again within a few seconds. Reload to see the new attempt.'));
                  } catch (error) {
                    replace(redeliverFeedback, problem(error));
                  }
                },
              }, 'Send again') : null,
            redeliverFeedback);
        } catch (error) {
          replace(body, problem(error));
        }
      });
      return disclosure;
    }
  },
};
