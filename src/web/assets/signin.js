// Sign-in of the agent and supervisor pages: an operator JWT pasted (kept in sessionStorage),
// or, on the local built-in demo only, one click per demo operator.
import { t, el, token, demoOperators } from './common.js';

/** Shows the sign-in form in `root` (with `problem` above it, if any) and resolves with a token. */
export async function signIn(root, problem = '') {
  const demo = await demoOperators();
  return new Promise((resolve) => {
    const done = (value) => { token.set(value); root.replaceChildren(); resolve(value); };
    const field = el('textarea', { id: 'token', rows: 4, placeholder: t('signin.paste') });
    root.replaceChildren(el('section', { class: 'signin' },
      el('h1', { text: t('signin.title') }),
      problem ? el('p', { class: 'error', role: 'alert', text: problem }) : null,
      el('form', {
        onsubmit: (event) => {
          event.preventDefault();
          const value = field.value.trim();
          if (value) done(value);
        },
      }, el('label', { for: 'token', text: t('signin.token') }), field,
      el('button', { type: 'submit', id: 'signin', text: t('signin.go') })),
      demo.length ? el('div', { class: 'demo' },
        el('p', { text: t('signin.demo') }),
        demo.map((op) => el('button', {
          type: 'button', class: 'demo-operator', dataset: { operator: op.id },
          onclick: () => done(op.token),
        }, `${op.name} (${op.id}, ${op.role})`))) : null));
  });
}
