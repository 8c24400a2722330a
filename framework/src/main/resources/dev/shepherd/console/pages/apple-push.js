import { h, replace, field, message, blank, empty, when, words, heading } from '../dom.js';

// The Apple platform plugins and their push-certificate admin endpoint (an AdminEndpoint, docs/apple.md).
export const APPLE = [
  { id: 'apple-ios', label: 'iPhone and iPad' },
  { id: 'apple-macos', label: 'Mac' },
];

/**
 * A page the Apple plugins contribute through their admin endpoint /api/v1/plugins/{id}/push-certificate: upload
 * the APNs push certificate (PEM), read its topic, expiry and days left, and how pushes have gone. Shown for each
 * Apple plugin that is running, since the endpoint exists only then; the plugins page links to it from their rows.
 */
export const applePushPage = {
  path: '/apple-push',
  section: 'Plugins',
  title: 'Apple push certificates',
  needs: 'PLUGIN_MANAGE',
  async render({ api, main, stale }) {
    // A plugin's admin routes come and go with it: read the route table again, so the permission check knows them.
    const [{ items: plugins }] = await Promise.all([api.get('/api/v1/plugins'), api.load()]);
    if (stale()) return;
    const running = APPLE.map(apple => ({ ...apple, plugin: plugins.find(plugin => plugin.id === apple.id) }))
      .filter(apple => apple.plugin?.state === 'STARTED');
    replace(main, heading('Apple push certificates'),
      h('p', { class: 'lead' }, 'Apple devices are woken through the Apple Push Notification service with your organisation’s push certificate. '
        + 'Create it at identity.apple.com with a certificate signing request, and renew it with the same Apple ID before it expires, or devices must enroll again.'));
    if (running.length === 0) {
      main.append(empty('Neither Apple plugin (apple-ios, apple-macos) is running, so there is no certificate to manage.',
        h('a', { href: '#/plugins' }, 'Check the plugins page'), ' and switch the plugin on, or upload it.'));
      return;
    }
    for (const apple of running) {
      const section = h('section', { class: 'card', 'aria-labelledby': `${apple.id}-title` });
      main.append(section);
      await draw(api, section, apple, stale);
    }
  },
};

async function draw(api, section, apple, stale, notice) {
  const base = `/api/v1/plugins/${encodeURIComponent(apple.id)}/push-certificate`;
  let status = null;
  let failure = null;
  try {
    status = await api.get(base);
  } catch (error) {
    // 404: none uploaded yet (an empty state, not an error).
    if (error.status !== 404) failure = error;
  }
  if (stale()) return;
  const file = h('input', { type: 'file', name: `${apple.id}-certificate`, accept: '.pem,application/x-pem-file,text/plain' });
  const feedback = h('div', { class: 'feedback' }, notice ?? null);
  const form = h('form', { class: 'inline', 'aria-label': `Upload the push certificate for ${apple.label}` },
    field(status ? 'Renewed certificate (PEM)' : 'Push certificate (PEM)', file,
      'One PEM file holding the certificate and its private key, unencrypted. The key is stored sealed.'),
    h('button', { type: 'submit', class: 'primary' }, status ? 'Upload renewal' : 'Upload certificate'));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(file, feedback, 'Choose the PEM file first.')) return;
    try {
      const uploaded = await api.put(base, file.files[0]);
      await draw(api, section, apple, stale, message('info', `Certificate for ${uploaded.topic} uploaded; it expires ${when(uploaded.notAfter)}.`));
      section.querySelector('h2').focus();
    } catch (error) {
      replace(feedback, message('error', error.message));
    }
  });
  replace(section, h('h2', { id: `${apple.id}-title`, tabindex: '-1' }, `${apple.label} (${apple.id} ${apple.plugin.version})`),
    failure ? message('error', failure.message) : status ? details(status) : empty('No push certificate has been uploaded yet.',
      'Until one is, new enrollment profiles use the plugin’s configured topic, if any. Upload the certificate below.'),
    feedback, form);
}

function details(status) {
  const pushes = status.pushes ?? {};
  const pair = (term, value) => [h('dt', {}, term), h('dd', {}, value)];
  return [
    status.warning ? message('error', status.warning) : null,
    h('dl', { class: 'facts' },
      pair('Topic', status.topic), pair('Subject', status.subject), pair('Expires', when(status.notAfter)),
      pair('Days left', String(status.daysLeft))),
    h('h3', {}, 'Pushes since the server started'),
    h('dl', { class: 'facts' },
      ['queued', 'delivered', 'retried', 'failed', 'tokensForgotten'].map(name => pair(words(name.replace(/[A-Z]/g, letter => `_${letter}`)),
        String(pushes[name] ?? 0))),
      pushes.lastError ? pair('Last error', `${pushes.lastError} (${when(pushes.lastErrorAt)})`) : null),
  ];
}
