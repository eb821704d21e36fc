/* On the meeting overview: put the meeting bundle in IndexedDB and keep a copy of the live page, for no signal. */
import { api } from '../api.js';
import { saveBundle, setValue } from '../db.js';

/** Save what meeting mode needs offline; say so under the button. */
export async function mount() {
  const link = document.querySelector('[data-prefetch-live]');
  const note = document.querySelector('[data-live-ready]');
  if (!link || !navigator.onLine) return;
  try {
    const bundle = await api(link.dataset.bundleUrl);
    await saveBundle(bundle);
    const jurisdiction = bundle.child && bundle.child.jurisdiction;
    if (jurisdiction) {
      const rules = await api(`/api/v1/rules/${jurisdiction}`);
      await setValue(`rules:${jurisdiction}`, { jurisdiction, roles: rules.roles });
    }
    // the service worker keeps navigations in this cache; a page fetch is not a navigation, so store it here
    if ('caches' in window) {
      const response = await fetch(link.href, { credentials: 'same-origin' });
      if (response.ok && !response.redirected) await (await caches.open('minuted-pages')).put(link.href, response);
    }
    if (note) {
      note.textContent = 'Saved on this phone: meeting mode works without signal.';
      note.hidden = false;
    }
  } catch (err) {
    console.warn('could not save the meeting for offline use', err);
  }
}
