/* Send page and print page: the hand-offs made on this device (share, copy, mail app, print), each logged;
   the confirmation page's "Send now" is pressed once. */
import { api, ApiError } from '../api.js';
import { show } from '../ui/toasts.js';

const root = document.querySelector('[data-send]');

async function log(channel, recipients = []) {
  try {
    await api(`${root.dataset.api}/sent`, {
      method: 'POST',
      body: { channel, version: Number(root.dataset.version), recipients },
    });
  } catch (error) {
    console.error(error);
    show(error instanceof ApiError ? error.message : 'Could not record this hand-off.', { isError: true });
  }
}

function checked(name) {
  return [...document.querySelectorAll(`input[name="${name}"]:checked`)].map((input) => input.value);
}

if (root) {
  const text = document.getElementById('minutes-text');
  const subject = document.getElementById('send-subject');
  const share = root.querySelector('[data-share]');
  if (share && navigator.share) {
    share.hidden = false;
    share.addEventListener('click', async () => {
      try {
        await navigator.share({ title: subject ? subject.textContent : document.title, text: text.value });
        await log('share');
      } catch (error) {
        if (error.name !== 'AbortError') console.error(error);
      }
    });
  }
  const copy = root.querySelector('[data-copy]');
  if (copy) {
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(text.value);
      } catch {
        text.select();
        document.execCommand('copy');
      }
      await log('copy');
      show('Copied. Paste it into an email to the school.');
    });
  }
  for (const link of root.querySelectorAll('[data-handoff="mailto"]')) {
    link.addEventListener('click', () => {
      log('mailto', checked('to').concat(checked('cc')));
    });
  }
  const print = root.querySelector('[data-print]');
  if (print) {
    print.addEventListener('click', async () => {
      await log('print');
      window.print();
    });
  }
}

// a second tap while the first is on its way is the same email to the server (one Message-ID): show it is going
for (const form of document.querySelectorAll('form[data-confirm-send]')) {
  const button = form.querySelector('button[type="submit"]');
  const label = button.textContent;
  form.addEventListener('submit', () => {
    // after the browser has read the form, so the request is unchanged
    setTimeout(() => {
      button.disabled = true;
      button.textContent = 'Sending…';
    });
  });
  // back to this page from the history: the button works again
  window.addEventListener('pageshow', () => {
    button.disabled = false;
    button.textContent = label;
  });
}
