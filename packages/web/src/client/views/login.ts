/** The sign-in screen: username and password, posted to /auth/session/ (sets the cookies). */
import { describeError, post, type Session } from '../api';
import { field, h, notice } from '../dom';

export function loginView(
  role: 'edge' | 'central',
  message: string | undefined,
  done: (session: Session) => void,
): HTMLElement {
  const username = h('input', {
    name: 'username',
    autocomplete: 'username',
    required: true,
    autocapitalize: 'none',
    spellcheck: 'false',
  });
  const password = h('input', {
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const messages = h('div', { class: 'messages' }, message ? notice('status', message) : null);
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  const form = h(
    'form',
    { class: 'login-form', novalidate: true },
    field('Username', username),
    field('Password', password),
    submit,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!username.value.trim() || !password.value) {
      messages.replaceChildren(notice('alert', 'Enter your username and password.'));
      (username.value.trim() ? password : username).focus();
      return;
    }
    submit.disabled = true;
    messages.replaceChildren(notice('status', 'Signing in…'));
    try {
      const session = await post<Session>('/auth/session/', {
        username: username.value.trim(),
        password: password.value,
      });
      done(session);
    } catch (err) {
      password.value = '';
      messages.replaceChildren(notice('alert', ...describeError(err)));
      password.focus();
    } finally {
      submit.disabled = false;
    }
  });
  queueMicrotask(() => username.focus());
  return h(
    'main',
    { class: 'login' },
    h(
      'div',
      { class: 'card' },
      h(
        'p',
        { class: 'brand' },
        h('span', { class: 'logo', 'aria-hidden': 'true' }, '✚'),
        role === 'central' ? ' Central · regional admin' : ' Clinic node',
      ),
      h('h1', {}, 'Sign in'),
      h(
        'p',
        { class: 'hint' },
        role === 'edge'
          ? 'Works without internet: this clinic node checks your password itself.'
          : 'Regional administration: late conflicts, clinic nodes, appointments of every facility.',
      ),
      messages,
      form,
    ),
  );
}
