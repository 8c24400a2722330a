// The APNs push-certificate page of an Apple platform plugin, served from the plugin's own file (ConsolePage in the
// plugin API). It talks only to the plugin's admin endpoint /api/v1/plugins/{plugin}/push-certificate (plugin_manage).

const DEVICES = { 'apple-ios': 'iPhones and iPads', 'apple-macos': 'Macs' };

export async function render({ api, main, ui, plugin, stale }) {
  const { h } = ui;
  const section = h('section', { class: 'card', 'aria-labelledby': 'push-certificate-title' });
  main.append(
    h('p', { class: 'lead' }, `${DEVICES[plugin.id] ?? 'Apple devices'} are woken through the Apple Push Notification service with your organisation’s push certificate. `
      + 'Create it at identity.apple.com with a certificate signing request, and renew it with the same Apple ID before it expires, or devices must enroll again.'),
    section);
  await draw({ api, ui, plugin, section, stale });
}

async function draw({ api, ui, plugin, section, stale }, notice) {
  const { h, replace, field, message, blank, empty, when, removeButton } = ui;
  const base = `/api/v1/plugins/${encodeURIComponent(plugin.id)}/push-certificate`;
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
  const file = h('input', { type: 'file', name: 'push-certificate', accept: '.pem,application/x-pem-file,text/plain' });
  const feedback = h('div', { class: 'feedback', 'aria-live': 'polite' }, notice ?? null);
  const form = h('form', { class: 'inline', 'aria-label': 'Upload the push certificate' },
    field(status ? 'Renewed certificate (PEM)' : 'Push certificate (PEM)', file,
      'Apple’s certificate for the request made below, or one PEM file holding a certificate and its private key, unencrypted. The key is stored sealed.'),
    h('button', { type: 'submit', class: 'primary' }, status ? 'Upload renewal' : 'Upload certificate'));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(file, feedback, 'Choose the PEM file first.')) return;
    try {
      const uploaded = await api.put(base, file.files[0]);
      await again(message('info', `Certificate for ${uploaded.topic} uploaded; it expires ${when(uploaded.notAfter)}.`));
      section.querySelector('h2')?.focus();
    } catch (error) {
      replace(feedback, message('error', error.message));
    }
  });
  const remove = status ? removeButton({ label: 'Remove certificate', title: 'Remove the push certificate?',
    text: 'Devices can no longer be woken; commands wait until each device checks in by itself. Upload a certificate for the same topic to resume.',
    feedback, action: async () => {
      await api.delete(base);
      await again(message('info', 'The push certificate is removed.'));
    } }) : null;
  replace(section, h('h2', { id: 'push-certificate-title', tabindex: '-1' }, `${plugin.id} ${plugin.version}`),
    failure ? message('error', failure.message) : status ? details(ui, status) : empty('No push certificate has been uploaded yet.',
      'Until one is, new enrollment profiles use the plugin’s configured topic, if any. Create a certificate request below, then upload Apple’s certificate.'),
    feedback, form, remove ? h('p', { class: 'row-actions' }, remove) : null,
    requestPart({ api, ui, base }));
}

// The certificate signing request, made on the server so the private key never leaves it. Apple's portal takes it
// signed by an MDM vendor: done here when a vendor signing certificate is set (PUT …/push-certificate/vendor).
function requestPart({ api, ui, base }) {
  const { h, replace, field, message } = ui;
  const commonName = h('input', { name: 'commonName', value: 'Shepherd MDM push certificate', maxlength: '64', required: true });
  const result = h('div', { id: 'push-certificate-request', 'aria-live': 'polite' });
  const form = h('form', { 'aria-label': 'Create a certificate request' },
    field('Name shown in Apple’s portal', commonName),
    h('button', { type: 'submit', class: 'secondary' }, 'Create certificate request'));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    try {
      const made = await api.post(`${base}/request`, { commonName: commonName.value });
      const text = (label, value, name) => field(label, h('textarea', { name, readonly: true, rows: '6' }, value));
      replace(result, message('info', made.next),
        made.pushCertificateRequest ? text('Push certificate request for identity.apple.com (save it as a file)', made.pushCertificateRequest, 'pushCertificateRequest') : null,
        text('Certificate signing request (PEM)', made.csr, 'csr'));
    } catch (error) {
      replace(result, message('error', error.message));
    }
  });
  return [h('h3', {}, 'New or replacement certificate'),
    h('p', { class: 'hint' }, 'Creating a request makes a new private key on the server; upload the certificate Apple issues for it above. A renewal takes a new request too: choose Renew for the same certificate at identity.apple.com, so the topic stays and devices need not enroll again.'),
    form, result];
}

function details({ h, message, when, words }, status) {
  const pushes = status.pushes ?? {};
  const pair = (term, value) => [h('dt', {}, term), h('dd', {}, value)];
  return [
    status.warning ? message('error', status.warning) : null,
    h('dl', { class: 'facts' },
      pair('Topic', status.topic), pair('Subject', status.subject), pair('Expires', when(status.notAfter)),
      pair('Days left', String(status.daysLeft))),
    h('h3', {}, 'Pushes since the plugin started'),
    h('dl', { class: 'facts' },
      ['queued', 'delivered', 'retried', 'failed', 'tokensForgotten'].map(name => pair(words(name.replace(/[A-Z]/g, letter => `_${letter}`)),
        String(pushes[name] ?? 0))),
      pushes.lastError ? pair('Last error', `${pushes.lastError} (${when(pushes.lastErrorAt)})`) : null),
  ];
}
