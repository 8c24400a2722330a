import { h, replace, field, message } from '../dom.js';

/** The sign-in form: the API's session login. */
export function loginPage({ api, main, done }) {
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const feedback = h('div', { class: 'feedback' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'login', novalidate: true },
    h('h1', { tabindex: '-1' }, 'Sign in to Shepherd'),
    field('Username', username),
    field('Password', password),
    feedback,
    submit);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (!username.value.trim() || !password.value) {
      replace(feedback, message('error', 'Enter your username and password.'));
      (username.value.trim() ? password : username).focus();
      return;
    }
    submit.disabled = true;
    replace(feedback, message('info', 'Signing in…'));
    try {
      await api.login(username.value.trim(), password.value);
      password.value = '';
      done();
    } catch (error) {
      replace(feedback, message('error', error.message));
      password.select();
      password.focus();
    } finally {
      submit.disabled = false;
    }
  });
  replace(main, h('div', { class: 'login-wrap' }, form));
  username.focus();
}
