// The Android Enterprise page of the android plugin, served from the plugin's own file (ConsolePage in the plugin API).
// It talks only to the plugin's admin endpoints, all behind plugin_manage:
//   {base}/service-account    GET: which account and project (never the key); PUT: the JSON key file, sent as it is
//   {base}/enterprise         GET: the binding, the Pub/Sub push address and how calls to Google went; PUT {name}: bind
//   {base}/enterprise/signup  POST: the address of Google's signup page, which sends the admin back to Shepherd

// The service-account endpoint's body limit: a bigger file cannot be a key, so it is refused here rather than sent.
const KEY_MAX_BYTES = 32 * 1024;
// An enterprise's ID as Google shows it (LC01abcd); the endpoint wants its resource name, enterprises/{id}.
const ENTERPRISE_ID = /^[A-Za-z0-9_-]+$/;

export async function render({ api, main, ui, plugin, stale }) {
  const { h } = ui;
  const view = {
    api, ui, stale,
    base: `/api/v1/plugins/${encodeURIComponent(plugin.id)}`,
    status: h('section', { class: 'card', 'aria-labelledby': 'android-status-title' }),
    account: h('section', { class: 'card', 'aria-labelledby': 'android-account-title' }),
    enterprise: h('section', { class: 'card', 'aria-labelledby': 'android-enterprise-title' }),
    // Each draw reads the state afresh; only the latest one draws, so an older answer arriving late changes nothing.
    drawn: 0,
    // The signup under way: Google's address, kept so a redraw still offers it, and the enterprise bound before it
    // (null, or the one it is to replace), so the page can tell when Google's page has brought a new one.
    signup: null,
  };
  main.append(
    h('p', { class: 'lead' }, 'Shepherd manages Android devices through Google’s Android Management API: Google’s Android Device Policy app '
      + 'applies the policies Shepherd gives Google. To connect, upload the key of a Google Cloud service account (step 1), then sign up '
      + 'for an Android Enterprise or bind one you already have (step 2).'),
    view.status, view.account, view.enterprise);
  await draw(view);
  // Google's signup page ends in its own tab, back at Shepherd, which binds the enterprise there. When the admin
  // returns to this tab, the page looks again, so it shows the enterprise without a reload.
  const returned = () => {
    if (stale()) {
      document.removeEventListener('visibilitychange', returned);
    } else if (document.visibilityState === 'visible' && view.signup) {
      draw(view);
    }
  };
  document.addEventListener('visibilitychange', returned);
}

/** Reads the connection's state and draws the three sections; notices ({account, enterprise}) say what just happened. */
async function draw(view, notices = {}) {
  const { api, base, stale } = view;
  const { message } = view.ui;
  view.drawn += 1;
  const turn = view.drawn;
  let state = null;
  let account = null;
  let failure = null;
  try {
    state = await api.get(`${base}/enterprise`);
    if (state.serviceAccount) {
      // The project is only in the account's own resource. It is asked for only when there is an account, so a
      // page without one sends no request that is bound to fail.
      account = { clientEmail: state.serviceAccount, projectId: null };
      try {
        account = await api.get(`${base}/service-account`);
      } catch (error) {
        if (error.status !== 404) throw error;
        account = null; // removed between the two requests
        state.serviceAccount = null;
      }
    }
  } catch (error) {
    failure = error;
  }
  if (stale() || turn !== view.drawn) return;
  if (view.signup && state?.enterprise && state.enterprise !== view.signup.before) {
    view.signup = null;
    notices = { ...notices, enterprise: notices.enterprise
      ?? message('info', `The signup is complete: Shepherd manages the Android devices of ${state.enterprise}.`) };
  }
  drawStatus(view, state, account, failure);
  // Without the state, step 1 and 2 would guess; they come back with the next successful look.
  view.account.hidden = Boolean(failure);
  view.enterprise.hidden = Boolean(failure);
  if (failure) return;
  drawAccount(view, account, notices.account);
  drawEnterprise(view, state, notices.enterprise);
}

function drawStatus(view, state, account, failure) {
  const { h, replace, message, empty, when, announce } = view.ui;
  const again = h('button', {
    type: 'button', class: 'secondary',
    onclick: async () => {
      await draw(view);
      announce('Connection status checked');
    },
  }, 'Check status again');
  const head = h('div', { class: 'section-head' }, h('h2', { id: 'android-status-title' }, 'Connection'), again);
  if (failure) {
    replace(view.status, head, message('error', `The connection’s state could not be read. ${failure.message}`));
    return;
  }
  const google = state.google ?? {};
  const pair = (term, value) => [h('dt', {}, term), h('dd', {}, value)];
  replace(view.status, head,
    !state.serviceAccount
      ? empty('Not connected: no service-account key has been uploaded yet.',
        'Start with step 1 below: upload the JSON key of a Google Cloud service account with the role Android Management User.')
      : !state.enterprise
        ? empty('Not connected: no Android Enterprise is bound yet.',
          'Continue with step 2 below: sign up for a new enterprise with Google, or bind one you already have.')
        : message('info', `Connected: Shepherd manages the Android devices of enterprise ${enterpriseId(state.enterprise)}.`),
    google.lastError
      ? message('error', `Google’s last refusal (${when(google.lastErrorAt)}): ${explainGoogle(google.lastError)} Google said: “${google.lastError}”`)
      : null,
    h('dl', { class: 'facts' },
      pair('Service account', state.serviceAccount ?? 'None uploaded'),
      pair('Cloud project', account?.projectId ?? '—'),
      pair('Enterprise', state.enterprise
        ? [enterpriseId(state.enterprise), h('span', { class: 'hint' }, ` (${state.enterprise})`)] : 'Not bound'),
      pair('Pub/Sub topic', state.pubsubTopic ?? 'Not set (plugin setting pubsubTopic)'),
      pair('Calls to Google since the plugin started',
        `${google.calls ?? 0} (${google.retried ?? 0} retried, ${google.failed ?? 0} failed)`),
      pair('Last error from Google', google.lastError ? when(google.lastErrorAt) : 'None since the plugin started')),
    state.enterprise ? pushSubscription(view, state) : null);
}

/** Step 5 of the setup: the push subscription Google's notifications arrive through. */
function pushSubscription({ ui: { h, field } }, state) {
  const address = h('input', { type: 'text', class: 'link-text', readonly: true, value: state.pubsubPushEndpoint ?? '' });
  return h('details', {},
    h('summary', {}, 'Pub/Sub push subscription'),
    h('p', {}, state.pubsubTopic
      ? `In the Cloud console, create a push subscription on ${state.pubsubTopic} with exactly this address, so Google tells Shepherd about enrollments, status reports and finished commands.`
      : 'Set the plugin setting pubsubTopic to a Pub/Sub topic Google may publish to, then create a push subscription on it with exactly this address, so Google tells Shepherd about enrollments, status reports and finished commands.'),
    field('Push address', address, 'It holds this installation’s push secret: give it only to whoever sets up the subscription.'));
}

function drawAccount(view, account, notice) {
  const { api, base, stale } = view;
  const { h, replace, field, message, blank } = view.ui;
  // A new input each time: once uploaded, the chosen file is gone from the page, and the key is never shown back.
  const file = h('input', { type: 'file', name: 'service-account-key', accept: '.json,application/json' });
  const button = h('button', { type: 'submit', class: 'primary' }, account ? 'Replace key' : 'Upload key');
  const feedback = h('div', { class: 'feedback', 'aria-live': 'polite' }, notice ?? null);
  const form = h('form', { 'aria-label': 'Upload the service-account key' },
    field('Service-account key (JSON)', file,
      'The key file the Cloud console downloads. Shepherd stores it sealed and never shows or logs it again.'),
    button);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(file, feedback, 'Choose the key file first.')) return;
    const chosen = file.files[0];
    if (chosen.size > KEY_MAX_BYTES) {
      replace(feedback, message('error', `${chosen.name} is too large to be a service-account key, which is a few kilobytes. `
        + 'Choose the JSON key file the Cloud console downloaded.'));
      return;
    }
    button.disabled = true;
    try {
      const stored = await api.put(`${base}/service-account`, chosen);
      await draw(view, { account: message('info', `The key of ${stored.clientEmail} (project ${stored.projectId}) is stored.`) });
      if (!stale()) view.account.querySelector('h2')?.focus();
    } catch (error) {
      button.disabled = false;
      replace(feedback, message('error', `The key was not stored. ${error.message}`));
    }
  });
  replace(view.account,
    h('h2', { id: 'android-account-title', tabindex: '-1' }, '1. Service account'),
    h('p', {}, account
      ? `Shepherd calls Google as ${account.clientEmail}${account.projectId ? ` of the project ${account.projectId}` : ''}. Upload a new key to replace it, for instance after rotating keys.`
      : 'In a Google Cloud project, enable the Android Management API and Cloud Pub/Sub, create a service account with the role Android Management User, and download a JSON key for it.'),
    feedback, form);
}

function drawEnterprise(view, state, notice) {
  const { h, replace, empty } = view.ui;
  const title = h('h2', { id: 'android-enterprise-title', tabindex: '-1' }, '2. Android Enterprise');
  const feedback = h('div', { class: 'feedback', 'aria-live': 'polite' }, notice ?? null);
  if (!state.serviceAccount) {
    replace(view.enterprise, title, feedback, empty('Upload the service-account key first (step 1).',
      'The enterprise is created for, and managed through, the Cloud project of that service account.'));
    return;
  }
  const choices = [signup(view, state, feedback), bindForm(view, feedback)];
  replace(view.enterprise, title, feedback, state.enterprise
    ? [h('p', {}, `Shepherd manages the Android devices of ${state.enterprise}. Devices join it through enrollment links for Android: `,
      h('a', { href: '#/enrollment' }, 'create one on the Enrollment page'), '.'),
      // Open while a signup for another enterprise is under way, so its link stays in sight.
      h('details', { open: Boolean(view.signup) }, h('summary', {}, 'Bind a different enterprise'),
        h('p', { class: 'hint' }, `Shepherd manages one enterprise at a time: a new one replaces ${state.enterprise}.`), choices)]
    : choices);
}

function signup(view, state, feedback) {
  const { api, base, stale } = view;
  const { h, replace, message } = view.ui;
  const outcome = h('div', { 'aria-live': 'polite' }, view.signup ? signupLink(view) : null);
  const start = h('button', {
    type: 'button', class: view.signup ? 'secondary' : 'primary',
    onclick: async () => {
      start.disabled = true;
      replace(feedback);
      let signupUrl;
      try {
        ({ signupUrl } = await api.post(`${base}/enterprise/signup`));
      } catch (error) {
        // Drawn again, so the status shows Google's refusal and the call counts with it.
        await draw(view, { enterprise: message('error', signupProblem(error)) });
        return;
      }
      if (stale()) return;
      start.disabled = false;
      // Only a web address becomes a link: an answer that is anything else is not followed.
      if (!/^https:\/\//.test(signupUrl ?? '')) {
        replace(feedback, message('error', 'Google’s answer held no usable signup address. Start the signup again.'));
        return;
      }
      view.signup = { url: signupUrl, before: state.enterprise ?? null };
      start.textContent = 'Start again';
      start.className = 'secondary';
      replace(outcome, signupLink(view));
      outcome.querySelector('a').focus();
    },
  }, view.signup ? 'Start again' : 'Start signup');
  return h('div', {},
    h('h3', {}, 'Sign up for a new enterprise'),
    h('p', {}, 'Google’s signup page creates an enterprise for your organisation, owned by the Cloud project of the service account.'),
    state.pubsubTopic ? null : message('info', 'No Pub/Sub topic is set yet (the plugin setting pubsubTopic). Set it before signing up: '
      + 'the topic is given to Google when the enterprise is created, and without it Google cannot tell Shepherd about enrolled devices.'),
    h('p', {}, start), outcome);
}

/** Google's signup address as a link to a new tab, and what happens after it. */
function signupLink({ signup, ui: { h } }) {
  return [
    h('p', {}, h('a', { href: signup.url, target: '_blank', rel: 'noopener noreferrer', class: 'button primary' }, 'Open Google’s signup page'),
      ' (opens in a new tab)'),
    h('p', {}, 'Follow Google’s steps there. When you finish, Google sends you back to Shepherd, which binds the new enterprise by itself. '
      + 'Then return to this tab: it checks again when you do. The address is for this signup only; start again if it no longer works.'),
  ];
}

function bindForm(view, feedback) {
  const { api, base } = view;
  const { h, replace, field, message, blank } = view.ui;
  const input = h('input', { type: 'text', name: 'enterprise-id', autocomplete: 'off', spellcheck: 'false' });
  const button = h('button', { type: 'submit', class: 'secondary' }, 'Bind enterprise');
  const form = h('form', { 'aria-label': 'Bind an existing enterprise' },
    h('h3', {}, 'Or bind an enterprise you already have'),
    field('Enterprise ID', input, 'The ID Google gave the enterprise, such as LC01abcd (its full name, enterprises/LC01abcd, works too). '
      + 'It must belong to the service account’s project. Google is not asked to change it: its Pub/Sub topic stays as it is.'),
    button);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(input, feedback, 'Enter the enterprise’s ID first.')) return;
    const id = input.value.trim().replace(/^enterprises\//, '');
    if (!ENTERPRISE_ID.test(id)) {
      replace(feedback, message('error', 'An enterprise ID has only letters, digits, hyphens and underscores, such as LC01abcd.'));
      input.focus();
      return;
    }
    button.disabled = true;
    try {
      const bound = await api.put(`${base}/enterprise`, { name: `enterprises/${id}` });
      view.signup = null;
      await draw(view, { enterprise: message('info', `Bound to ${bound.enterprise}. Shepherd now manages the Android devices enrolled in it.`) });
      if (!view.stale()) view.enterprise.querySelector('h2')?.focus();
    } catch (error) {
      button.disabled = false;
      replace(feedback, message('error', `The enterprise was not bound. ${error.message}`));
    }
  });
  return form;
}

/** enterprises/LC01abcd → LC01abcd, the ID Google shows admins. */
function enterpriseId(name) {
  return String(name).replace(/^enterprises\//, '');
}

function signupProblem(error) {
  if (error.status === 502) {
    return `Google did not hand out a signup page. ${explainGoogle(error.message)} Google said: “${error.message}”`;
  }
  return `The signup could not start. ${error.message}`;
}

/**
 * What a refusal from Google (the plugin's own wording of it: "POST …: Google answered 403: PERMISSION_DENIED …",
 * "Google refused the service account's token request (400): …") most likely means for the admin, in plain words.
 */
function explainGoogle(text) {
  const said = String(text);
  if (/refused the service account's token request/.test(said)) {
    return 'Google did not accept the service-account key; it may have been deleted or disabled in the Cloud console. Upload a current key.';
  }
  if (/could not be reached/.test(said)) {
    return 'Shepherd could not reach Google. Check the server’s network connection, proxy and firewall.';
  }
  if (/ 403\b|PERMISSION_DENIED/.test(said)) {
    return 'Google refused: the service account may lack the role Android Management User, or the Android Management API may not be enabled in its project.';
  }
  if (/ 404\b|NOT_FOUND/.test(said)) {
    return 'Google does not know what Shepherd asked for: check that the enterprise ID is right and belongs to the service account’s project.';
  }
  if (/ 429\b|RESOURCE_EXHAUSTED/.test(said)) {
    return 'Google is limiting how often Shepherd may call it; Shepherd tries again by itself.';
  }
  if (/ 5\d\d\b|UNAVAILABLE|INTERNAL/.test(said)) {
    return 'Google had trouble of its own; Shepherd tries again by itself.';
  }
  return 'Google refused the request.';
}
