import { h, replace, field, message } from '../dom.js';

/**
 * The sign-in form: the API's session login. For an account with a second factor, the password step is followed by
 * a code from the authenticator app (or a recovery code); a wrong code ends that attempt, and the form starts over.
 */
// What a refused single sign-on's code means (the server sends codes only, so a link cannot put words here).
const REFUSALS = {
  'sso-expired': 'The sign-in took too long, or was already used. Please start again.',
  'sso-refused': 'Your organisation\'s sign-in did not succeed. Try again, or ask an administrator.',
  'sso-no-role': 'You are signed in with your organisation, but none of your groups gives access to the console. Ask an administrator to map one of your groups to a role.',
  'sso-account': 'Your account cannot sign in this way. Ask an administrator.',
  'sso-unavailable': 'Single sign-on is not available right now. Try again later.',
};

export function loginPage({ api, main, done, refusal = null }) {
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
  const providers = h('div', { class: 'sso' });
  const wrap = h('div', { class: 'login-wrap' }, form, providers);
  if (refusal) replace(feedback, message('error', REFUSALS[refusal] ?? REFUSALS['sso-refused']));
  api.signInProviders().then(list => {
    if (!list.length) return;
    replace(providers, h('p', {}, 'Or sign in with your organisation:'),
      h('ul', { class: 'sso-providers' }, ...list.map(provider => h('li', {}, h('a', { class: 'button', href: provider.consoleUrl }, provider.displayName)))));
  });
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
      const pending = await api.login(username.value.trim(), password.value);
      password.value = '';
      if (pending) {
        replace(feedback);
        replace(wrap, codeForm(pending));
        wrap.querySelector('input').focus();
        return;
      }
      done();
    } catch (error) {
      replace(feedback, message('error', error.message));
      password.select();
      password.focus();
    } finally {
      submit.disabled = false;
    }
  });
  replace(main, wrap);
  username.focus();

  /** The second step: a six-digit code, or one of the recovery codes given at enrollment. */
  function codeForm(pending) {
    let recovery = false;
    const code = h('input', { name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', required: true, maxlength: 6,
      pattern: '[0-9]{6}' });
    const label = h('label', { for: 'sign-in-code' }, 'Code from your authenticator app');
    code.id = 'sign-in-code';
    const codeFeedback = h('div', { class: 'feedback' });
    const verify = h('button', { type: 'submit', class: 'primary' }, 'Verify');
    const toggle = h('button', { type: 'button', class: 'link' }, 'Use a recovery code instead');
    toggle.addEventListener('click', () => {
      recovery = !recovery;
      label.textContent = recovery ? 'Recovery code' : 'Code from your authenticator app';
      toggle.textContent = recovery ? 'Use a code from the app instead' : 'Use a recovery code instead';
      code.value = '';
      code.maxLength = recovery ? 24 : 6;
      code.setAttribute('inputmode', recovery ? 'text' : 'numeric');
      code.focus();
    });
    const second = h('form', { class: 'login', novalidate: true },
      h('h1', { tabindex: '-1' }, 'Two-step sign-in'),
      h('p', {}, 'Your password was right. Enter the current code from your authenticator app.'),
      h('div', { class: 'field' }, label, code),
      codeFeedback, verify, h('p', {}, toggle));
    second.addEventListener('submit', async event => {
      event.preventDefault();
      const value = code.value.trim();
      if (!value) {
        replace(codeFeedback, message('error', recovery ? 'Enter a recovery code.' : 'Enter the code from your app.'));
        code.focus();
        return;
      }
      verify.disabled = true;
      replace(codeFeedback, message('info', 'Checking…'));
      try {
        await api.signInWithCode(pending.pendingToken, recovery ? { recoveryCode: value } : { code: value });
        done();
      } catch (error) {
        // The pending sign-in was used by this attempt: start over with the password.
        replace(wrap, form);
        replace(feedback, message('error', error.message));
        password.focus();
      } finally {
        verify.disabled = false;
      }
    });
    return second;
  }
}
