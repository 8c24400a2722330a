import { h, replace, field, message, blank, empty, table, when, heading, announce } from '../dom.js';

/**
 * The people devices belong to (the directory), searchable by name, with a way to set or reset the password a person
 * of the built-in directory signs in to the self-service portal with.
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
    const search = h('input', { name: 'q', type: 'search', value: q, maxlength: 200, autocomplete: 'off' });
    const searchForm = h('form', { class: 'inline', role: 'search', 'aria-label': 'Search people' },
      field('Username, name or e-mail starts with', search), h('button', { type: 'submit', class: 'secondary' }, 'Search'));
    searchForm.addEventListener('submit', event => {
      event.preventDefault();
      location.hash = search.value.trim() ? `/users?q=${encodeURIComponent(search.value.trim())}` : '/users';
    });
    const canSetPassword = api.allows('PUT', '/api/v1/users/x/password');
    const people = page.items;
    replace(main, heading('Users'),
      h('p', { class: 'lead' }, 'The people devices belong to. People of the built-in directory sign in to the self-service portal '
        + '(/portal) with a password set here; people of an identity provider sign in with their provider’s password.'),
      searchForm, feedback,
      people.length
        ? table(`${people.length}${page.nextCursor ? '+' : ''} ${people.length === 1 ? 'person' : 'people'}`,
          ['Username', 'Name', 'E-mail', 'Directory', 'Added', canSetPassword ? 'Portal password' : null].filter(Boolean),
          people.map(person => [person.username, person.displayName || '—', person.email || '—', person.provider, when(person.createdAt),
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
          replace(feedback, message('error', error.message));
          password.focus();
        }
      });
      return h('details', {}, h('summary', { 'aria-label': `Set the portal password of ${person.username}` }, 'Set password'), form);
    }
  },
};
