// The ChromeOS plugin's console page, "Google Admin connection", served from the plugin's own file (ConsolePage in the
// plugin API). It talks only to the plugin's admin endpoints /api/v1/plugins/{plugin}/service-account and /sync (both
// plugin_manage); device actions stay on the device pages.

// How long to wait between two looks at a sync that is still running.
const POLL_MS = 1000;
// The service-account endpoint takes at most 64 KiB (its maxBodyBytes); a key file is about 2.4 KiB, so a larger
// file is the wrong one and is refused here, in plain words, without sending it.
const MAX_KEY_BYTES = 64 * 1024;

export async function render({ api, main, ui, plugin, stale }) {
  const { h } = ui;
  const page = {
    api, ui, stale,
    base: `/api/v1/plugins/${encodeURIComponent(plugin.id)}`,
    connection: h('section', { class: 'card', 'aria-labelledby': 'google-connection-title' }),
    sync: h('section', { class: 'card', 'aria-labelledby': 'google-sync-title' }),
    key: h('section', { class: 'card', 'aria-labelledby': 'google-key-title' }),
    following: false,
  };
  main.append(
    h('p', { class: 'lead' }, 'Chromebooks enroll to Google, not to Shepherd. Shepherd reads them from Google Admin and manages them '
      + 'through Google’s APIs, as a Google Cloud service account that your Google Workspace allows to act for one of its admins '
      + '(domain-wide delegation).'),
    page.connection, page.sync, page.key);
  await refresh(page);
}

/**
 * Reads the account and the last sync, then draws the three sections. notices: { sync, key }, each { kind: 'info' |
 * 'error', text } about what the admin just did, shown in its section.
 */
async function refresh(page, notices = {}) {
  const { api, base, stale } = page;
  const [account, sync] = await Promise.all([
    // 404: no key uploaded yet, an empty state rather than an error.
    settle(api.get(`${base}/service-account`), 404),
    settle(api.get(`${base}/sync`)),
  ]);
  if (stale()) return;
  drawConnection(page, account, sync);
  drawSync(page, account, sync, notices.sync);
  drawKey(page, account, notices.key);
  if (sync.value?.running) follow(page);
}

/** { value } or { error }; a status listed as absent gives { value: null }. */
async function settle(promise, absent) {
  try {
    return { value: await promise };
  } catch (error) {
    return error.status === absent ? { value: null } : { error };
  }
}

function drawConnection(page, account, sync) {
  const { h, replace, message, empty, when } = page.ui;
  const title = h('h2', { id: 'google-connection-title', tabindex: '-1' }, 'Connection');
  if (account.error) {
    replace(page.connection, title, message('error', `The connection could not be read: ${account.error.message}`));
    return;
  }
  const status = account.value;
  if (!status) {
    replace(page.connection, title,
      h('p', { class: 'state failed' }, 'Not connected'),
      empty('No service account key has been uploaded yet, so Shepherd sends nothing to Google.',
        'In Google Cloud, enable the Admin SDK API and the Chrome Policy API, create a service account and download a JSON key for it; '
        + 'then upload the key below. The page then lists the client id and the scopes to allow in the Google Admin console.'));
    return;
  }
  const calls = status.google ?? {};
  const lastSync = sync.value?.lastSync;
  const pair = (term, value) => [h('dt', {}, term), h('dd', {}, value)];
  const adminMissing = !status.adminUser;
  const syncFailed = Boolean(sync.value?.lastError);
  replace(page.connection, title,
    h('p', { class: `state ${status.connected && !syncFailed ? 'applied' : 'failed'}` },
      !status.connected ? 'Not connected' : syncFailed ? 'Connected, but the last sync failed' : 'Connected'),
    adminMissing
      ? empty('The key is uploaded, but no Google admin is set for the service account to act for, so Shepherd sends nothing to Google.',
        'Set adminUser under plugins.config.chromeos in conf/shepherd.yaml to the address of a Google Workspace admin who may manage '
        + 'Chrome devices, then restart Shepherd.')
      : h('p', {}, `Shepherd calls Google as ${status.clientEmail}, acting for ${status.adminUser}.`),
    h('dl', { class: 'facts' },
      pair('Service account', status.clientEmail),
      pair('Client id', status.clientId || '—'),
      pair('Google Cloud project', status.projectId || '—'),
      pair('Key id', status.keyId || '—'),
      pair('Acts for the admin', status.adminUser ?? 'Not set'),
      pair('Google customer', status.customerId === 'my_customer' ? 'The admin’s own (my_customer)' : status.customerId),
      pair('Last sync', lastSync ? when(lastSync.at) : 'None since the plugin started'),
      pair('Calls to Google since the plugin started', `${calls.calls ?? 0} (${calls.failed ?? 0} failed, ${calls.retried ?? 0} retried)`),
      pair('Last error from Google', !calls.lastError ? 'None'
        : `${when(calls.lastErrorAt)}${calls.lastError === sync.value?.lastError ? ' (the failed sync, below)' : ''}`)),
    // An error of the last sync is shown with the sync; others (from commands, settings) here.
    calls.lastError && calls.lastError !== sync.value?.lastError
      ? say(page.ui, { kind: 'error', text: `Google’s last error: ${calls.lastError}` }) : null,
    h('h3', {}, 'Domain-wide delegation'),
    h('p', {}, `In the Google Admin console (Security → API controls → Domain-wide delegation), allow the client id ${status.clientId || 'of this service account'} these scopes:`),
    h('ul', {}, (status.scopes ?? []).map(scope => h('li', {}, h('code', {}, scope)))));
}

function drawSync(page, account, sync, notice) {
  const { h, replace, message, empty, when } = page.ui;
  const title = h('h2', { id: 'google-sync-title' }, 'Chromebooks from Google Admin');
  // The section outlives its content: a finished sync must not leave it marked busy (running() marks it again).
  page.sync.removeAttribute('aria-busy');
  if (sync.error) {
    replace(page.sync, title, notice ? say(page.ui, notice) : null, message('error', `The last sync could not be read: ${sync.error.message}`));
    return;
  }
  const state = sync.value;
  // GET /sync says whether a key and an admin are there, even when the account itself could not be read.
  const connected = Boolean(state.connected);
  const failedNow = notice?.kind === 'error';
  const feedback = h('div', { class: 'feedback', 'aria-live': 'polite' }, notice && !failedNow ? say(page.ui, notice) : null);
  const last = state.lastSync;
  const button = connected ? h('button', { type: 'button', class: 'primary', onclick: () => runSync(page, feedback, button) }, 'Sync now') : null;
  replace(page.sync, title,
    h('p', { class: 'hint' }, 'Each sync lists every ChromeOS device and org unit in Google Admin: new Chromebooks are added to Shepherd, the others '
      + 'updated, and each org unit is kept as a group named “ChromeOS /path”. Syncs also run on their own (every 15 minutes unless syncInterval says otherwise).'),
    // A sync that failed just now says so in place of the last sync's error, which is the same failure.
    failedNow ? say(page.ui, notice)
      : state.lastError ? say(page.ui, { kind: 'error', text: `The last sync failed (${when(state.lastErrorAt)}): ${state.lastError}` }) : null,
    last ? report(page.ui, last) : empty('No sync has run since the plugin started.',
      connected ? 'Sync now to bring the Chromebooks in.'
        : account.value ? 'Set adminUser first (see Connection above); then sync here.'
          : 'Connect to Google first: upload the service account key below; then sync here.'),
    feedback,
    button ? h('div', { class: 'actions' }, button) : null);
  if (state.running) running(page, feedback, button);
}

/** A message, and for an error what to check where the plugin's words suggest it. */
function say({ h, message }, notice) {
  const hint = notice.kind === 'error' ? advice(notice.text) : null;
  return [message(notice.kind, notice.text), hint ? h('p', { class: 'hint' }, hint) : null];
}

/** The figures of the last completed sync, and what it could not record. */
function report({ h, when }, last) {
  const pair = (term, value) => [h('dt', {}, term), h('dd', {}, value)];
  const skipped = last.skipped ?? [];
  return [
    h('h3', {}, 'Last completed sync'),
    h('p', {}, `${when(last.at)}: ${found(last)}.`),
    h('dl', { class: 'facts', id: 'google-sync-figures' },
      pair('Chromebooks found at Google', String(last.devices)),
      pair('New to Shepherd', String(last.enrolled)),
      pair('Already known, updated', String(last.devices - last.enrolled)),
      pair('Org units', String(last.orgUnits))),
    skipped.length ? [h('p', {}, 'Not recorded:'), h('ul', { class: 'reasons' }, skipped.map(reason => h('li', {}, reason)))] : null,
  ];
}

function found(last) {
  return `${count(last.devices, 'Chromebook')} found at Google (${last.enrolled} new, ${last.devices - last.enrolled} updated) in ${count(last.orgUnits, 'org unit')}`;
}

function count(n, noun) {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Shows a sync under way: the button held, an indeterminate progress bar, the section busy for screen readers. */
function running(page, feedback, button) {
  const { h, replace } = page.ui;
  if (button) button.disabled = true;
  page.sync.setAttribute('aria-busy', 'true');
  // "No sync has run" no longer holds once one is under way.
  page.sync.querySelector('.empty')?.remove();
  replace(feedback, h('div', { class: 'field' },
    h('label', { for: 'google-sync-progress' }, 'Syncing the Chromebooks from Google Admin…'),
    h('progress', { id: 'google-sync-progress', 'aria-describedby': 'google-sync-progress-hint' }),
    h('p', { class: 'hint', id: 'google-sync-progress-hint' }, 'A large Google Workspace can take minutes; you may leave this page, the sync goes on.')));
}

async function runSync(page, feedback, button) {
  const { api, base, stale, ui } = page;
  running(page, feedback, button);
  ui.announce('Syncing the Chromebooks from Google Admin.');
  let answer;
  try {
    answer = await api.post(`${base}/sync`);
  } catch (error) {
    if (stale()) return;
    // 502 carries Google's own words; anything else is the plugin's or the server's detail.
    const text = error.status === 502 ? `Google did not complete the sync: ${error.message}` : `The sync could not run: ${error.message}`;
    await refresh(page, { sync: { kind: 'error', text } });
    if (!stale()) ui.announce('The sync failed.');
    return;
  }
  if (stale()) return;
  if (answer?.status === 'running') {
    // 202: the sync outlasted the plugin's adminWait and goes on; GET /sync says when it is over.
    follow(page);
    return;
  }
  await finished(page, `Sync finished: ${found(answer)}.`);
}

/** Looks at the sync every second until no sync is queued or running, then shows how the last one ended. */
async function follow(page) {
  const { api, base, stale, ui } = page;
  if (page.following) return;
  page.following = true;
  try {
    for (;;) {
      await new Promise(resolve => setTimeout(resolve, POLL_MS));
      if (stale()) return;
      let state;
      try {
        state = await api.get(`${base}/sync`);
      } catch (error) {
        if (stale()) return;
        page.sync.removeAttribute('aria-busy');
        page.sync.append(ui.message('error', `The sync’s progress could not be read: ${error.message} Reload the page to see how it ended.`));
        return;
      }
      if (stale()) return;
      if (!state.running) {
        page.following = false;
        // A successful sync clears the last error, so an error now means the last sync failed.
        if (state.lastError) {
          await refresh(page, { sync: { kind: 'error', text: `The sync failed: ${state.lastError}` } });
          if (!stale()) ui.announce('The sync failed.');
        } else {
          await finished(page, state.lastSync ? `Sync finished: ${found(state.lastSync)}.` : 'The sync is over.');
        }
        return;
      }
    }
  } finally {
    page.following = false;
  }
}

async function finished(page, text) {
  await refresh(page, { sync: { kind: 'info', text } });
  if (!page.stale()) page.ui.announce(text);
}

function drawKey(page, account, notice) {
  const { h, replace, field, message, blank, removeButton } = page.ui;
  const { api, base } = page;
  const status = account.value;
  const endpoint = `${base}/service-account`;
  const file = h('input', { type: 'file', name: 'service-account-key', accept: '.json,application/json' });
  const feedback = h('div', { class: 'feedback', 'aria-live': 'polite' }, notice ? say(page.ui, notice) : null);
  const submit = h('button', { type: 'submit', class: 'primary' }, status ? 'Replace key' : 'Upload key');
  const form = h('form', { class: 'inline', 'aria-label': 'Upload the service account key' },
    field(status ? 'New service account key (JSON)' : 'Service account key (JSON)', file,
      'The JSON key file Google Cloud downloads for the service account (IAM → Service accounts → Keys → Add key → JSON). '
      + 'It is stored sealed with the server’s secrets key and never shown again.'),
    submit);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(file, feedback, 'Choose the service account’s JSON key file first.')) return;
    const chosen = file.files[0];
    if (chosen.size > MAX_KEY_BYTES) {
      replace(feedback, message('error', `${chosen.name} is ${Math.ceil(chosen.size / 1024)} KB, too large for a service account key (a few KB). Choose the JSON key file Google Cloud downloaded.`));
      file.focus();
      return;
    }
    submit.disabled = true;
    try {
      const uploaded = await api.put(endpoint, chosen);
      if (page.stale()) return;
      const next = uploaded.adminUser
        ? 'Allow its client id the scopes listed above in the Google Admin console, then sync now.'
        : 'Set adminUser in conf/shepherd.yaml and restart Shepherd before syncing.';
      await refresh(page, { key: { kind: 'info', text: `Key uploaded for ${uploaded.clientEmail}. ${next}` } });
      page.connection.querySelector('h2')?.focus();
    } catch (error) {
      if (page.stale()) return;
      submit.disabled = false;
      // 400 is the plugin's reason the file is no usable key, already in words for admins.
      replace(feedback, message('error', error.message));
    }
  });
  const remove = status ? removeButton({ label: 'Remove key', title: 'Remove the service account key?',
    text: 'Shepherd stops calling Google: no syncs, commands or settings reach the Chromebooks until a key is uploaded again. '
      + 'The key stays valid at Google; delete it in Google Cloud too if it is no longer needed.',
    feedback, action: async () => {
      await api.delete(endpoint);
      if (page.stale()) return;
      await refresh(page, { key: { kind: 'info', text: 'The service account key is removed; Shepherd no longer calls Google.' } });
    } }) : null;
  replace(page.key, h('h2', { id: 'google-key-title' }, 'Service account key'),
    status ? h('p', {}, `A key of ${status.clientEmail} is uploaded${status.keyId ? ` (key id ${status.keyId})` : ''}. `
      + 'Upload a new key to replace it, for instance after rotating keys in Google Cloud.') : null,
    feedback, form, remove ? h('p', { class: 'row-actions' }, remove) : null);
}

/**
 * What to check for the plugin's usual Google errors (its own messages: "Google answered 403", "Google refused the
 * service account's token request (400)", "Google could not be reached"), in words for whoever set up Google.
 */
function advice(text) {
  if (/answered 403\b/.test(text)) {
    return 'Google answers 403 when the client id lacks one of the scopes listed under Domain-wide delegation, or when the admin it acts '
      + 'for may not manage Chrome devices or org units.';
  }
  if (/token request \((400|401)\)/.test(text)) {
    return 'Google did not accept the service account for this admin: check that the key has not been deleted in Google Cloud, that its '
      + 'client id is allowed in domain-wide delegation, and that adminUser is an admin of your Google Workspace.';
  }
  if (/could not be reached/.test(text)) {
    return 'Shepherd could not reach Google: check the server’s network connection and proxy. The next sync tries again.';
  }
  return null;
}
