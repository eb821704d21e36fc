/* Points from the recording on the review page: confirm, fix (who, the words, the due date) or remove each one.
   Each decision is one API call; the point leaves the list, its neighbours stay, and the page says what the
   draft will do with it. */
import { api } from '../api.js';

const DONE = {
  confirm: 'Confirmed. The draft will include it.',
  fix: 'Fixed. The draft will include your version.',
  remove: 'Removed. The draft will leave it out.',
};

/** The parent's fixes from a point's Fix form: who only when they chose someone, the due date for actions. */
function fixesOf(form) {
  const { who, text, due } = form.elements;
  const fixes = { text: text.value.trim() };
  // "(as said)" keeps the person the recording named, who is no one on the meeting's list
  if (!who.selectedOptions[0].hasAttribute('data-as-found')) fixes.who = who.value;
  if (due) fixes.due = due.value;
  return fixes;
}

/** Show a confirmed point in "Your markers" until the page is next loaded (the server lists it from then on). */
function addMarker(event, label) {
  const list = document.getElementById('markers');
  if (!list || event.deleted) return;
  const li = document.createElement('li');
  li.className = `marker marker-${event.kind}`;
  const meta = document.createElement('span');
  meta.className = 'line-meta';
  const strong = document.createElement('strong');
  strong.textContent = label;
  meta.append(strong, ' · from the recording, checked (redraft to include it)');
  const text = document.createElement('span');
  text.className = 'line-text';
  text.textContent = event.payload.text || '';
  li.append(meta, text);
  list.append(li);
}

/**
 * Wire the points section: `base` is the meeting's API path, `redraft()` runs the editor's redraft
 * (resolving true once the minutes are redrafted), `onError(error)` reports a failed call.
 */
export function mountPoints(section, base, { redraft, onError }) {
  const list = section.querySelector('#suggestion-list');
  const status = section.querySelector('#points-status');
  const after = section.querySelector('#points-redraft');
  const redraftButton = after.querySelector('[data-redraft]');
  const empty = section.querySelector('#no-suggestions');

  const openFix = (item, open) => {
    const form = item.querySelector('[data-fix-form]');
    const toggle = item.querySelector('[data-fix]');
    if (!open) form.reset();
    form.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    (open ? form.elements.who : toggle).focus();
  };

  const decide = async (item, accept, fixes, how) => {
    const hadFocus = item.contains(document.activeElement);
    const controls = item.querySelectorAll('button, input, select, textarea');
    for (const control of controls) control.disabled = true;
    let stored;
    try {
      const decision = accept ? 'accept' : 'dismiss';
      ({ event: stored } = await api(`${base}/suggestions/${encodeURIComponent(item.dataset.suggestion)}/${decision}`, {
        method: 'POST',
        body: fixes,
      }));
    } catch (error) {
      for (const control of controls) control.disabled = false;
      onError(error);
      return;
    }
    const next = item.nextElementSibling || item.previousElementSibling;
    item.remove();
    if (accept) addMarker(stored, item.dataset.label);
    status.textContent = `${DONE[how]} Redraft the minutes to see it there.`;
    after.hidden = false;
    redraftButton.hidden = false;
    empty.hidden = Boolean(list.querySelector('[data-suggestion]'));
    if (hadFocus) (next || redraftButton).focus();
  };

  list.addEventListener('click', (event) => {
    const button = event.target.closest('button');
    if (!button || button.type === 'submit') return;
    const item = button.closest('[data-suggestion]');
    if (button.hasAttribute('data-accept')) decide(item, true, {}, 'confirm');
    else if (button.hasAttribute('data-dismiss')) decide(item, false, {}, 'remove');
    else if (button.hasAttribute('data-fix')) openFix(item, button.getAttribute('aria-expanded') !== 'true');
    else if (button.hasAttribute('data-cancel')) openFix(item, false);
  });

  list.addEventListener('submit', (event) => {
    const form = event.target.closest('[data-fix-form]');
    if (!form) return;
    event.preventDefault();
    const fixes = fixesOf(form);
    if (!fixes.text) {
      form.elements.text.setCustomValidity('Write what was said.');
      form.elements.text.reportValidity();
      return;
    }
    decide(form.closest('[data-suggestion]'), true, fixes, 'fix');
  });
  list.addEventListener('input', (event) => {
    if (event.target.name === 'text') event.target.setCustomValidity('');
  });

  redraftButton.addEventListener('click', async () => {
    try {
      if (!(await redraft())) return; // the editor asks which sections to replace first
      status.textContent = 'Redrafted. The minutes below include what you checked.';
      redraftButton.hidden = true;
      after.querySelector('a').focus();
    } catch (error) {
      onError(error);
    }
  });
}
