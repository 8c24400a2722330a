// The Android zero-touch page of the android plugin, served from the plugin's own file (ConsolePage in the plugin API).
// It talks only to the plugin's zero-touch endpoint, behind plugin_manage:
//   {base}/zero-touch                                  GET: the linked customer account; PUT {customerId}: link one
//   {base}/zero-touch/configurations                   GET; POST: a configuration bound to a corporate enrollment token
//   {base}/zero-touch/configurations/{id}              DELETE
//   {base}/zero-touch/devices?pageToken=               GET: one page of the customer's devices
//   {base}/zero-touch/devices/{id}/configuration       PUT {configurationId}: apply; DELETE: remove

// A zero-touch customer id as the portal shows it: a number.
const CUSTOMER_ID = /^[1-9][0-9]{0,18}$/;

export async function render({ api, main, ui, plugin, stale }) {
  const { h } = ui;
  const view = {
    api, ui, stale,
    base: `/api/v1/plugins/${encodeURIComponent(plugin.id)}/zero-touch`,
    account: h('section', { class: 'card', 'aria-labelledby': 'zt-account-title' }),
    configurations: h('section', { class: 'card', 'aria-labelledby': 'zt-configurations-title' }),
    devices: h('section', { class: 'card', 'aria-labelledby': 'zt-devices-title' }),
    // The page of devices shown: the tokens of the pages before it, so "Previous page" can go back.
    pages: [],
    drawn: 0,
  };
  main.append(
    h('p', { class: 'lead' }, 'Devices bought from a zero-touch reseller set themselves up at first boot with a configuration: '
      + 'Android installs Android Device Policy, which enrolls the device into the bound Android Enterprise with the enrollment token '
      + 'the configuration carries. The device then joins the token’s group, fully managed or with a work profile.'),
    view.account, view.configurations, view.devices);
  await draw(view);
}

/** Reads the account and, when linked, its configurations and a page of devices; notices say what just happened. */
async function draw(view, notices = {}) {
  const { api, base, stale } = view;
  const { message, replace, h } = view.ui;
  view.drawn += 1;
  const turn = view.drawn;
  let state;
  let configurations = [];
  let devices = null;
  try {
    state = await api.get(base);
    if (state.customerId) {
      ({ configurations } = await api.get(`${base}/configurations`));
      const token = view.pages.at(-1);
      devices = await api.get(`${base}/devices${token ? `?pageToken=${encodeURIComponent(token)}` : ''}`);
    }
  } catch (error) {
    if (stale() || turn !== view.drawn) return;
    replace(view.account, h('h2', { id: 'zt-account-title' }, 'Customer account'),
      message('error', `Zero-touch could not be read. ${error.message}`));
    view.configurations.hidden = true;
    view.devices.hidden = true;
    return;
  }
  if (stale() || turn !== view.drawn) return;
  drawAccount(view, state, notices.account);
  view.configurations.hidden = !state.customerId;
  view.devices.hidden = !state.customerId;
  if (state.customerId) {
    drawConfigurations(view, configurations, notices.configurations);
    drawDevices(view, devices, configurations, notices.devices);
  }
}

function drawAccount(view, state, notice) {
  const { api, base } = view;
  const { h, replace, field, message, blank } = view.ui;
  const feedback = h('div', { class: 'feedback', 'aria-live': 'polite' }, notice ?? null);
  const input = h('input', { type: 'text', name: 'customer-id', inputmode: 'numeric', autocomplete: 'off', value: state.customerId ?? '' });
  const button = h('button', { type: 'submit', class: state.customerId ? 'secondary' : 'primary' }, 'Link account');
  const form = h('form', { 'aria-label': 'Link the zero-touch customer account' },
    field('Customer ID', input, 'The number the zero-touch portal shows for your organisation’s customer account.'), button);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(input, feedback, 'Enter the customer ID first.')) return;
    if (!CUSTOMER_ID.test(input.value.trim())) {
      replace(feedback, message('error', 'A customer ID is a number, such as 1234567890.'));
      input.focus();
      return;
    }
    button.disabled = true;
    try {
      const linked = await api.put(base, { customerId: input.value.trim() });
      view.pages = [];
      await draw(view, { account: message('info', `Linked to zero-touch customer ${linked.customerId}.`) });
    } catch (error) {
      button.disabled = false;
      replace(feedback, message('error', `The account was not linked. ${error.message}`));
    }
  });
  replace(view.account,
    h('h2', { id: 'zt-account-title' }, 'Customer account'),
    state.customerId
      ? message('info', `Linked to zero-touch customer ${state.customerId}; configurations install Android Device Policy (${state.dpcResourcePath}).`)
      : h('p', {}, state.serviceAccount
        ? `Link the service account ${state.serviceAccount} to your customer account in the zero-touch portal, then enter the customer ID here.`
        : 'Upload the service-account key on the Android Enterprise page first: Shepherd calls the zero-touch API as that account.'),
    feedback, form);
}

function drawConfigurations(view, configurations, notice) {
  const { api, base } = view;
  const { h, replace, field, message, table, empty, removeButton } = view.ui;
  const feedback = h('div', { class: 'feedback', 'aria-live': 'polite' }, notice ?? null);
  const rows = configurations.map(configuration => [
    configuration.configurationName ?? '—',
    configuration.isDefault ? 'Yes' : 'No',
    configuration.shepherd
      ? (configuration.shepherd.ownership === 'COMPANY_OWNED_WORK_PROFILE' ? 'Work profile (company-owned)' : 'Fully managed')
      : 'Made outside Shepherd',
    configuration.shepherd?.groupId ?? '—',
    `${configuration.contactEmail ?? ''} ${configuration.contactPhone ?? ''}`.trim() || '—',
    removeButton({
      label: 'Delete', feedback,
      title: `Delete the configuration ${configuration.configurationName}?`,
      text: 'Google refuses while devices still have it. Devices set up with it before keep their management.',
      action: async () => {
        await api.delete(`${base}/configurations/${encodeURIComponent(configuration.configurationId)}`);
        await draw(view, { configurations: message('info', `The configuration ${configuration.configurationName} is deleted.`) });
      },
    }),
  ]);
  const text = (name, type = 'text') => h('input', { type, name, autocomplete: 'off' });
  const inputs = {
    configurationName: text('configuration-name'),
    companyName: text('company-name'),
    contactEmail: text('contact-email', 'email'),
    contactPhone: text('contact-phone', 'tel'),
    customMessage: text('custom-message'),
    enrollmentToken: text('enrollment-token', 'password'),
  };
  const management = h('select', { name: 'management' },
    h('option', { value: 'fully-managed' }, 'Fully managed'),
    h('option', { value: 'work-profile' }, 'Work profile on a company-owned device (COPE)'));
  const isDefault = h('input', { type: 'checkbox', name: 'is-default' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Create configuration');
  const form = h('form', { 'aria-label': 'Create a configuration' },
    h('h3', {}, 'New configuration'),
    field('Name', inputs.configurationName, 'Shown to IT admins in the zero-touch portal, such as Warehouse scanners.'),
    field('Company name', inputs.companyName, 'Shown to the device’s user during setup.'),
    field('Support e-mail', inputs.contactEmail),
    field('Support phone', inputs.contactPhone, 'Numerals, spaces, +, - and parentheses.'),
    field('Message on the device (optional)', inputs.customMessage),
    field('Enrollment token', inputs.enrollmentToken, 'The secret at the end of a corporate Android enrollment link: its group and user '
      + 'are the devices’, and each device uses one of its uses. Its expiry is the configuration’s.'),
    field('Management', management),
    h('div', { class: 'field' }, h('label', {}, isDefault, ' Default for devices without a configuration of their own')),
    button);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const body = Object.fromEntries(Object.entries(inputs).map(([key, input]) => [key, input.value.trim()]));
    const missing = ['configurationName', 'companyName', 'contactEmail', 'contactPhone', 'enrollmentToken'].find(key => !body[key]);
    if (missing) {
      replace(feedback, message('error', 'Fill in every field but the message first.'));
      inputs[missing].focus();
      return;
    }
    body.workProfile = management.value === 'work-profile';
    body.isDefault = isDefault.checked;
    button.disabled = true;
    try {
      const created = await api.post(`${base}/configurations`, body);
      await draw(view, { configurations: message('info', `The configuration ${created.configurationName} is created.`) });
    } catch (error) {
      button.disabled = false;
      replace(feedback, message('error', `The configuration was not created. ${error.message}`));
    }
  });
  replace(view.configurations,
    h('h2', { id: 'zt-configurations-title' }, 'Configurations'),
    feedback,
    rows.length ? table('Zero-touch configurations', ['Name', 'Default', 'Management', 'Group', 'Support contact', 'Actions'], rows)
      : empty('No configurations yet.', 'Create one below; apply it to devices or make it the default.'),
    form);
}

function drawDevices(view, page, configurations, notice) {
  const { api, base } = view;
  const { h, replace, message, table, empty } = view.ui;
  const feedback = h('div', { class: 'feedback', 'aria-live': 'polite' }, notice ?? null);
  const names = new Map(configurations.map(configuration => [configuration.configurationId, configuration.configurationName]));
  const rows = (page.devices ?? []).map(device => {
    const select = h('select', { 'aria-label': `Configuration of device ${device.deviceId}` },
      h('option', { value: '' }, 'None (the default)'),
      configurations.map(configuration => h('option', {
        value: configuration.configurationId, selected: configuration.configurationId === device.configurationId,
      }, configuration.configurationName)));
    const apply = h('button', {
      type: 'button', class: 'secondary',
      onclick: async () => {
        apply.disabled = true;
        try {
          const path = `${base}/devices/${encodeURIComponent(device.deviceId)}/configuration`;
          if (select.value) await api.put(path, { configurationId: select.value });
          else await api.delete(path);
          await draw(view, { devices: message('info', select.value
            ? `Device ${device.deviceId} sets itself up with ${names.get(select.value)} at its next first boot.`
            : `Device ${device.deviceId} has no configuration of its own now.`) });
        } catch (error) {
          apply.disabled = false;
          replace(feedback, message('error', `The configuration was not changed. ${error.message}`));
        }
      },
    }, `Apply to ${device.deviceId}`);
    return [device.deviceId, device.imei ?? device.meid ?? '—', device.serialNumber ?? '—',
      [device.manufacturer, device.model].filter(Boolean).join(' ') || '—',
      device.configurationId ? (names.get(device.configurationId) ?? device.configurationId) : 'None', h('span', {}, select, ' ', apply)];
  });
  const previous = view.pages.length ? h('button', {
    type: 'button', class: 'secondary', onclick: () => { view.pages.pop(); draw(view); },
  }, 'Previous page') : null;
  const next = page.nextPageToken ? h('button', {
    type: 'button', class: 'secondary', onclick: () => { view.pages.push(page.nextPageToken); draw(view); },
  }, 'Next page') : null;
  replace(view.devices,
    h('h2', { id: 'zt-devices-title' }, 'Devices'),
    feedback,
    rows.length ? table('Devices in zero-touch', ['Device', 'IMEI', 'Serial number', 'Model', 'Configuration', 'Change'], rows)
      : empty('No devices in zero-touch yet.', 'Your reseller registers the devices you buy to your customer account.'),
    previous || next ? h('p', {}, previous, ' ', next) : null);
}
