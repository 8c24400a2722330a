import { h, replace, field, message, blank, empty, table, when, heading, announce, showProblems } from '../dom.js';

/**
 * The people devices belong to (the directory), searchable by name, with each person's status, directory and groups,
 * and a way to set or reset the password a person of the built-in directory signs in to the self-service portal with.
 */
export const usersPage = {
  path: '/users',
  nav: 'Users',
  title: 'Users',
  needs: 'USER_READ',
  async render({ api, main, params, stale }) {
    const q = params.query.get('q') ?? '';
    const page = await api.get('/api/v1/users', { q, limit: 200 });
    if (stale()) return;
    const feedback = h('div', { class: 'feedback' });
    const searchForm = search('/users', q, 'Search people', 'Username, name or e-mail starts with');
    const canSetPassword = api.allows('PUT', '/api/v1/users/x/password');
    const people = page.items;
    replace(main, heading('Users'),
      h('p', { class: 'lead' }, 'The people devices belong to. People of the built-in directory sign in to the self-service portal '
        + '(/portal) with a password set here; people of an identity provider sign in with their provider’s password.'),
      h('p', {}, h('a', { href: '#/directory-groups' }, 'Directory groups'), ': the groups identity providers put in the directory.'),
      searchForm, feedback,
      people.length
        ? table(`${people.length}${page.nextCursor ? '+' : ''} ${people.length === 1 ? 'person' : 'people'}`,
          ['Username', 'Name', 'E-mail', 'Directory', 'Status', 'Added', canSetPassword ? 'Portal password' : null].filter(Boolean),
          people.map(person => [h('a', { href: `#/users/${encodeURIComponent(person.id)}` }, person.username), person.displayName || '—',
            person.email || '—', person.provider, status(person), when(person.createdAt),
            canSetPassword ? passwordCell(person) : null].filter(cell => cell !== null)))
        : empty(q ? `Nobody’s username, name or e-mail starts with “${q}”.` : 'The directory is empty.'));

    function passwordCell(person) {
      if (person.provider !== 'local') return `Signs in with ${person.provider}`;
      const password = h('input', { name: 'portal-password', type: 'password', minlength: 12, autocomplete: 'new-password',
        'aria-label': `Portal password for ${person.username}` });
      const form = h('form', { class: 'inline' }, password, h('button', { type: 'submit' }, 'Set portal password'));
      form.addEventListener('submit', async event => {
        event.preventDefault();
        if (blank(password, feedback, `Type the portal password for ${person.username}.`)) return;
        try {
          await api.put(`/api/v1/users/${encodeURIComponent(person.id)}/password`, { password: password.value });
          form.reset();
          const done = `${person.username} signs in to the portal with the new password; their portal sessions were ended.`;
          replace(feedback, message('info', done));
          announce(done);
        } catch (error) {
          showProblems(form, error, { feedback });
          password.focus();
        }
      });
      return h('details', {}, h('summary', { 'aria-label': `Set the portal password of ${person.username}` }, 'Set password'), form);
    }
  },
};

/** A search form that opens the page at `path` with the text typed as `q`. */
function search(path, q, name, label) {
  const text = h('input', { name: 'q', type: 'search', value: q, maxlength: 200, autocomplete: 'off' });
  const form = h('form', { class: 'inline', role: 'search', 'aria-label': name },
    field(label, text), h('button', { type: 'submit', class: 'secondary' }, 'Search'));
  form.addEventListener('submit', event => {
    event.preventDefault();
    location.hash = text.value.trim() ? `${path}?q=${encodeURIComponent(text.value.trim())}` : path;
  });
  return form;
}

/** Active, or deactivated by the person's identity provider (and since when). */
function status(person) {
  return person.active ? 'Active' : `Deactivated ${when(person.deactivatedAt)}`;
}

/** One person: status, directory and the directory groups they are in. */
export const userPage = {
  path: '/users/:id',
  section: 'Users',
  title: 'User',
  needs: 'USER_READ',
  async render({ api, main, params, stale }) {
    const person = await api.get(`/api/v1/users/${encodeURIComponent(params.id)}`);
    if (stale()) return;
    document.title = `${person.username} · Shepherd`;
    replace(main,
      heading(person.displayName || person.username, h('a', { href: '#/users', class: 'back' }, 'All users')),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Username'), h('dd', {}, person.username),
        h('dt', {}, 'E-mail'), h('dd', {}, person.email || '—'),
        h('dt', {}, 'Directory'), h('dd', {}, person.provider),
        h('dt', {}, 'External id'), h('dd', {}, person.externalId ?? '—'),
        h('dt', {}, 'Status'), h('dd', {}, status(person)),
        h('dt', {}, 'Added'), h('dd', {}, when(person.createdAt))),
      person.groups.length
        ? table(`${person.groups.length} directory ${person.groups.length === 1 ? 'group' : 'groups'}`, ['Group', 'Directory', 'Membership'],
          person.groups.map(group => [groupLink(group), group.provider, group.direct ? 'Direct' : 'Through a nested group']))
        : empty('They are in no directory group.'));
  },
};

function groupLink(group) {
  return h('a', { href: `#/directory-groups/${encodeURIComponent(group.id)}` }, group.name);
}

/** The groups identity providers put in the directory, searchable by name. */
export const directoryGroupsPage = {
  path: '/directory-groups',
  section: 'Users',
  title: 'Directory groups',
  needs: 'USER_READ',
  async render({ api, main, params, stale }) {
    const q = params.query.get('q') ?? '';
    const page = await api.get('/api/v1/directory-groups', { q, limit: 200 });
    if (stale()) return;
    const searchForm = search('/directory-groups', q, 'Search directory groups', 'Name starts with');
    const groups = page.items;
    replace(main, heading('Directory groups', h('a', { href: '#/users', class: 'back' }, 'All users')),
      h('p', { class: 'lead' }, 'Groups as identity providers hold them, nested groups included. A smart group with the rule '
        + '“User’s directory group is …” selects the devices of their people.'),
      searchForm,
      groups.length
        ? table(`${groups.length}${page.nextCursor ? '+' : ''} ${groups.length === 1 ? 'group' : 'groups'}`, ['Name', 'Directory', 'Changed'],
          groups.map(group => [groupLink(group), group.provider, when(group.updatedAt)]))
        : empty(q ? `No directory group’s name starts with “${q}”.` : 'No identity provider has put groups in the directory.'));
  },
};

/** One directory group: the people and groups directly in it, and everyone in it at any depth. */
export const directoryGroupPage = {
  path: '/directory-groups/:id',
  section: 'Users',
  title: 'Directory group',
  needs: 'USER_READ',
  async render({ api, main, params, stale }) {
    const group = await api.get(`/api/v1/directory-groups/${encodeURIComponent(params.id)}`);
    if (stale()) return;
    document.title = `${group.name} · Shepherd`;
    const { members } = group;
    const personRow = person => [h('a', { href: `#/users/${encodeURIComponent(person.id)}` }, person.username), person.displayName, status(person)];
    replace(main,
      heading(group.name, h('a', { href: '#/directory-groups', class: 'back' }, 'All directory groups')),
      h('p', {}, `In the ${group.provider} directory.`),
      members.groupCount
        ? table(`${members.groupCount} nested ${members.groupCount === 1 ? 'group' : 'groups'}`, ['Group', 'Directory'],
          members.groups.map(member => [groupLink(member), member.provider]))
        : null,
      members.effectiveUserCount
        ? table(`${members.effectiveUserCount} ${members.effectiveUserCount === 1 ? 'person' : 'people'} in it, directly or through nested groups`
          + (members.effectiveUsers.length < members.effectiveUserCount ? ` (the first ${members.effectiveUsers.length} shown)` : ''),
          ['Username', 'Name', 'Status'], members.effectiveUsers.map(personRow))
        : empty('Nobody is in this group.'));
  },
};
