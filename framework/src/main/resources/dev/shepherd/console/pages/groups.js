import { h, replace, field, message, blank, empty, table, words, heading, confirmAction, announce, showProblems, markInvalid, badge } from '../dom.js';
import { ruleEditor, RuleError, describeRule, fitsEditor } from '../rule-editor.js';

const deviceName = device => device.name || device.serialNumber || device.id;

/** Groups: the list, and creating a static group or a smart group from a rule, with a live preview of its devices. */
export const groupsPage = {
  path: '/groups',
  nav: 'Groups',
  title: 'Groups',
  needs: 'GROUP_READ',
  async render({ api, main, navigate, stale }) {
    const groups = await api.get('/api/v1/groups');
    if (stale()) return;
    const list = h('section', { 'aria-labelledby': 'groups-title' });
    replace(main, heading('Groups'),
      h('p', { class: 'lead' }, 'Policies are assigned to groups. Static groups hold the devices put in them; smart groups hold the devices that match a rule.'));
    if (api.can('GROUP_WRITE')) main.append(createForm(api, navigate, stale));
    main.append(list);
    replace(list, h('h2', { id: 'groups-title' }, 'All groups'), groups.length
      ? table(`${groups.length} group${groups.length === 1 ? '' : 's'}`, ['Name', 'Kind', 'Devices', 'Description', ''],
        groups.map(group => [
          h('a', { href: `#/groups/${encodeURIComponent(group.id)}` }, group.name),
          words(group.kind), h('a', { href: `#/devices?group=${encodeURIComponent(group.id)}`, 'aria-label': `${group.members} devices of ${group.name}` },
            String(group.members)), group.description || '—',
          api.can('DEVICE_ACTION') ? h('a', { href: `#/commands?group=${encodeURIComponent(group.id)}`, 'aria-label': `Send a command to ${group.name}` },
            'Send a command') : '']))
      : empty('There are no groups yet.', api.can('GROUP_WRITE')
        ? 'Create one above, then choose it when you create an enrollment link.' : 'An operator can create one.'));
  },
};

function createForm(api, navigate, stale) {
  const name = h('input', { name: 'name', required: true, maxlength: 200 });
  const description = h('input', { name: 'description', maxlength: 1000 });
  const kind = h('select', { name: 'kind' },
    h('option', { value: 'static' }, 'Static: devices are added to it'), h('option', { value: 'smart' }, 'Smart: devices matching a rule'));
  const feedback = h('div', { class: 'feedback' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create group');
  const live = livePreview(api, stale);
  const editor = ruleEditor(live.changed);
  live.watch(editor);
  const smart = h('div', { class: 'smart' }, editor.element, live.element);

  const showKind = () => {
    smart.hidden = kind.value !== 'smart';
    if (!smart.hidden) live.show();
  };
  kind.addEventListener('change', showKind);
  showKind();

  const form = h('form', { class: 'card', 'aria-labelledby': 'new-group-title', novalidate: true },
    h('h2', { id: 'new-group-title' }, 'New group'),
    h('div', { class: 'grid' }, field('Name', name), field('Description', description), field('Kind', kind)),
    smart, feedback, submit);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(name, feedback, 'Give the group a name.')) return;
    const body = { name: name.value.trim(), description: description.value.trim() };
    if (kind.value === 'smart') {
      try {
        body.rule = editor.read();
      } catch (error) {
        if (!(error instanceof RuleError)) throw error;
        markInvalid(error.control, error.message, feedback);
        return;
      }
    }
    try {
      const group = await api.post('/api/v1/groups', body);
      navigate(`/groups/${encodeURIComponent(group.id)}`);
    } catch (error) {
      showProblems(form, error, { feedback });
    }
  });
  return form;
}

/**
 * The live preview of a rule being edited: as it changes, how many devices match it now and the first ten of them
 * (the server saves nothing for a preview). Returns { element, watch(editor), changed(), show() }.
 */
function livePreview(api, stale) {
  const element = h('section', { class: 'preview', 'aria-labelledby': 'preview-title', 'aria-live': 'polite' });
  let editor = null;
  let timer = null;
  let asked = 0;
  const titled = (...content) => replace(element, h('h3', { id: 'preview-title' }, 'Matching devices'), ...content);
  async function show() {
    if (!editor) return;
    asked += 1;
    const mine = asked;
    let rule;
    try {
      rule = editor.read();
    } catch (error) {
      if (!(error instanceof RuleError)) throw error;
      titled(h('p', { class: 'hint' }, error.message));
      return;
    }
    try {
      const result = await api.post('/api/v1/groups/preview', { rule, sample: 10 });
      const devices = api.can('DEVICE_READ')
        ? await Promise.all(result.sample.map(id => api.get(`/api/v1/devices/${encodeURIComponent(id)}`))) : [];
      if (mine !== asked || stale()) return;
      titled(h('p', { class: 'count' }, `${result.matching} device${result.matching === 1 ? '' : 's'} match${result.matching === 1 ? 'es' : ''} this rule now.`),
        devices.length ? h('ul', { class: 'sample' }, devices.map(({ device }) =>
          h('li', {}, h('a', { href: `#/devices/${encodeURIComponent(device.id)}` }, deviceName(device))))) : null,
        result.matching > devices.length && devices.length ? h('p', { class: 'hint' }, `The first ${devices.length} are shown.`) : null);
    } catch (error) {
      if (mine !== asked || stale()) return;
      titled(message('error', error.message));
    }
  }
  return {
    element,
    show,
    watch: watched => { editor = watched; },
    changed: () => {
      clearTimeout(timer);
      timer = setTimeout(show, 300);
    },
  };
}

/** One group: its rule or its members; a static group's members are added and removed here. */
export const groupPage = {
  path: '/groups/:id',
  section: 'Groups',
  title: 'Group',
  needs: 'GROUP_READ',
  async render({ api, main, params, navigate, stale }) {
    const base = `/api/v1/groups/${encodeURIComponent(params.id)}`;
    const group = await api.get(base);
    if (stale()) return;
    document.title = `${group.name} · Shepherd`;
    const editable = group.kind === 'static' && api.can('GROUP_WRITE');
    const members = h('section', { 'aria-labelledby': 'members-title' });
    const feedback = h('div', { class: 'feedback' });
    replace(main,
      heading(group.name, h('a', { href: '#/groups', class: 'back' }, 'All groups')),
      group.description ? h('p', { class: 'lead' }, group.description) : null,
      h('p', {}, group.kind === 'smart'
        ? ['Smart group. Devices belong to it while they match ', h('strong', {}, describeRule(group.rule)), '.']
        : 'Static group: it holds the devices put in it, and those enrolled with a link bound to it.'),
      feedback,
      editable && api.can('DEVICE_READ') ? addForm() : null,
      members,
      group.kind === 'smart' && api.can('GROUP_WRITE') ? ruleForm() : null,
      api.can('GROUP_WRITE') ? editForm() : null);
    await drawMembers();

    // A smart group's rule, changed in the editor with its live preview; membership follows once it is saved.
    function ruleForm() {
      if (!fitsEditor(group.rule)) {
        return h('section', { class: 'card', 'aria-labelledby': 'rule-title' }, h('h2', { id: 'rule-title' }, 'Change the rule'),
          h('p', {}, 'This rule nests conditions deeper than the editor builds. Change it with the API (PATCH /api/v1/groups/{id}).'));
      }
      const ruleFeedback = h('div', { class: 'feedback' });
      const live = livePreview(api, stale);
      const editor = ruleEditor(live.changed, group.rule);
      live.watch(editor);
      const form = h('form', { class: 'card', 'aria-labelledby': 'rule-title', novalidate: true },
        h('h2', { id: 'rule-title' }, 'Change the rule'), h('div', { class: 'smart' }, editor.element, live.element), ruleFeedback,
        h('button', { type: 'submit', class: 'primary' }, 'Save rule'));
      form.addEventListener('submit', async event => {
        event.preventDefault();
        let rule;
        try {
          rule = editor.read();
        } catch (error) {
          if (!(error instanceof RuleError)) throw error;
          markInvalid(error.control, error.message, ruleFeedback);
          return;
        }
        try {
          await api.patch(base, { rule }, { 'If-Match': `"${group.version}"` });
          navigate(`/groups/${encodeURIComponent(group.id)}`);
          announce('Rule saved; the group’s devices follow it.');
        } catch (error) {
          showProblems(form, error, { feedback: ruleFeedback });
        }
      });
      live.show();
      return form;
    }

    // Renaming and describing the group (sent with If-Match, so a change someone saved meanwhile is not overwritten),
    // and deleting it.
    function editForm() {
      const name = h('input', { name: 'group-name', required: true, maxlength: 200, value: group.name });
      const description = h('input', { name: 'group-description', maxlength: 1000, value: group.description ?? '' });
      const editFeedback = h('div', { class: 'feedback' });
      const form = h('form', { class: 'card', 'aria-labelledby': 'edit-title' },
        h('h2', { id: 'edit-title' }, 'Name and description'),
        h('div', { class: 'grid' }, field('Group name', name), field('Group description', description)),
        editFeedback,
        h('div', { class: 'actions' },
          h('button', { type: 'submit', class: 'primary' }, 'Save changes'),
          h('button', {
            type: 'button', class: 'danger',
            onclick: async () => {
              const sure = await confirmAction({ title: `Delete the group “${group.name}”?`,
                text: 'Its policy assignments go with it, so its devices lose those policies unless another of their groups has them. The devices stay enrolled.',
                confirm: 'Delete group', danger: true });
              if (!sure) return;
              try {
                await api.delete(base);
                announce(`${group.name} deleted`);
                navigate('/groups');
              } catch (error) {
                replace(editFeedback, message('error', error.message));
              }
            },
          }, 'Delete group')));
      form.addEventListener('submit', async event => {
        event.preventDefault();
        if (blank(name, editFeedback, 'Give the group a name.')) return;
        try {
          await api.patch(base, { name: name.value.trim(), description: description.value.trim() }, { 'If-Match': `"${group.version}"` });
          navigate(`/groups/${encodeURIComponent(group.id)}`);
        } catch (error) {
          showProblems(form, error, { feedback: editFeedback });
        }
      });
      return form;
    }

    async function change(body, done) {
      try {
        const result = await api.post(`${base}/members`, body);
        done(result);
        await drawMembers();
      } catch (error) {
        replace(feedback, message('error', error.message));
      }
    }

    async function drawMembers() {
      const page = await api.get(`${base}/members`, { limit: 200 });
      if (stale()) return;
      replace(members, h('h2', { id: 'members-title' }, 'Devices in the group'), page.items.length
        ? table(`${page.items.length} device${page.items.length === 1 ? '' : 's'}${page.nextCursor ? ' shown, more in the device list' : ''}`,
          ['Name', 'Platform', 'Serial', 'Status', ''],
          page.items.map(({ device }) => [
            h('a', { href: `#/devices/${encodeURIComponent(device.id)}` }, deviceName(device)), device.platform, device.serialNumber || '—',
            badge('device', device.status),
            editable ? h('button', {
              type: 'button', class: 'link', 'aria-label': `Remove ${deviceName(device)} from the group`,
              onclick: async () => {
                const sure = await confirmAction({ title: `Remove ${deviceName(device)} from “${group.name}”?`,
                  text: 'Policies assigned to the group no longer apply to the device, unless another of its groups has them.', confirm: 'Remove device', danger: true });
                if (!sure) return;
                await change({ remove: [device.id] }, () => replace(feedback, message('info', `${deviceName(device)} removed from the group.`)));
              },
            }, 'Remove') : '']))
        : empty('No device is in this group.', group.kind === 'smart'
          ? 'No device matches its rule now; devices join as soon as they match.'
          : editable ? 'Find devices above and add them.' : 'An operator can add devices, or enroll them with a link bound to the group.'),
      page.nextCursor ? h('p', {}, h('a', { href: `#/devices?group=${encodeURIComponent(group.id)}` }, 'See all its devices')) : null);
    }

    // Finds devices by name prefix and adds them one by one.
    function addForm() {
      const search = h('input', { name: 'device-search', type: 'search', maxlength: 200 });
      const found = h('div', { class: 'found', 'aria-live': 'polite' });
      const form = h('form', { class: 'card', role: 'search', 'aria-labelledby': 'add-title' },
        h('h2', { id: 'add-title' }, 'Add devices'),
        field('Device name starts with', search, 'Then choose “Add” next to each device to put in the group.'),
        h('button', { type: 'submit', class: 'secondary' }, 'Find devices'), found);
      form.addEventListener('submit', async event => {
        event.preventDefault();
        if (blank(search, found, 'Type the start of a device’s name.')) return;
        try {
          const page = await api.get('/api/v1/devices', { name: search.value.trim(), sort: 'name', limit: 20 });
          if (stale()) return;
          replace(found, page.items.length
            ? table(`${page.items.length} device${page.items.length === 1 ? '' : 's'} found`, ['Name', 'Platform', 'Serial', ''],
              page.items.map(({ device }) => [deviceName(device), device.platform, device.serialNumber || '—',
                h('button', {
                  type: 'button', class: 'link', 'aria-label': `Add ${deviceName(device)} to the group`,
                  onclick: () => change({ add: [device.id] }, result => {
                    const text = result.added ? `${deviceName(device)} added to the group.` : `${deviceName(device)} was already in the group.`;
                    replace(feedback, message('info', text));
                    announce(text);
                  }),
                }, 'Add')]))
            : empty('No device’s name starts with that.', 'Check the spelling, or search the device list by serial number.'));
        } catch (error) {
          replace(found, message('error', error.message));
        }
      });
      return form;
    }
  },
};
