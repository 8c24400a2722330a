import { h, replace, field, message, blank, empty, table, when, words, heading, confirmAction, copyButton, showProblems } from '../dom.js';

const LABELS = { ios: 'iPhone and iPad', macos: 'Mac', android: 'Android', windows: 'Windows' };
// Chromebooks are enrolled in the Google Admin console, never by a Shepherd link; their plugin finds them there.
const NOT_BY_LINK = new Set(['chromeos']);

/**
 * The platforms a link can be for: those a running plugin manages (GET /api/v1/platforms) first, then the others
 * Shepherd knows, said to have no plugin running (a link for them works once the plugin is installed).
 */
function platformChoices(running) {
  const ids = running ? running.map(platform => platform.id).filter(id => !NOT_BY_LINK.has(id)) : [];
  const idle = Object.keys(LABELS).filter(id => !ids.includes(id));
  return [...ids.map(id => [id, LABELS[id] ?? id]),
    ...idle.map(id => [id, running ? `${LABELS[id]} (no plugin running)` : LABELS[id]])];
}
const APPLE = new Set(['ios', 'macos']);

/** The same-origin path of a link the API built with the public URL: the console shows images from itself only. */
function localPath(url) {
  const parsed = new URL(url, location.href);
  return parsed.pathname + parsed.search;
}

/** Enrollment links: create one (with its QR code), see the existing ones, revoke them. */
export const enrollmentPage = {
  path: '/enrollment',
  nav: 'Enrollment',
  title: 'Enrollment',
  needs: 'ENROLLMENT_READ',
  async render({ api, main, stale }) {
    const [tokens, groups, running] = await Promise.all([
      api.get('/api/v1/enrollment-tokens'),
      api.can('GROUP_READ') ? api.get('/api/v1/groups') : Promise.resolve([]),
      api.can('DEVICE_READ') ? api.get('/api/v1/platforms') : Promise.resolve(null),
    ]);
    if (stale()) return;
    const created = h('div', { class: 'created', 'aria-live': 'polite' });
    const list = h('section', { 'aria-labelledby': 'tokens-title' });
    replace(main, heading('Enrollment'),
      h('p', { class: 'lead' }, 'A device enrolls by opening an enrollment link, or scanning its QR code, and installing what it offers.'));
    if (api.can('ENROLLMENT_WRITE')) main.append(createForm(api, groups, platformChoices(running), created, reload), created);
    main.append(list);
    draw(tokens);

    async function reload() {
      draw(await api.get('/api/v1/enrollment-tokens'));
    }

    function draw(current) {
      const groupName = id => groups.find(group => group.id === id)?.name ?? id;
      const active = token => !token.revokedAt && new Date(token.expiresAt) > new Date()
        && (token.maxUses === null || token.maxUses === undefined || token.uses < token.maxUses);
      replace(list, h('h2', { id: 'tokens-title' }, 'Enrollment links'), current.length
        ? table('Newest first; a link’s secret is shown only when it is created',
          ['Name', 'Platform', 'Ownership', 'Group', 'Used', 'Expires', 'State', ''],
          current.map(token => [token.requireSignIn ? `${token.name} (sign-in)` : token.name, token.platform ?? 'Any', words(token.ownership),
            token.groupId ? groupName(token.groupId) : '—',
            token.maxUses ? `${token.uses} of ${token.maxUses}` : String(token.uses), when(token.expiresAt),
            token.revokedAt ? 'Revoked' : active(token) ? 'Active' : 'Expired or used up',
            api.can('ENROLLMENT_WRITE') && !token.revokedAt ? h('button', {
              type: 'button', class: 'link',
              'aria-label': `Revoke ${token.name}`,
              onclick: async () => {
                const sure = await confirmAction({ title: `Revoke “${token.name}”?`,
                  text: 'The link stops working at once. Devices that enrolled with it stay enrolled.', confirm: 'Revoke link', danger: true });
                if (!sure) return;
                try {
                  await api.delete(`/api/v1/enrollment-tokens/${encodeURIComponent(token.id)}`);
                  await reload();
                } catch (error) {
                  replace(created, message('error', error.message));
                }
              },
            }, 'Revoke') : '']))
        : empty('There are no enrollment links yet.', api.can('ENROLLMENT_WRITE')
          ? 'Create one above, then open it on the device or scan its QR code.' : 'An operator can create one.'));
    }
  },
};

function createForm(api, groups, platforms, created, reload) {
  const name = h('input', { name: 'name', required: true, maxlength: 200 });
  const platform = h('select', { name: 'platform' }, platforms.map(([id, label]) => h('option', { value: id }, label)));
  const ownership = h('select', { name: 'ownership' },
    h('option', { value: 'CORPORATE' }, 'Corporate'), h('option', { value: 'PERSONAL' }, 'Personal (BYOD)'));
  const group = h('select', { name: 'group' }, h('option', { value: '' }, 'No group'),
    groups.filter(candidate => candidate.kind !== 'smart').map(candidate => h('option', { value: candidate.id }, candidate.name)));
  const hours = h('input', { name: 'hours', type: 'number', min: 1, max: 8784, value: 72, required: true });
  const uses = h('input', { name: 'uses', type: 'number', min: 1, placeholder: 'Unlimited' });
  const signIn = h('input', { type: 'checkbox', name: 'requireSignIn', id: 'token-require-sign-in' });
  const feedback = h('div', { class: 'feedback' });
  const readiness = h('div', { class: 'readiness', id: 'platform-readiness', 'aria-live': 'polite' });
  platform.setAttribute('aria-describedby', readiness.id);
  const checkReadiness = () => warnIfNotReady(api, platform.value, platform.selectedOptions[0]?.textContent ?? platform.value, readiness);
  platform.addEventListener('change', checkReadiness);
  checkReadiness();
  const form = h('form', { class: 'card', 'aria-labelledby': 'new-token-title' },
    h('h2', { id: 'new-token-title' }, 'New enrollment link'),
    h('div', { class: 'grid' },
      field('Name', name, 'Say who or what it is for, such as “Front desk iPads”.'),
      field('Platform', platform),
      field('Ownership', ownership),
      groups.length ? field('Put enrolled devices in group', group) : null,
      field('Valid for (hours)', hours),
      field('Maximum devices', uses, 'Leave empty for no limit.')),
    readiness,
    h('div', { class: 'check' }, signIn, h('label', { for: signIn.id },
      'Ask for the user’s work account: whoever opens the link signs in first, and the device is assigned to them')),
    feedback,
    h('button', { type: 'submit', class: 'primary' }, 'Create link'));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(name, feedback, 'Give the link a name.')) return;
    const body = {
      name: name.value.trim(),
      ownership: ownership.value,
      platform: platform.value,
      validForHours: Number(hours.value),
    };
    if (group.value) body.groupId = group.value;
    if (uses.value) body.maxUses = Number(uses.value);
    if (signIn.checked) body.requireSignIn = true;
    try {
      const issued = await api.post('/api/v1/enrollment-tokens', body);
      replace(feedback);
      showCreated(created, issued);
      form.reset();
      checkReadiness();
      await reload();
    } catch (error) {
      showProblems(form, error, { feedback, fields: { validForHours: hours, maxUses: uses, groupId: group } });
    }
  });
  return form;
}

/**
 * Says, next to the platform, what keeps its devices from enrolling now (GET /api/v1/setup/enrollment) and where to
 * fix it. The link can still be created: it works once the steps are done.
 */
async function warnIfNotReady(api, platform, label, box) {
  let readiness;
  try {
    readiness = await api.get('/api/v1/setup/enrollment', { platform });
  } catch (error) {
    replace(box);
    return;
  }
  if (readiness.platform !== platform) return;
  const device = label.replace(/ \(no plugin running\)$/, '');
  if (readiness.ready) {
    replace(box, readiness.advice.length
      ? h('div', { class: 'message info', role: 'status' }, h('p', {}, `${device} devices can enroll with this link. Also advised:`),
        steps(readiness.advice))
      : null);
    return;
  }
  replace(box, h('div', { class: 'message warning', role: 'status' },
    h('p', {}, h('strong', {}, `${device} devices cannot enroll yet.`),
      ' You can create the link now; it works once this is done:'),
    h('ul', {},
      readiness.pluginRunning ? null : h('li', {}, 'No running plugin enrolls them: install the plugin for them. ',
        h('a', { href: '#/plugins' }, 'Open the plugins page')),
      readiness.blocking.map(step => h('li', {}, h('strong', {}, `${step.title}: `), `${step.detail} ${step.action}`,
        step.link ? [' ', h('a', { href: step.link }, `Open the ${step.title} page`)] : null))),
    readiness.advice.length ? [h('p', {}, 'Also advised:'), steps(readiness.advice)] : null));
}

function steps(list) {
  return h('ul', {}, list.map(step => h('li', {}, h('strong', {}, `${step.title}: `), `${step.detail} ${step.action}`)));
}

function showCreated(created, issued) {
  const link = h('input', { readonly: true, value: issued.enrollmentUrl, class: 'link-text', id: 'enrollment-link' });
  const copy = copyButton(link, 'Copy link');
  const platform = issued.token.platform;
  replace(created, h('section', { class: 'card', 'aria-labelledby': 'created-title' },
    h('h2', { id: 'created-title', tabindex: '-1' }, `“${issued.token.name}” is ready`),
    h('p', {}, 'This is the only time the link is shown. Send it to the device, or let the device scan the code.'),
    h('div', { class: 'share' },
      h('img', { src: localPath(issued.qrCodeUrl), alt: `QR code of the enrollment link for ${issued.token.name}`, class: 'qr', width: 200, height: 200 }),
      h('div', {},
        h('div', { class: 'field' }, h('label', { for: 'enrollment-link' }, 'Enrollment link'), link),
        h('p', {}, copy),
        APPLE.has(platform)
          ? h('p', {}, h('a', { href: `${localPath(issued.enrollmentUrl)}?download=1`, download: '' }, 'Download the Apple enrollment profile'),
            ' (works while the Apple plugin runs).')
          : null))));
  created.querySelector('h2').focus();
}
