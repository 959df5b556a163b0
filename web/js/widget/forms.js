// The forms the widget may show under the conversation: the 1-5 satisfaction rating after a chat
// ends, "leave a message" when the wait has been long (routing.max-wait), and a member's sign-in.
import { clear, el } from '../common/dom.js';

// Renders the rating form into `container`; `send({score, comment})` stores it.
export function showRating(container, { t, send, done }) {
  clear(container);
  const error = el('p', { class: 'form-error', role: 'alert', hidden: true });
  const scores = el('div', { class: 'rating-scores', role: 'radiogroup', 'aria-labelledby': 'rating-title' });
  for (let score = 1; score <= 5; score += 1) {
    const id = `rating-${score}`;
    scores.append(el('input', { type: 'radio', name: 'score', id, value: String(score), class: 'rating-input' }),
      el('label', { for: id, class: 'rating-star', title: t('rating_score', { score }) },
        el('span', { 'aria-hidden': 'true', text: '★' }),
        el('span', { class: 'sr-only', text: t('rating_score', { score }) })));
  }
  // Stars up to the picked one are filled.
  scores.addEventListener('change', () => {
    const picked = Number(scores.querySelector('input:checked')?.value ?? 0);
    for (const label of scores.querySelectorAll('label')) {
      label.classList.toggle('filled', Number(label.htmlFor.slice('rating-'.length)) <= picked);
    }
  });
  const comment = el('textarea', { id: 'rating-comment', name: 'comment', rows: 2, maxlength: 500 });
  const form = el('form', { class: 'side-form rating-form', 'aria-labelledby': 'rating-title' },
    el('h2', { id: 'rating-title', text: t('rating_title') }),
    scores,
    el('label', { for: 'rating-comment', text: t('rating_comment') }),
    comment,
    error,
    el('div', { class: 'form-buttons' },
      el('button', { type: 'submit', class: 'primary', text: t('rating_submit') }),
      el('button', { type: 'button', class: 'secondary', text: t('rating_skip'), onclick: () => done(false) })));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const picked = form.querySelector('input[name=score]:checked');
    if (!picked) {
      error.textContent = t('rating_pick');
      error.hidden = false;
      return;
    }
    done(send({ score: Number(picked.value), comment: comment.value.trim() }) !== false);
  });
  container.append(form);
  container.hidden = false;
  form.querySelector('input')?.focus();
}

// Renders the leave-a-message form; `send({text, contact})` leaves it.
export function showLeaveMessage(container, { t, title = t('leave_title'), send, done }) {
  clear(container);
  const text = el('textarea', { id: 'leave-text', name: 'text', rows: 3, maxlength: 2000, required: true });
  const contact = el('input', { id: 'leave-contact', name: 'contact', type: 'text', maxlength: 200, autocomplete: 'email' });
  // Offered while the customer may be typing (the wait ran out, or nobody is signed in): said aloud
  // (role=status), the focus left where it is.
  const form = el('form', { class: 'side-form leave-form' },
    el('p', { role: 'status', text: title }),
    el('label', { for: 'leave-text', text: t('leave_text') }), text,
    el('label', { for: 'leave-contact', text: t('leave_contact') }), contact,
    el('div', { class: 'form-buttons' }, el('button', { type: 'submit', class: 'primary', text: t('leave_submit') })));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!text.value.trim()) return;
    send({ text: text.value.trim(), contact: contact.value.trim() });
    done();
  });
  container.append(form);
  container.hidden = false;
}

// A registered customer's sign-in; `signIn(username, password)` rejects with a message to show.
export function showSignIn(container, { t, signIn, done }) {
  clear(container);
  const username = el('input', { id: 'signin-username', type: 'text', autocomplete: 'username', required: true });
  const password = el('input', { id: 'signin-password', type: 'password', autocomplete: 'current-password', required: true });
  const error = el('p', { class: 'form-error', role: 'alert', hidden: true });
  const form = el('form', { class: 'side-form signin-form', 'aria-labelledby': 'signin-title' },
    el('h2', { id: 'signin-title', text: t('sign_in_title') }),
    el('p', { text: t('sign_in_hint') }),
    el('label', { for: 'signin-username', text: t('username') }), username,
    el('label', { for: 'signin-password', text: t('password') }), password,
    error,
    el('div', { class: 'form-buttons' },
      el('button', { type: 'submit', class: 'primary', text: t('sign_in') }),
      el('button', { type: 'button', class: 'secondary', text: t('cancel'), onclick: () => done(false) })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    try {
      await signIn(username.value.trim(), password.value);
      done(true);
    } catch (failure) {
      error.textContent = t('sign_in_failed', { message: failure.message });
      error.hidden = false;
    }
  });
  container.append(form);
  container.hidden = false;
  username.focus();
}
