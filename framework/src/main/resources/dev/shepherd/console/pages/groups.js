import { h, replace, field, message, blank, empty, table, words, heading } from '../dom.js';

/** Groups: the list, and creating a static group (devices join it through enrollment links or the API). */
export const groupsPage = {
  path: '/groups',
  nav: 'Groups',
  title: 'Groups',
  needs: 'GROUP_READ',
  async render({ api, main, stale }) {
    const groups = await api.get('/api/v1/groups');
    if (stale()) return;
    const list = h('section', { 'aria-labelledby': 'groups-title' });
    replace(main, heading('Groups'),
      h('p', { class: 'lead' }, 'Policies are assigned to groups. Static groups hold the devices put in them; smart groups hold the devices that match a rule.'));
    if (api.can('GROUP_WRITE')) main.append(createForm(api, reload));
    main.append(list);
    draw(groups);

    async function reload() {
      draw(await api.get('/api/v1/groups'));
    }

    function draw(current) {
      replace(list, h('h2', { id: 'groups-title' }, 'All groups'), current.length
        ? table(`${current.length} group${current.length === 1 ? '' : 's'}`, ['Name', 'Kind', 'Devices', 'Description', ''],
          current.map(group => [
            h('a', { href: `#/devices?group=${encodeURIComponent(group.id)}` }, group.name),
            words(group.kind), String(group.members), group.description || '—',
            api.can('DEVICE_ACTION') ? h('a', { href: `#/commands?group=${encodeURIComponent(group.id)}`, 'aria-label': `Send a command to ${group.name}` },
              'Send a command') : '']))
        : empty('There are no groups yet.', api.can('GROUP_WRITE')
          ? 'Create one above, then choose it when you create an enrollment link.' : 'An operator can create one.'));
    }
  },
};

function createForm(api, reload) {
  const name = h('input', { name: 'name', required: true, maxlength: 200 });
  const description = h('input', { name: 'description', maxlength: 1000 });
  const feedback = h('div', { class: 'feedback' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'new-group-title' },
    h('h2', { id: 'new-group-title' }, 'New static group'),
    h('div', { class: 'grid' }, field('Name', name), field('Description', description)),
    feedback,
    h('button', { type: 'submit', class: 'primary' }, 'Create group'));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(name, feedback, 'Give the group a name.')) return;
    try {
      const group = await api.post('/api/v1/groups', { name: name.value.trim(), description: description.value.trim() });
      replace(feedback, message('info', `Group “${group.name}” created.`));
      form.reset();
      await reload();
    } catch (error) {
      replace(feedback, message('error', error.message));
    }
  });
  return form;
}
